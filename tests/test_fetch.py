"""Tests for storycheck.ingest.fetch against a local server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storycheck.config import Settings
from storycheck.errors import InputError
from storycheck.ingest import fetch
from storycheck.ingest.fetch import Fetched, fetch_url

PAGE = b"<html><head><title>Hi</title></head><body><p>Hello, world.</p></body></html>"
LIMIT = 4096  # max_document_bytes used where the size cap matters


class _Handler(BaseHTTPRequestHandler):
    """Routes by path; counts requests on the server so tests can tell it was never reached."""

    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append((self.path, dict(self.headers.items())))
        path = self.path
        if path == "/page":
            self._send(200, PAGE, "text/html; charset=utf-8")
        elif path == "/echo":
            self._send(200, repr(dict(self.headers.items())).encode(), "text/plain")
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            # Relative Location for most hops, one absolute one, to check both are resolved.
            if left == 0:
                location = "/page"
            elif left == 2:
                location = f"http://127.0.0.1:{self.server.server_port}/hop/1"
            else:
                location = f"{left - 1}"
            self._redirect(302 if left % 2 else 308, location)
        elif path == "/loop":
            self._redirect(301, "/loop")
        elif path == "/to-private":
            self._redirect(302, "http://10.0.0.1/")
        elif path == "/to-file":
            self._redirect(302, "file:///etc/passwd")
        elif path == "/big":
            self._send(200, b"x" * (LIMIT + 1), "text/plain")
        elif path == "/big-unsized":
            # No Content-Length: HTTP/1.0 body delimited by closing the connection.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(8):
                self.wfile.write(b"y" * 1024)
        elif path == "/exact":
            self._send(200, b"z" * LIMIT, "text/plain")
        elif path == "/gzip":
            self._send(200, gzip.compress(PAGE), "text/html", encoding="gzip")
        elif path == "/gzip-two-members":
            body = gzip.compress(b"first ") + gzip.compress(b"second")
            self._send(200, body, "text/plain", encoding="gzip")
        elif path == "/gzip-bomb":
            self._send(200, gzip.compress(b"\0" * (LIMIT * 50)), "text/plain", encoding="gzip")
        elif path == "/gzip-truncated":
            self._send(200, gzip.compress(PAGE)[:-12], "text/html", encoding="gzip")
        elif path == "/brotli":
            self._send(200, b"not really brotli", "text/html", encoding="br")
        elif path == "/slow-headers":
            self.server.release.wait(3)
            self._send(200, PAGE, "text/html")
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE[:10])
            self.wfile.flush()
            self.server.release.wait(3)
        else:
            self.send_error(404)

    def _send(self, status: int, body: bytes, content_type: str, encoding: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()  # set at teardown so slow handlers end at once

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out or hang up mid-response are expected here


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=2)


def _base(srv: _Server) -> str:
    return f"http://127.0.0.1:{srv.server_port}"


@pytest.fixture
def local() -> Settings:
    """Settings that may reach the local test server, with small limits to keep tests fast."""
    return dataclasses.replace(
        Settings(), allow_private_addresses=True, fetch_timeout_s=0.5, max_document_bytes=LIMIT
    )


def _fake_dns(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> list[str]:
    """Answer getaddrinfo from ``table`` (no real DNS); returns the list of names looked up."""
    asked: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        asked.append(host)
        out = []
        for ip in table[host]:
            if ":" in ip:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


# --- refusals under default settings --------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_default_settings_refuse_loopback_without_reaching_server(
    server: _Server, host: str
) -> None:
    url = f"http://{host}:{server.server_port}/page"
    with pytest.raises(InputError) as info:
        fetch_url(url, Settings())
    assert "--allow-private" in str(info.value)
    assert info.value.where == url
    assert server.requests == []


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "[fe80::1]",
        "[2002:7f00:1::1]",  # 6to4 wrapping 127.0.0.1
    ],
)
def test_literal_private_addresses_refused_before_any_connection(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(InputError, match="--allow-private"):
        fetch_url(f"http://{host}/latest/meta-data/", Settings())


def test_host_resolving_to_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"mixed.test": ["93.184.216.34", "10.1.2.3"]})
    monkeypatch.setattr(socket, "socket", None)  # must not get as far as connecting
    with pytest.raises(InputError) as info:
        fetch_url("https://mixed.test/story", Settings())
    message = str(info.value)
    assert "mixed.test" in message and "10.1.2.3" in message and "--allow-private" in message


def test_redirect_hop_is_vetted_too(server: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend the test server's own address is public, so only the redirect target is at fault.
    real = fetch._is_forbidden
    loopback = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(fetch, "_is_forbidden", lambda ip: ip != loopback and real(ip))
    with pytest.raises(InputError) as info:
        fetch_url(f"{_base(server)}/to-private", Settings())
    assert "redirect to http://10.0.0.1/" in str(info.value)
    assert "--allow-private" in str(info.value)
    assert [path for path, _ in server.requests] == ["/to-private"]


@pytest.mark.parametrize(
    "url", ["ftp://example.com/file.txt", "file:///etc/passwd", "gopher://x/", "example.com/a"]
)
def test_other_schemes_refused(url: str) -> None:
    with pytest.raises(InputError, match="scheme"):
        fetch_url(url, Settings())


def test_redirect_to_file_scheme_refused(server: _Server, local: Settings) -> None:
    with pytest.raises(InputError, match="scheme 'file'"):
        fetch_url(f"{_base(server)}/to-file", local)


# --- fetching from the local server ---------------------------------------------------------


def test_fetches_page_with_content_type_and_user_agent(server: _Server, local: Settings) -> None:
    url = f"{_base(server)}/page"
    got = fetch_url(url, local)
    assert got == Fetched(
        url=url, final_url=url, content_type="text/html; charset=utf-8", data=PAGE
    )
    _, headers = server.requests[0]
    assert headers["User-Agent"] == local.user_agent
    assert "gzip" in headers["Accept-Encoding"]


def test_follows_redirect_chain(server: _Server, local: Settings) -> None:
    url = f"{_base(server)}/hop/4"
    got = fetch_url(url, local)
    assert got.url == url
    assert got.final_url == f"{_base(server)}/page"
    assert got.data == PAGE
    paths = [path for path, _ in server.requests]
    assert paths == ["/hop/4", "/hop/3", "/hop/2", "/hop/1", "/hop/0", "/page"]


def test_too_many_redirects(server: _Server, local: Settings) -> None:
    with pytest.raises(InputError, match="more than 5 redirects"):
        fetch_url(f"{_base(server)}/loop", local)
    assert len(server.requests) == 6  # the first request and 5 followed redirects
    with pytest.raises(InputError, match="more than 2 redirects"):
        fetch_url(f"{_base(server)}/hop/4", dataclasses.replace(local, max_redirects=2))


@pytest.mark.parametrize("path", ["/big", "/big-unsized"])
def test_body_over_limit_is_refused(server: _Server, local: Settings, path: str) -> None:
    with pytest.raises(InputError, match=f"larger than {LIMIT} bytes"):
        fetch_url(f"{_base(server)}{path}", local)


def test_body_at_limit_is_accepted(server: _Server, local: Settings) -> None:
    assert fetch_url(f"{_base(server)}/exact", local).data == b"z" * LIMIT


def test_http_error_names_status(server: _Server, local: Settings) -> None:
    url = f"{_base(server)}/missing"
    with pytest.raises(InputError) as info:
        fetch_url(url, local)
    assert info.value.where == url
    assert info.value.reason == "HTTP 404 Not Found"


@pytest.mark.parametrize(
    ("path", "data"),
    [("/gzip", PAGE), ("/gzip-two-members", b"first second")],
)
def test_gzip_body_is_decoded(server: _Server, local: Settings, path: str, data: bytes) -> None:
    assert fetch_url(f"{_base(server)}{path}", local).data == data


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/gzip-bomb", "after gzip decompression"),
        ("/gzip-truncated", "truncated gzip"),
        ("/brotli", "unsupported Content-Encoding 'br'"),
    ],
)
def test_bad_encoded_bodies_are_refused(
    server: _Server, local: Settings, path: str, reason: str
) -> None:
    with pytest.raises(InputError, match=reason):
        fetch_url(f"{_base(server)}{path}", local)


@pytest.mark.parametrize("path", ["/slow-headers", "/slow-body"])
def test_slow_server_times_out(server: _Server, local: Settings, path: str) -> None:
    with pytest.raises(InputError) as info:
        fetch_url(f"{_base(server)}{path}", local)
    assert info.value.reason == "timed out after 0.5 s"


def test_connection_refused_is_one_line(local: Settings) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InputError) as info:
        fetch_url(f"http://127.0.0.1:{port}/", local)
    assert info.value.reason == "connection refused"


def test_connects_to_vetted_address_and_keeps_host_header(
    server: _Server, local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebinding DNS answer: 127.0.0.1 when checked, then an address nothing listens on. Only
    # a fetch that connects to the checked address (and resolves once) succeeds.
    answers = iter([["127.0.0.1"]] + [["127.0.0.2"]] * 5)
    asked: list[str] = []

    def rebinding(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        asked.append(host)
        ips = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ips]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    got = fetch_url(f"http://news.test:{server.server_port}/echo", local)
    assert asked == ["news.test"]
    assert f"'Host': 'news.test:{server.server_port}'" in got.data.decode()


def test_https_to_plain_http_server_is_tls_error(server: _Server, local: Settings) -> None:
    with pytest.raises(InputError) as info:
        fetch_url(f"https://127.0.0.1:{server.server_port}/page", local)
    assert info.value.reason.startswith("TLS error")
    assert "\n" not in str(info.value)


# --- https with a throwaway certificate (needs the openssl command) ---------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[_Server, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=news.test"),
            *("-addext", "subjectAltName=DNS:news.test"),
        ],
        check=True,
        capture_output=True,
        timeout=10,
    )
    srv = _Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield srv, cert
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=2)


def test_https_checks_certificate_against_host_name(
    tls_server: tuple[_Server, Path], local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, cert = tls_server
    monkeypatch.setattr(fetch, "_tls_context", lambda: ssl.create_default_context(cafile=cert))
    _fake_dns(monkeypatch, {"news.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})

    got = fetch_url(f"https://news.test:{srv.server_port}/page", local)
    assert got.data == PAGE

    with pytest.raises(InputError) as info:
        fetch_url(f"https://other.test:{srv.server_port}/page", local)
    assert info.value.reason.startswith("TLS certificate check failed")
    assert "other.test" in info.value.reason
