"""Lab report files: attached to lab-report tests, sniffed by their bytes, read back only by
those who may see the test."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.compliance.conftest import add_test, count, in_session
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.compliance.lab_reports import display_filename, sniff_content_type
from traceability.models import AuditEntry, Batch
from traceability.models.compliance import LabReportFile, RapidTest

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64)
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def lab_fields(batch: Batch, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "batch_id": str(batch.id),
        "method": "lab_report",
        "lab_name": "县农产品质量检测站",
        "report_no": "JC-2026-118",
        "items": "毒死蜱、克百威",
        "result": "合格",
        "operator": "检测员",
    }
    fields.update(extra)
    return fields


def upload(name: str, data: bytes) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def post_lab_report(client: FlaskClient, headers: dict[str, str], data: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/tests", data=data, headers=headers, content_type="multipart/form-data"
    )


def attach(
    client: FlaskClient, test_id: int, headers: dict[str, str], name: str, data: bytes
) -> Any:
    """POST /api/v1/tests/<id>/report with the file in the part `report`."""
    return client.post(
        f"/api/v1/tests/{test_id}/report",
        data={"report": upload(name, data)},
        headers=headers,
        content_type="multipart/form-data",
    )


# -- what is accepted, decided without Flask or a database ---------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")],
)
def test_pdf_jpeg_and_png_are_known_by_their_first_bytes(data: bytes, expected: str) -> None:
    assert sniff_content_type(data) == expected


@pytest.mark.parametrize("data", [EXE, HTML, b"", b"PDF-1.4", b"GIF89a" + bytes(16)])
def test_anything_else_is_unknown_whatever_it_is_called(data: bytes) -> None:
    assert sniff_content_type(data) is None


@pytest.mark.parametrize(
    ("given", "content_type", "kept"),
    [
        ("检测报告 JC-118.pdf", "application/pdf", "检测报告 JC-118.pdf"),
        ("C:\\Users\\王\\Desktop\\报告.PDF", "application/pdf", "报告.PDF"),
        ("../../etc/passwd", "image/png", "passwd.png"),
        ('a"b;\r\nc.jpg', "image/jpeg", "abc.jpg"),
        ("photo.pdf", "image/jpeg", "photo.pdf.jpg"),
        ("", "image/png", "lab-report-T7.png"),
        (None, "application/pdf", "lab-report-T7.pdf"),
    ],
)
def test_a_stored_name_has_no_path_or_quotes_and_the_extension_of_its_content(
    given: str | None, content_type: str, kept: str
) -> None:
    assert display_filename(given, content_type, 7) == kept


def test_a_long_name_is_cut_before_its_extension() -> None:
    name = display_filename("检" * 300 + ".pdf", "application/pdf", 1)
    assert len(name) == 200 and name.endswith("检.pdf")


# -- the API --------------------------------------------------------------------------------


def test_a_lab_report_and_its_file_are_created_in_one_multipart_request_and_read_back_identical(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    headers = make_token("rapid_test_operator")
    data = lab_fields(cucumbers, report=upload("检测报告.pdf", PDF))
    response = post_lab_report(client, headers, data)
    assert response.status_code == 201, response.get_json()
    test = response.get_json()["test"]
    assert test["items"] == ["毒死蜱", "克百威"] and test["batch_id"] == cucumbers.id
    [stored] = test["report_files"]
    assert stored["filename"] == "检测报告.pdf"
    assert stored["content_type"] == "application/pdf" and stored["size"] == len(PDF)
    assert stored["sha256"] == hashlib.sha256(PDF).hexdigest()

    download = client.get(stored["url"], headers=headers)
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('检测报告.pdf')}" in disposition


def test_a_file_is_attached_to_an_existing_lab_report_test(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    headers = make_token()
    test_id = add_test(
        app, cucumbers, method="lab_report", lab_name="县检测站", report_no="R-9", result="合格"
    )
    response = attach(client, test_id, headers, "page1.jpg", JPEG)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["report_file"]["content_type"] == "image/jpeg"
    listed = client.get(f"/api/v1/tests/{test_id}", headers=headers).get_json()["test"]
    assert [f["filename"] for f in listed["report_files"]] == ["page1.jpg"]
    assert client.get(listed["report_files"][0]["url"], headers=headers).data == JPEG
    entry = in_session(
        app,
        lambda s: s.exec(select(AuditEntry).where(AuditEntry.action == "lab_report.attach")).one(),
    )
    assert entry.object_id == str(test_id)
    assert entry.after["sha256"] == hashlib.sha256(JPEG).hexdigest()


def test_a_multipart_retest_of_case_that_is_no_number_is_refused_not_an_error(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    data = lab_fields(cucumbers, retest_of_case="第3号", report=upload("r.pdf", PDF))
    response = post_lab_report(client, make_token(), data)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_field"
    assert count(app, RapidTest) == 0 and count(app, LabReportFile) == 0


def test_only_a_lab_report_test_takes_a_file(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    test_id = add_test(app, cucumbers)  # enzyme inhibition
    response = attach(client, test_id, make_token(), "r.pdf", PDF)
    assert response.status_code == 422
    assert response.get_json()["error"] == "not_a_lab_report"
    assert count(app, LabReportFile) == 0


REFUSALS = [
    pytest.param("empty.pdf", b"", 422, "report_file_empty", "空", "empty", id="empty"),
    pytest.param("report.pdf", EXE, 415, "report_file_type", "PDF", "PDF", id="exe-named-pdf"),
    pytest.param("report.pdf", HTML, 415, "report_file_type", "PDF", "PDF", id="html-named-pdf"),
    pytest.param(
        "big.pdf",
        PDF + bytes(2048),
        413,
        "report_file_too_large",
        "超过 2 KB 的上限",
        "larger than the 2 KB limit",
        id="big",
    ),
]


@pytest.fixture
def small_limit(app_config: dict[str, object]) -> dict[str, object]:
    """Lab reports limited to 2 KB and requests to 1 MB more, so no test file is large."""
    app_config["LAB_REPORT_MAX_BYTES"] = 2048
    app_config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    return app_config


@pytest.mark.parametrize(("name", "data", "status", "code", "zh", "en"), REFUSALS)
def test_a_refused_file_answers_in_both_languages_and_saves_neither_test_nor_file(
    small_limit: dict[str, object],
    client: FlaskClient,
    app: Flask,
    cucumbers: Batch,
    make_token: Any,
    name: str,
    data: bytes,
    status: int,
    code: str,
    zh: str,
    en: str,
) -> None:
    response = post_lab_report(
        client, make_token(), lab_fields(cucumbers, report=upload(name, data))
    )
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code
    assert zh in body["message_zh"] and en in body["message_en"]
    assert count(app, RapidTest) == 0
    assert count(app, LabReportFile) == 0


def test_a_refused_file_on_an_existing_test_leaves_it_without_files(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    test_id = add_test(
        app, cucumbers, method="lab_report", lab_name="站", report_no="R", result="合格"
    )
    response = attach(client, test_id, make_token(), "scan.png", HTML)
    assert response.status_code == 415
    assert count(app, LabReportFile) == 0 and count(app, RapidTest) == 1


def test_someone_who_may_not_see_the_test_is_told_the_file_does_not_exist(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    data = lab_fields(cucumbers, report=upload("r.pdf", PDF))
    stored = post_lab_report(client, make_token(), data).get_json()["test"]["report_files"][0]
    owner = make_token("producer", producer_id=cucumbers.producer_id)
    stranger = make_token("producer", producer_id=cucumbers.producer_id + 1)

    assert client.get(stored["url"], headers=owner).data == PDF
    refused = client.get(stored["url"], headers=stranger)
    missing = client.get(stored["url"].rsplit("/", 1)[0] + "/999999", headers=owner)
    assert refused.status_code == missing.status_code == 404
    assert refused.get_json()["message_en"] == "No such test."
    assert PDF not in refused.data
    test_id = int(stored["url"].split("/")[-3])
    assert attach(client, test_id, stranger, "x.pdf", PDF).status_code == 404
    assert count(app, LabReportFile) == 1


def test_a_download_without_credentials_is_refused(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    data = lab_fields(cucumbers, report=upload("r.pdf", PDF))
    stored = post_lab_report(client, make_token(), data).get_json()["test"]["report_files"][0]
    assert client.get(stored["url"]).status_code == 401


# -- the tests page -------------------------------------------------------------------------


def page_fields(admin: FlaskClient, batch: Batch, **extra: Any) -> dict[str, Any]:
    return lab_fields(
        batch, csrf_token=form_csrf(admin, "/compliance/tests"), result="pass", **extra
    )


def test_the_page_offers_a_file_input_a_phone_camera_can_fill(admin: FlaskClient) -> None:
    html = admin.get("/compliance/tests").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'accept=".pdf,.jpg,.jpeg,.png,image/*"' in html


def test_a_report_uploaded_on_the_page_is_listed_and_downloads_identical(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    data = page_fields(admin, cucumbers, report=upload("现场照片.png", PNG))
    response = admin.post("/compliance/tests", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    html = admin.get("/compliance/tests").get_data(as_text=True)
    assert "现场照片.png" in html
    stored = in_session(app, lambda s: s.exec(select(LabReportFile)).one())
    link = f"/compliance/tests/{stored.rapid_test_id}/report/{stored.id}"
    assert f'href="{link}"' in html
    download = admin.get(link)
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_states_the_size_limit_and_each_files_size_in_a_readable_unit(
    small_limit: dict[str, object], admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    test_id = add_lab_test(app, cucumbers)
    add_files(app, test_id, 1)  # PDF is 80-odd bytes: "0.1 KB" before, "0 MB" for the limit
    html = admin.get("/compliance/tests").get_data(as_text=True)
    assert "最大 2 KB）" in html
    assert f"{len(PDF)} B</small>" in html
    english = admin.get("/compliance/tests?lang=en").get_data(as_text=True)
    assert "at most 2 KB)" in english


def test_a_file_input_left_empty_saves_the_test_without_a_file(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    data = page_fields(admin, cucumbers, report=upload("", b""))
    response = admin.post("/compliance/tests", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert count(app, RapidTest) == 1 and count(app, LabReportFile) == 0


def test_a_wrong_file_on_the_page_is_refused_in_both_languages_and_nothing_is_saved(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    data = page_fields(admin, cucumbers, report=upload("报告.pdf", EXE))
    response = admin.post("/compliance/tests", data=data, content_type="multipart/form-data")
    assert response.status_code == 415
    html = response.get_data(as_text=True)
    assert "检测报告只接受 PDF、JPEG 或 PNG 文件" in html
    assert "Lab reports are accepted as PDF, JPEG or PNG only" in html
    assert count(app, RapidTest) == 0 and count(app, LabReportFile) == 0


def test_a_producer_cannot_open_another_producers_report_from_the_page(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    data = lab_fields(cucumbers, report=upload("r.pdf", PDF))
    stored = post_lab_report(client, make_token(), data).get_json()["test"]["report_files"][0]
    sign_in(app, client, "other-farm", role="producer", producer_id=cucumbers.producer_id + 1)
    response = client.get(f"/compliance/tests/{stored['url'].split('/')[-3]}/report/{stored['id']}")
    assert response.status_code == 404
    assert PDF not in response.data


def test_a_request_beyond_the_request_limit_names_the_limit_and_saves_nothing(
    small_limit: dict[str, object],
    client: FlaskClient,
    app: Flask,
    cucumbers: Batch,
    make_token: Any,
) -> None:
    """Past MAX_CONTENT_LENGTH (1 MB above the lab report limit) werkzeug stops reading."""
    huge = PDF + bytes(int(app.config["MAX_CONTENT_LENGTH"]))
    response = post_lab_report(
        client, make_token(), lab_fields(cucumbers, report=upload("huge.pdf", huge))
    )
    assert response.status_code == 413
    body = response.get_json()
    assert "1 MB" in body["message_zh"] and "1 MB" in body["message_en"]
    assert count(app, RapidTest) == 0 and count(app, LabReportFile) == 0


# -- adding a file to a test already on the tests page ---------------------------------------


REPORT_NUMBERS = itertools.count(9)


def add_lab_test(app: Flask, batch: Batch) -> int:
    """A passing lab report of its own number (the same number twice is one report)."""
    return add_test(
        app,
        batch,
        method="lab_report",
        lab_name="县检测站",
        report_no=f"R-{next(REPORT_NUMBERS)}",
        result="合格",
    )


def attach_on_page(client: FlaskClient, test_id: int, name: str, data: bytes) -> Any:
    """The small form of the test's row: its CSRF token and the file in `report`."""
    form = {"csrf_token": form_csrf(client, "/compliance/tests"), "report": upload(name, data)}
    return client.post(
        f"/compliance/tests/{test_id}/report", data=form, content_type="multipart/form-data"
    )


