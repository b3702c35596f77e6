"""Fetch one http(s) URL for ingestion, without letting the URL reach places it should not.

A URL handed to storycheck may come from an untrusted list of sources, so fetching it is a
server-side request on the user's behalf. The guards here exist because of that:

* Only ``http`` and ``https``: other schemes (``file``, ``ftp``, ...) read local files or speak
  protocols we have no business speaking.
* Every address the host resolves to must be public (SSRF guard). Loopback, private, link-local
  (cloud metadata lives at 169.254.169.254), multicast, reserved and unspecified addresses are
  refused, including when they hide inside IPv6 (``::ffff:127.0.0.1``, 6to4), unless the user
  passes ``--allow-private`` (``Settings.allow_private_addresses``).
* The socket is opened to the very address that was checked, not to the host name again, so a
  DNS answer that changes between check and connect (DNS rebinding) cannot slip through. The
  ``Host`` header, TLS SNI and the certificate check still use the host name.
* Redirects are followed by hand, one hop at a time, so each hop goes through the same checks.
* Time, redirects and bytes (raw and decompressed) are all bounded, so a hostile or broken
  server cannot hang or flood a run.

Every failure becomes an ``InputError`` with a one-line reason: the CLI prints it and goes on.
Only the standard library is used, and environment proxies are deliberately ignored (a proxy
would connect to whatever it resolves, defeating the address check).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from storycheck.config import Settings
from storycheck.errors import InputError

_SCHEMES = {"http": 80, "https": 443}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Read size for the body: small enough to stop soon after the size cap, large enough to be cheap.
_CHUNK_BYTES = 64 * 1024
# Characters left as they are in the request target; anything else (spaces, non-ASCII) is
# percent-encoded, as browsers do, because http.client refuses them outright.
_TARGET_SAFE = "!#$%&'()*+,-./:;=?@[]_~"
_OVERRIDE_HINT = "pass --allow-private to fetch it anyway"

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (family, sockaddr) pairs as getaddrinfo gives them, ready for socket.connect().
_SockAddr = tuple[int, tuple]


@dataclass(frozen=True)
class Fetched:
    """What a successful fetch returns: the bytes and what the server said they are."""

    url: str  # as asked
    final_url: str  # after redirects
    content_type: str  # e.g. "text/html; charset=utf-8" ('' if absent)
    data: bytes


def fetch_url(url: str, settings: Settings) -> Fetched:
    """Fetch ``url`` with GET, following redirects, and return its (decompressed) body.

    Raises ``InputError(url, reason)`` for a refused URL or address, a network, TLS or HTTP
    failure, too many redirects, or a body larger than ``settings.max_document_bytes``.
    """
    current = url
    for _hop in range(settings.max_redirects + 1):
        scheme, host, port, target = _split_url(url, current)
        addresses = _vetted_addresses(url, current, host, port, settings)
        conn = _connection(scheme, host, port, addresses, settings.fetch_timeout_s)
        try:
            response = _send_get(conn, target, settings)
            if response.status in _REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise InputError(url, f"HTTP {response.status} redirect without a Location")
                current = urljoin(current, location.strip())
                continue
            if not 200 <= response.status < 300:
                status = " ".join(f"HTTP {response.status} {response.reason}".split())
                where = "" if current == url else f" from {current}"
                raise InputError(url, f"{status}{where}")
            data = _read_body(url, response, settings.max_document_bytes)
            content_type = response.getheader("Content-Type", "") or ""
            return Fetched(url=url, final_url=current, content_type=content_type, data=data)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise InputError(url, _describe(exc, settings.fetch_timeout_s)) from None
        finally:
            conn.close()
    raise InputError(url, f"more than {settings.max_redirects} redirects")


def _split_url(url: str, current: str) -> tuple[str, str, int, str]:
    """Return (scheme, ASCII host, port, request target) of ``current``, or refuse it.

    ``url`` is the URL as asked, named in errors; ``current`` may be a redirect hop.
    """
    hop = "" if current == url else f"redirect to {current}: "
    try:
        parts = urlsplit(current)
        port = parts.port
    except ValueError as exc:
        raise InputError(url, f"{hop}invalid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        shown = f"'{scheme}'" if scheme else "no scheme"
        raise InputError(url, f"{hop}unsupported URL scheme {shown}; only http and https")
    host = parts.hostname
    if not host:
        raise InputError(url, f"{hop}URL has no host")
    try:
        # Non-ASCII names go on the wire (DNS, Host, SNI) in their IDNA form.
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InputError(url, f"{hop}invalid host name '{host}'") from None
    target = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_TARGET_SAFE)
    return scheme, host, port or _SCHEMES[scheme], target


def _vetted_addresses(
    url: str, current: str, host: str, port: int, settings: Settings
) -> list[_SockAddr]:
    """Resolve ``host`` and return its addresses, refusing if any of them is not public.

    A literal IP address is judged before any system call, so refusing it touches no network.
    All resolved addresses are checked, not just the first, because the connection may end up
    on any of them.
    """
    hop = "" if current == url else f"redirect to {current}: "
    if not settings.allow_private_addresses:
        literal = _parse_ip(host)
        if literal is not None and _is_forbidden(literal):
            raise InputError(url, f"{hop}{host} is a non-public address; {_OVERRIDE_HINT}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(url, f"{hop}cannot resolve host '{host}': {reason}") from None
    addresses: list[_SockAddr] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = _parse_ip(str(sockaddr[0]))
        if ip is None:
            continue
        if not settings.allow_private_addresses and _is_forbidden(ip):
            raise InputError(
                url, f"{hop}host '{host}' resolves to non-public address {ip}; {_OVERRIDE_HINT}"
            )
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise InputError(url, f"{hop}cannot resolve host '{host}': no IP address")
    return addresses


def _parse_ip(text: str) -> _IPAddress | None:
    """The address ``text`` names literally, or None for a host name."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_forbidden(ip: _IPAddress) -> bool:
    """Whether ``ip`` is anything but a plain public unicast address.

    IPv6 forms that carry an IPv4 address (IPv4-mapped, 6to4) are judged by that IPv4 address:
    ``::ffff:127.0.0.1`` reaches loopback, and plain ``is_reserved`` would both miss that case
    for 6to4 and wrongly refuse mapped public addresses.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return _is_forbidden(embedded)
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        # Catches what the flags above miss, such as shared address space (100.64.0.0/10).
        or not ip.is_global
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection that opens its socket to vetted addresses, never re-resolving.

    ``host`` stays the name, so the Host header is what the server expects.
    """

    def __init__(self, host: str, port: int, addresses: list[_SockAddr], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _open_socket(self._addresses, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Like ``_PinnedHTTPConnection``, with TLS: SNI and the certificate check use the host name."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: list[_SockAddr],
        timeout: float,
        context: ssl.SSLContext,
    ):
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses
        self._tls = context

    def connect(self) -> None:
        raw = _open_socket(self._addresses, self.timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _tls_context() -> ssl.SSLContext:
    """System trust store, hostname check on: the defaults, named so tests can swap the CA."""
    return ssl.create_default_context()


def _connection(
    scheme: str, host: str, port: int, addresses: list[_SockAddr], timeout: float
) -> http.client.HTTPConnection:
    if scheme == "https":
        return _PinnedHTTPSConnection(host, port, addresses, timeout, _tls_context())
    return _PinnedHTTPConnection(host, port, addresses, timeout)


def _open_socket(addresses: list[_SockAddr], timeout: float | None) -> socket.socket:
    """Connect to the first vetted address that answers (as ``socket.create_connection`` does,
    but from addresses already resolved and checked)."""
    last_error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    assert last_error is not None  # _vetted_addresses never returns an empty list
    raise last_error


def _send_get(
    conn: http.client.HTTPConnection, target: str, settings: Settings
) -> http.client.HTTPResponse:
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8",
        # Only encodings we can decode (and cap) with the standard library.
        "Accept-Encoding": "gzip, identity",
        "Connection": "close",
    }
    conn.request("GET", target, headers=headers)
    return conn.getresponse()


def _read_body(url: str, response: http.client.HTTPResponse, limit: int) -> bytes:
    """Read the body, decompressing gzip, and refuse it once it grows past ``limit`` bytes.

    The cap applies to the bytes on the wire and to the decompressed bytes, so neither a huge
    download nor a small gzip bomb gets through. A Content-Length above the cap is refused
    before reading anything.
    """
    too_big = f"document larger than {limit} bytes (max_document_bytes)"
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > limit:
        raise InputError(url, f"{too_big}: Content-Length is {int(declared)}")
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise InputError(url, f"unsupported Content-Encoding '{encoding}'")

    chunks = _raw_chunks(url, response, limit, too_big)
    if encoding == "identity":
        return b"".join(chunks)
    try:
        return _gunzip(url, chunks, limit, too_big)
    except zlib.error as exc:
        raise InputError(url, f"corrupt gzip body ({exc})") from None


def _raw_chunks(
    url: str, response: http.client.HTTPResponse, limit: int, too_big: str
) -> Iterator[bytes]:
    """The body as it comes off the wire, in chunks, stopping once it passes ``limit``."""
    received = 0
    while chunk := response.read(_CHUNK_BYTES):
        received += len(chunk)
        if received > limit:
            raise InputError(url, too_big)
        yield chunk


def _gunzip(url: str, chunks: Iterator[bytes], limit: int, too_big: str) -> bytes:
    """Decompress a gzip stream (several members allowed) without ever holding more than
    ``limit`` + 1 decompressed bytes, so a gzip bomb is stopped early."""
    out = bytearray()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    in_member = False  # fed bytes of a gzip member that has not ended yet
    for chunk in chunks:
        pending = chunk
        while pending:
            in_member = True
            # max_length >= 1 always (0 would mean "no limit"): we stop as soon as out > limit.
            out += inflater.decompress(pending, limit + 1 - len(out))
            if len(out) > limit:
                raise InputError(url, f"{too_big} after gzip decompression")
            pending = inflater.unconsumed_tail
            if inflater.eof:
                # Another gzip member may follow the one just finished.
                pending = inflater.unused_data
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                in_member = False
    if in_member:
        raise InputError(url, "truncated gzip body")
    return bytes(out)


def _describe(exc: BaseException, timeout: float) -> str:
    """A short one-line reason for a network, TLS or protocol failure."""
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or exc.reason or "verification failed"
        return f"TLS certificate check failed: {detail}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.IncompleteRead):
        return "connection closed before the whole body arrived"
    if isinstance(exc, http.client.HTTPException):
        detail = str(exc) or type(exc).__name__
        return f"bad HTTP response: {_one_line(detail)}"
    if isinstance(exc, OSError) and exc.strerror:
        return _one_line(exc.strerror).lower()
    return _one_line(str(exc) or type(exc).__name__)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
