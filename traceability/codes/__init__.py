"""Signed one-item-one-code core: format, keys, signatures, revocation, offline verification.

Pure and framework-free (no Flask, no database): the issuing service, the lookup views,
the verify API and the CLI all call these functions. The format is specified in
``docs/code-format.md``.
"""

from traceability.codes.errors import (
    CodeError,
    GtinError,
    JwsError,
    KeyMaterialError,
    RevocationListError,
    ScanError,
)
from traceability.codes.format import (
    CODE_LENGTH,
    ItemCode,
    new_group_code,
    new_item_serial,
    parse_code,
    sign_item_code,
    sign_item_codes,
    signed_message,
)
from traceability.codes.gtin import normalize_gtin
from traceability.codes.jws import (
    canonical_json,
    read_jws_header,
    sign_canonical,
    sign_json,
    verify_jws,
)
from traceability.codes.keys import (
    KeyRing,
    PublicKey,
    SigningKey,
    encrypt_private_key,
    generate_signing_key,
    jwk_set,
    load_private_key,
    public_key_from_jwk,
    signing_key_from_seed,
)
from traceability.codes.qr import qr_matrix, qr_png, qr_version
from traceability.codes.revocation import (
    REVOCATIONS_PATH,
    CompromisedKey,
    PendingGroup,
    RetiredKey,
    RevocationList,
    RevokedGroup,
    RevokedItem,
    build_revocation_list,
    load_revocation_list,
    sign_revocation_list,
    utc_iso,
)
from traceability.codes.scanning import MAX_SCAN_LENGTH, ParsedCode, parse_scanned_text
from traceability.codes.signing import ED25519, Ed25519Scheme, SignatureScheme, derive_kid
from traceability.codes.urls import code_url, gs1_digital_link_url
from traceability.codes.verification import Verdict, Verifier, verify_offline

JWKS_PATH = "/.well-known/jwks.json"

__all__ = [
    "CODE_LENGTH",
    "ED25519",
    "JWKS_PATH",
    "MAX_SCAN_LENGTH",
    "REVOCATIONS_PATH",
    "CodeError",
    "CompromisedKey",
    "Ed25519Scheme",
    "GtinError",
    "ItemCode",
    "JwsError",
    "KeyMaterialError",
    "KeyRing",
    "ParsedCode",
    "PendingGroup",
    "PublicKey",
    "RetiredKey",
    "RevocationList",
    "RevocationListError",
    "RevokedGroup",
    "RevokedItem",
    "ScanError",
    "SignatureScheme",
    "SigningKey",
    "Verdict",
    "Verifier",
    "build_revocation_list",
    "canonical_json",
    "code_url",
    "derive_kid",
    "encrypt_private_key",
    "generate_signing_key",
    "gs1_digital_link_url",
    "jwk_set",
    "load_private_key",
    "load_revocation_list",
    "new_group_code",
    "new_item_serial",
    "normalize_gtin",
    "parse_code",
    "parse_scanned_text",
    "public_key_from_jwk",
    "qr_matrix",
    "qr_png",
    "qr_version",
    "read_jws_header",
    "sign_canonical",
    "sign_item_code",
    "sign_item_codes",
    "sign_json",
    "sign_revocation_list",
    "signed_message",
    "signing_key_from_seed",
    "utc_iso",
    "verify_jws",
    "verify_offline",
]