def upload_form_of(test_id: int) -> str:
    return f'action="/compliance/tests/{test_id}/report"'


def add_files(app: Flask, test_id: int, how_many: int) -> None:
    from traceability.compliance.lab_reports import attach_report

    def work(session: Any) -> None:
        test = session.get(RapidTest, test_id)
        for page in range(how_many):
            attach_report(session, test, PDF, f"p{page}.pdf", uploaded_by="test")

    in_session(app, work)


def test_a_file_attached_to_an_existing_test_from_the_page_downloads_identical(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    test_id = add_lab_test(app, cucumbers)
    response = attach_on_page(admin, test_id, "第2页.jpg", JPEG)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/compliance/tests")
    html = admin.get("/compliance/tests").get_data(as_text=True)
    assert f"已为检测记录 T{test_id} 附加检测报告文件 第2页.jpg。" in html
    stored = in_session(app, lambda s: s.exec(select(LabReportFile)).one())
    assert stored.rapid_test_id == test_id and stored.uploaded_by.startswith("user:")
    download = admin.get(f"/compliance/tests/{test_id}/report/{stored.id}")
    assert download.status_code == 200 and download.data == JPEG
    assert download.mimetype == "image/jpeg"


def test_a_file_attached_from_the_page_is_audited_as_the_api_audits_it(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    test_id = add_lab_test(app, cucumbers)
    assert attach_on_page(admin, test_id, "r.pdf", PDF).status_code == 302
    entry = in_session(
        app,
        lambda s: s.exec(select(AuditEntry).where(AuditEntry.action == "lab_report.attach")).one(),
    )
    assert entry.object_id == str(test_id)
    assert entry.after["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_the_success_message_is_in_english_on_an_english_page(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    test_id = add_lab_test(app, cucumbers)
    admin.get("/compliance/tests?lang=en")  # the language is remembered in a cookie
    attach_on_page(admin, test_id, "scan.pdf", PDF)
    html = admin.get("/compliance/tests").get_data(as_text=True)
    assert f"Lab report file scan.pdf attached to test T{test_id}." in html


def test_the_upload_form_is_offered_only_on_lab_reports_that_take_another_file(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    enzyme = add_test(app, cucumbers)
    empty, some, full = (add_lab_test(app, cucumbers) for _ in range(3))
    add_files(app, some, 1)
    add_files(app, full, 10)  # MAX_FILES_PER_TEST
    html = admin.get("/compliance/tests").get_data(as_text=True)
    assert upload_form_of(empty) in html and upload_form_of(some) in html
    assert upload_form_of(enzyme) not in html and upload_form_of(full) not in html
    assert f'id="report-T{empty}"' in html and f'for="report-T{empty}"' in html


def test_the_producer_attaches_to_its_own_test_but_not_to_another_producers(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    test_id = add_lab_test(app, cucumbers)
    stranger = sign_in(
        app, app.test_client(), "other-farm", role="producer", producer_id=cucumbers.producer_id + 1
    )
    assert upload_form_of(test_id) not in stranger.get("/compliance/tests").get_data(as_text=True)
    refused = attach_on_page(stranger, test_id, "r.pdf", PDF)
    assert refused.status_code == 404  # as the API answers: the test is not there for them
    html = refused.get_data(as_text=True)
    assert "找不到该检测记录。" in html and "No such test." in html
    assert count(app, LabReportFile) == 0

    owner = sign_in(app, client, "farm", role="producer", producer_id=cucumbers.producer_id)
    assert upload_form_of(test_id) in owner.get("/compliance/tests").get_data(as_text=True)
    assert attach_on_page(owner, test_id, "r.pdf", PDF).status_code == 302
    assert count(app, LabReportFile) == 1


PAGE_REFUSALS = [
    pytest.param(
        "report.pdf", EXE, 415, "检测报告只接受 PDF、JPEG 或 PNG", "PDF, JPEG or PNG only", id="exe"
    ),
    pytest.param("big.pdf", PDF + bytes(2048), 413, "2 KB 的上限", "2 KB limit", id="too-large"),
    pytest.param("empty.pdf", b"", 422, "0 字节", "0 bytes", id="empty"),
]


@pytest.mark.parametrize(("name", "data", "status", "zh", "en"), PAGE_REFUSALS)
def test_a_refused_file_on_the_page_shows_the_list_again_with_its_status_in_both_languages(
    small_limit: dict[str, object],
    admin: FlaskClient,
    app: Flask,
    cucumbers: Batch,
    name: str,
    data: bytes,
    status: int,
    zh: str,
    en: str,
) -> None:
    test_id = add_lab_test(app, cucumbers)
    response = attach_on_page(admin, test_id, name, data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert zh in html and en in html
    assert upload_form_of(test_id) in html  # the list again, the row ready for another try
    assert count(app, LabReportFile) == 0


def test_a_test_that_is_no_lab_report_takes_no_file_from_the_page(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    test_id = add_test(app, cucumbers)  # enzyme inhibition
    response = attach_on_page(admin, test_id, "r.pdf", PDF)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "只有实验室检测记录可以附加检测报告文件。" in html
    assert "Only a lab-report test can have a lab report file attached." in html
    assert count(app, LabReportFile) == 0


def test_a_row_form_sent_without_a_file_asks_for_one_in_both_languages(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    test_id = add_lab_test(app, cucumbers)
    response = attach_on_page(admin, test_id, "", b"")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请先选择要附加的检测报告文件" in html and "Choose the lab report file" in html


def test_a_full_test_refuses_an_eleventh_file_from_the_page(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    test_id = add_lab_test(app, cucumbers)
    add_files(app, test_id, 10)
    response = attach_on_page(admin, test_id, "p11.pdf", PDF)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "最多附加 10 个" in html and "at most 10 report files" in html
    assert count(app, LabReportFile) == 10


# -- the command line -----------------------------------------------------------------------


def test_the_cli_attaches_a_file_and_refuses_one_that_is_not_a_report(
    app: Flask, cucumbers: Batch, cli: Callable[..., Result], tmp_path: Path
) -> None:
    test_id = add_test(
        app, cucumbers, method="lab_report", lab_name="站", report_no="R", result="合格"
    )
    scan = tmp_path / "扫描件.pdf"
    scan.write_bytes(PDF)
    fake = tmp_path / "report.pdf"
    fake.write_bytes(HTML)

    refused = cli("tests", "attach", str(test_id), str(fake))
    assert refused.exit_code != 0
    assert "PDF、JPEG 或 PNG" in refused.output and "PDF, JPEG or PNG" in refused.output
    assert count(app, LabReportFile) == 0

    result = cli("tests", "attach", str(test_id), str(scan), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sha256"] == hashlib.sha256(PDF).hexdigest()
    stored = in_session(app, lambda s: s.exec(select(LabReportFile)).one())
    assert (stored.rapid_test_id, stored.filename, stored.data) == (test_id, "扫描件.pdf", PDF)
    assert stored.uploaded_by == "cli:cli"
