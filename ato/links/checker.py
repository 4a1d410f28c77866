"""Reach one web address as a requérant's browser would, safely and briefly.

:func:`check` sends ``HEAD`` and, when the server refuses or fails it (405, 501,
any other error status, a broken connection), ``GET``. Redirects are followed
up to ``max_redirects`` hops; a hop that comes back to an address already seen
is a loop. A ``GET`` body is read to ``max_body`` bytes at most, then the
connection is closed: a huge file costs a few KB. Connecting and each read wait
``timeout`` seconds at most, and a whole check stops after ``3 × timeout``
(a server that trickles its body byte by byte is "réponse trop lente").

Server-side request forgery: unless ``allow_private`` (tests only, refused in
production), every hop's host is resolved once and refused if any of its
addresses is private, loopback, link-local, multicast, reserved or unspecified.
The connection then goes to the very address that was checked (the host name is
still sent for TLS — SNI and certificate verification — and in ``Host``), so a
DNS answer that changes between the check and the connection (rebinding) is not
followed. Residual risks: name resolution has no timeout of its own (the
system resolver's applies), and a server that trickles its *headers* is only
bounded by the read timeout between two packets.

Nothing here touches the database or Flask: :func:`check` never raises, every
failure comes back as an :class:`Outcome` with a French reason.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3 import exceptions as http_errors

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "ATO-verification-des-liens/1.0 (annuaire de tele-expertise d'Occitanie)"

# The reasons staff read and contacts receive (French, no third-party text).
HOST_NOT_FOUND = "hôte introuvable"
PRIVATE_REFUSED = "adresse privée refusée"
INVALID_URL = "adresse web invalide"
CONNECT_TIMEOUT = "délai dépassé"
TOO_SLOW = "réponse trop lente"
LOOP = "boucle de redirections"
TOO_MANY_REDIRECTS = "trop de redirections"
TLS_CERTIFICATE = "certificat TLS invalide"
TLS_OTHER = "connexion sécurisée impossible"
REFUSED = "connexion refusée"
INTERRUPTED = "réponse interrompue ou invalide"
UNEXPECTED = "erreur inattendue lors de la vérification"


def status_reason(status: int) -> str:
    return f"réponse {status}"


@dataclass(frozen=True)
class Settings:
    timeout: float = 5.0
    max_redirects: int = 5
    allow_private: bool = False
    max_body: int = 4096
    ca_file: str | None = None  # a CA bundle, else the system's
    _tls: ssl.SSLContext | None = field(default=None, compare=False, repr=False)

    def tls_context(self) -> ssl.SSLContext:
        """One verifying context per run (thread-safe for wrapping sockets)."""
        if self._tls is None:
            context = ssl.create_default_context(cafile=self.ca_file or None)
            object.__setattr__(self, "_tls", context)
        return self._tls  # type: ignore[return-value]


@dataclass(frozen=True)
class Outcome:
    url: str
    ok: bool
    http_status: int | None = None
    reason: str | None = None  # French, None when the link works


class Failure(Exception):
    """One attempt failed; ``retry_with_get`` when a GET might still succeed."""

    def __init__(self, reason: str, http_status: int | None = None, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status
        self.retry_with_get = retry


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address a server-side check must never reach."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def resolve(host: str, port: int, settings: Settings) -> str:
    """The address to connect to, after the SSRF check of every address of ``host``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Failure(HOST_NOT_FOUND, retry=False) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise Failure(HOST_NOT_FOUND, retry=False)
    if not settings.allow_private and any(refused_address(a) for a in addresses):
        raise Failure(PRIVATE_REFUSED, retry=False)
    return str(addresses[0])


