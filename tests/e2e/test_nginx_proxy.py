"""The shipped nginx site (deploy/nginx/traceability.conf) really fronts gunicorn: TLS,
the http → https redirect, and with `TRUSTED_PROXIES=1` a client's forged
X-Forwarded-For does not get it past the public rate limit."""

from __future__ import annotations

import datetime
import http.client
import json
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.server import ROOT, free_port, gunicorn_server, traceability_cli

SITE = ROOT / "deploy" / "nginx" / "traceability.conf"
HOST = "trace.example.cn"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _substitute(text: str, old: str, new: str) -> str:
    """Replace a line of the shipped site; fail loudly if the site no longer has it."""
    pattern = re.compile(rf"^(\s*){re.escape(old)}$", re.MULTILINE)
    assert pattern.search(text), f"deploy/nginx/traceability.conf has no line {old!r}"
    return pattern.sub(lambda m: m.group(1) + new, text)


def _site_for_test(folder: Path, upstream: int, http: int, https: int) -> Path:
    cert, key = _self_signed(folder)
    site = SITE.read_text("utf-8")
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("ssl_certificate /etc/ssl/traceability/fullchain.pem;", f"ssl_certificate {cert};"),
        ("ssl_certificate_key /etc/ssl/traceability/privkey.pem;", f"ssl_certificate_key {key};"),
    ):
        site = _substitute(site, old, new)
    path = folder / "site.conf"
    path.write_text(site, "utf-8")
    main = folder / "nginx.conf"
    temp = folder / "temp"
    temp.mkdir()
    main.write_text(
        "daemon off;\nmaster_process off;\n"
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n  access_log off;\n"
        + "".join(f"  {kind}_temp_path {temp}/{kind};\n" for kind in ("client_body", "proxy"))
        + "".join(f"  {kind}_temp_path {temp}/{kind};\n" for kind in ("fastcgi", "uwsgi", "scgi"))
        + f"  include {path};\n}}\n",
        "utf-8",
    )
    return main


@pytest.fixture
def nginx_in_front(tmp_path: Path, empty_database_url: str) -> Iterator[tuple[int, int, dict]]:
    port, http, https = free_port(), free_port(), free_port()
    folder = tmp_path / "nginx"
    folder.mkdir()
    main = _site_for_test(folder, port, http, https)
    check = subprocess.run(
        [NGINX, "-t", "-p", str(folder), "-c", str(main)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    env = {
        "TRUSTED_PROXIES": "1",
        "PUBLIC_BASE_URL": f"https://{HOST}",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_PUBLIC": "3/minute",
        "WEB_CONCURRENCY": "1",  # memory:// limits count per worker
    }
    with gunicorn_server(
        empty_database_url, tmp_path / "instance", extra_env=env, port=port
    ) as server:
        demo = json.loads(traceability_cli(server.env, "demo", "--json").stdout)
        process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(main)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", https), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        err = process.stderr.read().decode() if process.stderr else ""
                        raise RuntimeError(f"nginx did not start: {err}") from None
                    time.sleep(0.1)
            yield http, https, demo
        finally:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=20)


def _get(
    port: int, path: str, headers: dict[str, str], *, tls: bool = True, source: str = "127.0.0.1"
) -> tuple[int, dict[str, str], bytes]:
    """One request to nginx from the loopback address `source` (each is another client)."""
    connection: http.client.HTTPConnection
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # a throw-away self-signed certificate
        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=context, source_address=(source, 0)
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=30, source_address=(source, 0)
        )
    try:
        connection.request("GET", path, headers={"Host": HOST, **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_nginx_serves_lookups_over_tls_with_a_limit_per_real_client(
    nginx_in_front: tuple[int, int, dict],
) -> None:
    http_port, https_port, demo = nginx_in_front
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    path = "/C/" + url.split("/C/", 1)[1]
    assert url.lower() == f"https://{HOST}{path}".lower()  # QR text is upper case

    status, headers, _ = _get(http_port, path, {}, tls=False)
    assert status == 301 and headers["Location"] == f"https://{HOST}{path}"

    answers = []
    for n in range(4):
        # each request names another address; nginx appends the one it saw (127.0.0.5)
        forged = {"Accept": "application/json", "X-Forwarded-For": f"10.9.8.{n}"}
        answers.append(_get(https_port, path, forged, source="127.0.0.5"))
    assert [a[0] for a in answers] == [200, 200, 200, 429]
    assert json.loads(answers[0][2])["verdict"]["status"] == "genuine"
    assert "max-age=31536000" in answers[0][1]["Strict-Transport-Security"]
    assert int(answers[3][1]["Retry-After"]) > 0
    # gunicorn sees every request come from nginx (127.0.0.1); the limit is still per client
    other = _get(https_port, path, {"Accept": "application/json"}, source="127.0.0.6")
    assert other[0] == 200

    status, headers, _ = _get(https_port, "/?lang=en", {}, source="127.0.0.7")
    assert status == 200
    assert "lang=en" in headers["Set-Cookie"] and "Secure" in headers["Set-Cookie"]
