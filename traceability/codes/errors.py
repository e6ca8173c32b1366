"""Errors of the code core, each with a stable ``code`` and a message in Chinese and English.

The web layer maps ``code`` to a 4xx answer or a page; the CLI prints the messages.
Nothing here ever needs a 500: every failure of hostile input is one of these.
"""

from __future__ import annotations

from typing import ClassVar

#: code -> (Chinese, English). Stable codes: callers and clients may switch on them.
MESSAGES: dict[str, tuple[str, str]] = {
    "malformed": ("无法识别的追溯码。", "Not a traceability code this service can read."),
    "too_long": ("输入过长，不是追溯码。", "The input is too long to be a traceability code."),
    "wrong_host": (
        "该二维码不属于本追溯平台。",
        "This QR code does not belong to this traceability service.",
    ),
    "non_canonical": (
        "签名编码不规范，追溯码可能被篡改。",
        "The signature is not canonically encoded; the code may have been altered.",
    ),
    "invalid_gtin": ("商品条码（GTIN）无效。", "The GTIN is not valid."),
    "invalid_part": ("追溯码的组成部分无效。", "A part of the code is not valid."),
    "wrong_passphrase": (
        "私钥口令错误，或私钥文件已损坏。",
        "Wrong passphrase for the private key, or the key file is damaged.",
    ),
    "malformed_key": ("密钥格式无效。", "The key material is malformed."),
    "unsupported_key": ("不支持的密钥类型。", "This key type is not supported."),
    "kid_mismatch": (
        "公钥的 kid 与公钥内容不符。",
        "The key id (kid) does not match the public key.",
    ),
    "malformed_jws": ("签名文档格式无效。", "The signed document (JWS) is malformed."),
    "unknown_key": (
        "签名所用的密钥不在已发布的公钥中。",
        "The document was signed with a key that is not among the published keys.",
    ),
    "bad_signature": (
        "签名无效，文档可能被篡改。",
        "Invalid signature; the document may have been altered.",
    ),
    "wrong_type": ("签名文档类型不符。", "The signed document is not of the expected type."),
    "malformed_revocations": ("撤销列表格式无效。", "The revocation list is malformed."),
    "stale_revocations": (
        "撤销列表版本比已有的旧，已拒绝。",
        "The revocation list is older than the one already held; refused.",
    ),
}


class CodeError(Exception):
    """Base of every error raised by :mod:`traceability.codes`."""

    default_code: ClassVar[str] = "malformed"

    def __init__(self, code: str | None = None, detail: str | None = None) -> None:
        self.code = code or self.default_code
        self.detail = detail
        zh, en = MESSAGES.get(self.code, MESSAGES[self.default_code])
        self.message_zh = zh
        self.message_en = en
        super().__init__(f"{self.code}: {en}" + (f" ({detail})" if detail else ""))

    def to_dict(self) -> dict[str, str]:
        """The JSON shape the API answers with."""
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


class ScanError(CodeError):
    """Scanned text is not a code we accept (malformed, too_long, wrong_host, non_canonical)."""


class GtinError(ScanError):
    """A GTIN has the wrong length, non-digits or a wrong check digit."""

    default_code = "invalid_gtin"


class KeyMaterialError(CodeError):
    """A key cannot be loaded: wrong passphrase, malformed, unsupported or kid mismatch."""

    default_code = "malformed_key"


class JwsError(CodeError):
    """A compact JWS is malformed, signed by an unknown key, or its signature fails."""

    default_code = "malformed_jws"


class RevocationListError(CodeError):
    """A revocation list is malformed or older than one already held."""

    default_code = "malformed_revocations"