def check(url: str, settings: Settings) -> Outcome:
    """Whether ``url`` answers (2xx after redirects); never raises."""
    deadline = time.monotonic() + 3 * settings.timeout
    try:
        try:
            status = _follow(url, "HEAD", settings, deadline)
            if status < 400:
                return Outcome(url, True, status)
        except Failure as failure:
            if not failure.retry_with_get:
                return Outcome(url, False, failure.http_status, failure.reason)
        # Refused (405/501), another error status or a failed HEAD: a browser sends GET.
        deadline = max(deadline, time.monotonic() + settings.timeout)
        status = _follow(url, "GET", settings, deadline)
    except Failure as failure:
        return Outcome(url, False, failure.http_status, failure.reason)
    except Exception:  # one odd server must never stop the run
        log.exception("Vérification de %s impossible", url)
        return Outcome(url, False, None, UNEXPECTED)
    if status < 400:
        return Outcome(url, True, status)
    return Outcome(url, False, status, status_reason(status))


def check_all(
    urls: Iterable[str],
    settings: Settings,
    concurrency: int,
    checker: Callable[[str, Settings], Outcome] = check,
) -> Iterator[Outcome]:
    """Check each URL once, at most ``concurrency`` at a time, in the order given."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        yield from pool.map(lambda url: checker(url, settings), dict.fromkeys(urls))


def _follow(url: str, method: str, settings: Settings, deadline: float) -> int:
    """The final status of ``url`` after its redirects."""
    seen: set[str] = set()
    current = url
    for _ in range(settings.max_redirects + 1):
        if current in seen:
            raise Failure(LOOP, retry=False)
        seen.add(current)
        status, location = _request(current, method, settings, deadline)
        if status in REDIRECT_STATUSES and location:
            current = urljoin(current, location)
            continue
        if status >= 400:
            raise Failure(status_reason(status), status)
        return status
    raise Failure(TOO_MANY_REDIRECTS, retry=False)


def _request(url: str, method: str, settings: Settings, deadline: float) -> tuple[int, str | None]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Failure(INVALID_URL, retry=False) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failure(INVALID_URL, retry=False)
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise Failure(INVALID_URL, retry=False) from exc
    secure = parts.scheme == "https"
    port = port or (443 if secure else 80)
    if time.monotonic() > deadline:
        raise Failure(TOO_SLOW)
    address = resolve(host, port, settings)
    timeout = Timeout(connect=settings.timeout, read=settings.timeout)
    pool: HTTPConnectionPool
    if secure:
        pool = HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            ssl_context=settings.tls_context(),
            server_hostname=host,
            assert_hostname=host,
        )
    else:
        pool = HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = parts.netloc.rpartition("@")[2]  # credentials in a URL are never sent
    headers = {"Host": netloc, "User-Agent": USER_AGENT, "Accept": "*/*"}
    try:
        response = pool.urlopen(
            method,
            target,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=False,
            assert_same_host=False,
        )
        try:
            if method == "GET":
                _read_some(response, settings.max_body, deadline)
            return response.status, response.headers.get("Location")
        finally:
            response.close()  # never read the rest, never reuse the connection
    except http_errors.SSLError as exc:
        certificate = "certificate" in str(exc).lower()
        raise Failure(TLS_CERTIFICATE if certificate else TLS_OTHER, retry=False) from exc
    except http_errors.NewConnectionError as exc:
        raise Failure(REFUSED) from exc
    except http_errors.ConnectTimeoutError as exc:
        raise Failure(CONNECT_TIMEOUT) from exc
    except http_errors.ReadTimeoutError as exc:
        raise Failure(TOO_SLOW) from exc
    except http_errors.LocationParseError as exc:
        raise Failure(INVALID_URL, retry=False) from exc
    except (http_errors.HTTPError, OSError) as exc:
        raise Failure(INTERRUPTED) from exc
    finally:
        pool.close()


def _read_some(response: object, limit: int, deadline: float) -> None:
    """Read at most ``limit`` bytes of the body, within the deadline."""
    received = 0
    while received < limit:
        chunk = response.read(min(1024, limit - received), decode_content=False)  # type: ignore[attr-defined]
        if not chunk:
            return
        received += len(chunk)
        if time.monotonic() > deadline:
            raise Failure(TOO_SLOW)
