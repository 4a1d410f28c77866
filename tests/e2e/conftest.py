"""End-to-end fixtures: the app under gunicorn (2 workers) and Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PRODUCTION, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
START_TIMEOUT = 30  # seconds for gunicorn to answer its first request


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def start_gunicorn(
    env: dict,
    log: Path,
    *,
    tls: tuple[str, str] | None = None,
    ssl_context=None,
    extra: tuple[str, ...] = (),
):
    """Serve ``wsgi:app`` with two workers on a free port; return (process, base URL).

    ``tls`` is a (certificate, key) pair of files: gunicorn then serves https.

    The port is bound here, once, and gunicorn inherits the listening socket
    (``--bind fd://N``): no other program can take the port between choosing it and
    serving on it. The first request waits in the socket's backlog until a worker
    accepts it, so no polling is needed; if gunicorn dies first, the last copy of the
    socket closes with it and the request fails at once.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    arguments = ["--workers", "2", "--bind", f"fd://{listener.fileno()}", "--access-logfile", "-"]
    if tls:
        arguments += ["--certfile", tls[0], "--keyfile", tls[1]]
    arguments += extra
    with listener, log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *arguments, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),),
        )
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        with urllib.request.urlopen(  # noqa: S310
            url + "/departements", timeout=START_TIMEOUT, context=ssl_context
        ) as response:
            started = response.status == 200
    except OSError:
        started = False
    if not started:
        process.kill()
        process.wait()
        pytest.fail("gunicorn did not start:\n" + log.read_text())
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def live_server(app, database_url, instance_path, tmp_path_factory) -> Iterator[dict]:
    """gunicorn serving ``wsgi:app`` on the test database with two workers."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "ATO_ENV": "test",
        "ATO_SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "ATO_INSTANCE_PATH": instance_path,
    }
    process, url = start_gunicorn(env, log)
    try:
        yield {"url": url, "pid": process.pid, "log": log}
    finally:
        stop(process)


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory):
    """A certificate authority made for this run, and a certificate it issued for 127.0.0.1."""
    import trustme

    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = folder / "cert.pem", folder / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    return {"ca": ca, "leaf": leaf, "cert": str(cert), "key": str(key)}


@pytest.fixture(scope="session")
def tls_server(app, database_url, instance_path, tmp_path_factory, tls_certificate):
    """The app as production runs it (ATO_ENV=production: Secure cookies, HSTS), over https."""
    import ssl

    log = tmp_path_factory.mktemp("gunicorn-tls") / "gunicorn.log"
    trusting_client = ssl.create_default_context()
    tls_certificate["ca"].configure_trust(trusting_client)
    env = {
        **os.environ,
        **{
            key: value
            for key, value in PRODUCTION.items()
            if key.startswith("ATO_LEGAL") or key == "ATO_ACCESSIBILITY_STATUS"
        },
        "ATO_ENV": "production",
        "ATO_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "ATO_RATELIMIT_KEY_PREFIX": f"ato-tls-{os.getpid()}",
        "ATO_SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "ATO_INSTANCE_PATH": instance_path,
        "ATO_BASE_URL": "https://127.0.0.1",  # mails are not read from this server
    }
    process, url = start_gunicorn(
        env,
        log,
        tls=(tls_certificate["cert"], tls_certificate["key"]),
        ssl_context=trusting_client,
    )
    try:
        yield {"url": url, "pid": process.pid, "log": log, "ssl_context": trusting_client}
    finally:
        stop(process)


def spki_fingerprint(certificate_pem: bytes) -> str:
    """Base64 SHA-256 of a certificate's public key, as Chromium's SPKI allow-list takes it."""
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def make_browser(tmp_path_factory, *, javascript: bool = True, arguments: tuple[str, ...] = ()):
    """Debian's Chromium, headless, driven by Debian's chromedriver (never a downloaded one)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail("chromium and chromium-driver are required: run `make test` (installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
        *arguments,
    ):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    driver = make_browser(tmp_path_factory)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def browser_without_javascript(tmp_path_factory):
    """The same Chromium with JavaScript disabled: what the pages must work in."""
    driver = make_browser(tmp_path_factory, javascript=False)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def tls_browser(tmp_path_factory, tls_certificate):
    """Chromium that accepts this run's certificate, and no other untrusted one.

    The SPKI allow-list pins the test certificate's key: the connection is real
    TLS, and Chromium treats the origin as secure (Secure cookies, Referer rules).
    """
    pin = spki_fingerprint(tls_certificate["leaf"].cert_chain_pems[0].bytes())
    driver = make_browser(
        tmp_path_factory, arguments=(f"--ignore-certificate-errors-spki-list={pin}",)
    )
    yield driver
    driver.quit()
