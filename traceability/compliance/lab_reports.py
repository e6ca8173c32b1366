"""Lab report files (检测报告): the scanned PDF or phone photo behind a lab-report test.

A file is accepted only for a `lab_report` test, only as PDF, JPEG or PNG as its own
first bytes say (a name or a browser's Content-Type proves nothing), and only up to a
configured size. It is stored in the database in the caller's transaction, so a test
and its report are saved together or not at all. Who may read a file is who may read
its test; to anyone else the file does not exist.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from traceability.audit import record_audit
from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.errors import Conflict, Forbidden, NotFound, ValidationFailed
from traceability.file_sizes import file_size
from traceability.models.compliance import LabReportFile, RapidTest, TestMethod
from traceability.models.types import utcnow

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES_PER_TEST = 10  # a report photographed page by page; more is a mistake or abuse
FILENAME_LENGTH = 200

# The magic numbers of the three accepted formats, with the extensions a download gets.
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
}
_NAME_PUNCTUATION = set(" ._-+()（）[]【】")


class ReportFileRefused(ValidationFailed):
    """An upload refused before anything was written; the message says what to do."""


@dataclass(frozen=True)
class ReportFileSummary:
    """What lists show of a stored file, read without its bytes."""

    id: int
    rapid_test_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


def sniff_content_type(data: bytes) -> str | None:
    """The accepted format `data` starts with, or None: decided by bytes, not by names."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def read_capped(stream: IO[bytes], max_bytes: int) -> bytes:
    """At most one byte more than `max_bytes`: enough to tell a file is too big."""
    return stream.read(max_bytes + 1)


