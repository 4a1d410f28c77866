"""One link checked against a real local server: each way a site fails, with its reason."""

from __future__ import annotations

import socket
import time

import pytest

from ato.links import checker
from ato.links.checker import Settings, check, check_all
from tests.links.conftest import TEST_TIMEOUT

LOCAL = Settings(timeout=TEST_TIMEOUT, allow_private=True)


def test_a_working_link_is_ok(web):
    outcome = check(web.url("/ok"), LOCAL)
    assert (outcome.ok, outcome.http_status, outcome.reason) == (True, 200, None)
    assert [m for m, _, _ in web.requests] == ["HEAD"]  # no body fetched when HEAD answers


def test_a_missing_page_is_broken_with_its_status(web):
    outcome = check(web.url("/absent"), LOCAL)
    assert (outcome.ok, outcome.http_status, outcome.reason) == (False, 404, "réponse 404")
    assert [m for m, _, _ in web.requests] == ["HEAD", "GET"]  # GET confirms before judging


def test_head_refused_then_get_accepted_is_ok(web):
    outcome = check(web.url("/head-refuse"), LOCAL)
    assert outcome.ok and outcome.http_status == 200
    assert [m for m, _, _ in web.requests] == ["HEAD", "GET"]


def test_a_slow_server_is_too_slow(web):
    started = time.monotonic()
    outcome = check(web.url("/lent"), LOCAL)
    assert (outcome.ok, outcome.reason) == (False, "réponse trop lente")
    assert time.monotonic() - started < web.slow_seconds  # never waited for the answer


def test_a_redirect_loop_is_detected(web):
    outcome = check(web.url("/boucle-a"), LOCAL)
    assert (outcome.ok, outcome.reason) == (False, "boucle de redirections")
    assert len(web.requests) == 2


def test_redirects_are_followed_up_to_the_limit(web):
    outcome = check(
        web.url("/chaine/0"), Settings(timeout=TEST_TIMEOUT, allow_private=True, max_redirects=3)
    )
    assert (outcome.ok, outcome.reason) == (False, "trop de redirections")
    assert len(web.requests) == 4  # the first request and three redirects


def test_a_huge_body_is_never_downloaded(web):
    started = time.monotonic()
    outcome = check(web.url("/gros"), LOCAL)
    assert outcome.ok and outcome.http_status == 200
    assert time.monotonic() - started < 2
    time.sleep(0.1)  # the server notices the hang-up
    assert web.sent < 20 * 1024 * 1024  # of 200 MB announced: only what the buffers took


def test_an_untrusted_certificate_is_a_tls_error(tls_web):
    outcome = check(tls_web.url("/ok"), LOCAL)
    assert (outcome.ok, outcome.reason) == (False, "certificat TLS invalide")
    assert tls_web.requests == []


def test_tls_is_verified_against_the_host_name_while_connecting_to_the_checked_address(
    tls_web, ca, tmp_path
):
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    settings = Settings(timeout=TEST_TIMEOUT, allow_private=True, ca_file=str(bundle))
    outcome = check(f"https://localhost:{tls_web.port}/ok", settings)
    assert outcome.ok, outcome.reason
    assert tls_web.requests == [("HEAD", "/ok", f"localhost:{tls_web.port}")]


def test_an_unknown_host_is_not_found():
    outcome = check("https://annuaire-introuvable.invalid/demande", LOCAL)
    assert (outcome.ok, outcome.reason) == (False, "hôte introuvable")


def test_a_closed_port_is_a_refused_connection():
    with socket.socket() as reserved:  # bound, never listening
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        outcome = check(f"http://127.0.0.1:{port}/", LOCAL)
    assert (outcome.ok, outcome.reason) == (False, "connexion refusée")


@pytest.mark.parametrize("url", ["ftp://exemple.fr/", "https:///sans-hote", "http://h:99999/"])
def test_a_malformed_address_is_invalid(url):
    assert check(url, LOCAL).reason == "adresse web invalide"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_private_addresses_are_refused_unless_allowed(web, host):
    outcome = check(f"http://{host}:{web.port}/ok", Settings(timeout=TEST_TIMEOUT))
    assert (outcome.ok, outcome.reason) == (False, "adresse privée refusée")
    assert web.requests == []  # nothing was sent


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # shared address space
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("0.0.0.0", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),
        ("ff02::1", True),
        ("8.8.8.8", False),
        ("2a00:1450:4007:80e::200e", False),
    ],
)
def test_which_addresses_are_refused(address, refused):
    import ipaddress

    assert checker.refused_address(ipaddress.ip_address(address)) is refused


def test_every_redirect_hop_is_checked(web, monkeypatch):
    """127.0.0.1 stands for a public site here; its redirect to 127.0.0.2 is refused."""
    real = checker.refused_address
    monkeypatch.setattr(checker, "refused_address", lambda a: str(a) != "127.0.0.1" and real(a))
    web.private_target = f"http://127.0.0.2:{web.port}/ok"
    outcome = check(web.url("/vers-prive"), Settings(timeout=TEST_TIMEOUT))
    assert (outcome.ok, outcome.reason) == (False, "adresse privée refusée")
    assert [p for _, p, _ in web.requests] == ["/vers-prive"]


def test_the_connection_goes_to_the_address_that_was_checked(web, monkeypatch):
    """A name that resolves elsewhere on a second lookup (DNS rebinding) is looked up once."""
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        if host == "annuaire-rebind.test":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    outcome = check(f"http://annuaire-rebind.test:{web.port}/ok", LOCAL)
    assert outcome.ok
    assert lookups == ["annuaire-rebind.test"]
    assert web.requests == [("HEAD", "/ok", f"annuaire-rebind.test:{web.port}")]


def test_each_url_is_checked_once_with_bounded_concurrency(web):
    urls = [web.url(f"/attente/{i}") for i in range(16)] * 2
    web.wait_seconds = 0.1
    outcomes = list(check_all(urls, LOCAL, concurrency=3))
    assert [o.url for o in outcomes] == urls[:16]
    assert all(o.ok for o in outcomes)
    assert len(web.requests) == 16
    assert web.max_in_flight == 3


def test_an_unexpected_error_is_recorded_and_does_not_stop_the_run(web, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(checker, "_follow", explode)
    outcomes = list(check_all([web.url("/ok"), web.url("/absent")], LOCAL, concurrency=2))
    assert [o.reason for o in outcomes] == [checker.UNEXPECTED] * 2
