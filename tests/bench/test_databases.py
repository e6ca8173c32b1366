"""The benchmark reaches a PostgreSQL on this machine over its local socket, as
docs/deployment.md installs the service, and says in docs/performance.md how it connected."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bench.databases import PostgresLink, postgres_link


def _over_socket(link: PostgresLink) -> bool:
    """Whether a connection made with the link's URL really is a Unix-socket one."""
    url = make_url(link.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as connection:
        # NULL for a Unix-socket connection, the server's address over TCP
        return connection.execute("select inet_server_addr()").fetchone() == (None,)


def test_the_link_is_what_it_says_it_is(
    postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_POSTGRES_URL", postgres_admin_url)
    link = postgres_link()
    if link.transport.startswith("local socket"):
        assert _over_socket(link)
        assert make_url(link.url).username == make_url(postgres_admin_url).username
    else:
        assert link.url == postgres_admin_url and not _over_socket(link)
    if os.environ.get("CI") == "true":  # .ci/run lets the role log in over the socket
        assert link.transport.startswith("local socket /"), link.transport


def test_off_keeps_the_configured_tcp_url(
    postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_POSTGRES_URL", postgres_admin_url)
    monkeypatch.setenv("BENCH_POSTGRES_SOCKET", "off")
    link = postgres_link()
    assert link.url == postgres_admin_url
    assert link.transport == "TCP 127.0.0.1:5432"
    assert not _over_socket(link)


def test_another_host_is_used_as_configured_without_trying_a_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "postgresql+psycopg://bench:secret@db.example.cn:6543/postgres"
    monkeypatch.setenv("BENCH_POSTGRES_URL", url)
    assert postgres_link() == PostgresLink(url, "TCP db.example.cn:6543")


def test_a_socket_that_refuses_the_login_keeps_tcp_and_says_why(
    postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = make_url(postgres_admin_url).set(password="not-the-password")
    configured = wrong.render_as_string(hide_password=False)
    monkeypatch.setenv("BENCH_POSTGRES_URL", configured)
    link = postgres_link()
    assert link.url == configured
    assert link.transport.startswith("TCP 127.0.0.1:5432 (the local socket refused this login: ")
    assert "not-the-password" not in link.transport