def check_report_file(data: bytes, max_bytes: int) -> str:
    """The content type of an acceptable file, or ReportFileRefused saying why not."""
    if not data:
        raise ReportFileRefused(
            "检测报告文件是空的（0 字节）。请重新选择文件或重新拍照后上传。",
            "The lab report file is empty (0 bytes). Choose the file again or retake "
            "the photo, then upload it.",
            code="report_file_empty",
        )
    if len(data) > max_bytes:
        limit = file_size(max_bytes)
        raise ReportFileRefused(
            f"检测报告文件超过 {limit} 的上限。请压缩 PDF，或用较低分辨率重新拍照后上传。",
            f"The lab report file is larger than the {limit} limit. Compress the PDF "
            "or retake the photo at a lower resolution, then upload it.",
            code="report_file_too_large",
            status=413,
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        raise ReportFileRefused(
            "检测报告只接受 PDF、JPEG 或 PNG 文件，该文件的内容不是其中之一（与文件名无关）。"
            "请将报告导出为 PDF，或拍照后上传照片。",
            "Lab reports are accepted as PDF, JPEG or PNG only, and this file's content "
            "is none of them, whatever its name says. Export the report as a PDF or "
            "upload a photo of it.",
            code="report_file_type",
            status=415,
        )
    return content_type


def display_filename(name: str | None, content_type: str, test_id: int) -> str:
    """A name safe to show and to offer on download: no path, no control or quote
    characters, Chinese kept, and an extension that matches the content."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    kept = "".join(ch for ch in base if ch.isalnum() or ch in _NAME_PUNCTUATION)
    kept = " ".join(kept.split()).strip(" .")
    extensions = EXTENSIONS[content_type]
    if not kept.lower().endswith(extensions):
        kept = (kept or f"lab-report-T{test_id}") + extensions[0]
    if len(kept) > FILENAME_LENGTH:
        stem, dot, suffix = kept.rpartition(".")
        kept = stem[: FILENAME_LENGTH - len(suffix) - 1] + dot + suffix
    return kept


def attach_report(
    session: Session,
    test: RapidTest,
    data: bytes,
    filename: str | None,
    *,
    uploaded_by: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: datetime | None = None,
) -> LabReportFile:
    """Add a report file to a lab-report test in the session's transaction (not committed)."""
    if test.id is None:
        session.flush()
    assert test.id is not None
    if test.method != TestMethod.LAB_REPORT:
        raise ReportFileRefused(
            "只有实验室检测记录可以附加检测报告文件。",
            "Only a lab-report test can have a lab report file attached.",
            code="not_a_lab_report",
        )
    content_type = check_report_file(data, max_bytes)
    if count_files(session, test.id) >= MAX_FILES_PER_TEST:
        raise Conflict(
            f"每条检测记录最多附加 {MAX_FILES_PER_TEST} 个报告文件。",
            f"A test takes at most {MAX_FILES_PER_TEST} report files.",
            code="too_many_report_files",
        )
    stored = LabReportFile(
        rapid_test_id=test.id,
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        size=len(data),
        filename=display_filename(filename, content_type, test.id),
        data=data,
        uploaded_by=uploaded_by[:100],
        uploaded_at=now or utcnow(),
    )
    session.add(stored)
    session.flush()
    record_audit(
        session,
        uploaded_by,
        "lab_report.attach",
        object_type="rapid_test",
        object_id=test.id,
        after={"file_id": stored.id, "filename": stored.filename, "sha256": stored.sha256},
    )
    return stored


def count_files(session: Session, test_id: int) -> int:
    query = select(func.count()).where(LabReportFile.rapid_test_id == test_id)
    return int(session.exec(query).one())


def may_read_test(session: Session, principal: Principal, test: RapidTest) -> bool:
    """The rule `GET /api/v1/tests/<id>` applies: a producer's test to those who may read
    that producer's records, a test of an unknown seller to those who record tests."""
    return policy.allowed(
        principal, "test.read", test.producer_id, session=session, sampled_in=test.township_id
    )


def readable_test(session: Session, principal: Principal, test_id: int) -> RapidTest:
    """The test, or NotFound alike whether it is missing or not the caller's to see."""
    test = session.get(RapidTest, test_id)
    if test is None or not may_read_test(session, principal, test):
        raise NotFound("找不到该检测记录。", "No such test.", code="test_not_found")
    return test


def may_attach(session: Session, principal: Principal, test: RapidTest) -> bool:
    """Who may add files to a test: those who may record tests for its producer, or, for a
    test of an unknown seller, those who record tests at all."""
    return test.id is not None and test.id in attachable_tests(session, principal, [test])


def attachable_tests(
    session: Session, principal: Principal, tests: Iterable[RapidTest]
) -> set[int]:
    """The ids of the `tests` the caller may add files to (the rule of `may_attach`), asked
    in a fixed number of queries however many tests a page lists."""
    tests = list(tests)
    producers = {t.producer_id for t in tests if t.producer_id is not None}
    allowed = policy.allowed_producers(principal, "test.record", producers, session=session)

    def may(test: RapidTest) -> bool:
        if test.producer_id is not None:
            return test.producer_id in allowed
        # an unknown seller's: by the township where it was sampled (no query)
        return policy.allowed(principal, "test.record", None, sampled_in=test.township_id)

    return {t.id for t in tests if t.id is not None and may(t)}


def takes_another_file(test: RapidTest, file_count: int) -> bool:
    """Whether a test with `file_count` files is one `attach_report` would add a file to
    (the file itself is judged when it arrives): so pages offer only uploads that can work."""
    return test.method == TestMethod.LAB_REPORT and file_count < MAX_FILES_PER_TEST


def attachable_test(session: Session, principal: Principal, test_id: int) -> RapidTest:
    """The test a caller may add report files to; NotFound, as for a missing test, to one
    who may not even read it. The API, the page and nothing else ask this one question."""
    test = readable_test(session, principal, test_id)
    if not may_attach(session, principal, test):
        raise Forbidden(
            "您无权为该检测记录附加检测报告文件。",
            "You may not attach lab report files to this test.",
        )
    return test


def report_for_download(
    session: Session, principal: Principal, test_id: int, file_id: int
) -> LabReportFile:
    """A stored file with its bytes, for a caller who may read its test."""
    readable_test(session, principal, test_id)
    stored = session.get(LabReportFile, file_id)
    if stored is None or stored.rapid_test_id != test_id:
        raise NotFound("找不到该报告文件。", "No such report file.", code="report_file_not_found")
    return stored


def files_of_tests(session: Session, test_ids: Iterable[int]) -> dict[int, list[ReportFileSummary]]:
    """The files of each test, oldest first, without loading their bytes."""
    ids = set(test_ids)
    found: dict[int, list[ReportFileSummary]] = defaultdict(list)
    if not ids:
        return found
    rows = session.exec(
        select(LabReportFile)
        .options(defer(LabReportFile.data))  # type: ignore[arg-type]  # lists need no bytes
        .where(col(LabReportFile.rapid_test_id).in_(ids))
        .order_by(col(LabReportFile.id))
    ).all()
    for row in rows:
        assert row.id is not None
        found[row.rapid_test_id].append(
            ReportFileSummary(
                row.id,
                row.rapid_test_id,
                row.filename,
                row.content_type,
                row.size,
                row.sha256,
                row.uploaded_at,
            )
        )
    return found
