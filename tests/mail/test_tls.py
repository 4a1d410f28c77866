"""Mail leaves over verified TLS: STARTTLS by default or implicit TLS, never a silent fallback
to plain text, and a certificate ATO cannot verify stops delivery (the mail waits)."""

import ssl

import pytest
import trustme
from sqlalchemy import select

from ato.config import ConfigError, load
from ato.extensions import db
from ato.mail import services
from ato.mail.models import OutboxMessage
from tests.conftest import PRODUCTION
from tests.smtp import SMTPServer

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def _server_context(ca) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def mail_server(app, ca, tmp_path):
    """Start a server with the given TLS mode, pointed at by the app's configuration."""
    servers = []
    keys = ("ATO_SMTP_HOST", "ATO_SMTP_PORT", "ATO_SMTP_SECURITY", "ATO_SMTP_CA_FILE")
    previous = {key: app.config[key] for key in keys}
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    def start(server_tls: dict, security: str, trust: bool = True) -> SMTPServer:
        server = SMTPServer(**server_tls)
        server.start()
        servers.append(server)
        app.config.update(
            ATO_SMTP_HOST="127.0.0.1",
            ATO_SMTP_PORT=server.port,
            ATO_SMTP_SECURITY=security,
            ATO_SMTP_CA_FILE=str(ca_file) if trust else "",
            ATO_SMTP_TIMEOUT=5,
        )
        return server

    yield start
    for server in servers:
        server.close()
    app.config.update(previous)


def _send_one():
    services.queue("destinataire@exemple.fr", "Sujet", "Corps du message.")
    db.session.commit()
    return services.deliver_due(timeout=5)


def test_starttls_with_a_verified_certificate_delivers_encrypted(mail_server, ca):
    server = mail_server({"tls_context": _server_context(ca)}, "starttls")
    assert _send_one() == (1, 0)
    assert server.recorder.encrypted == [True]


def test_implicit_tls_delivers_encrypted(mail_server, ca):
    server = mail_server({"ssl_context": _server_context(ca)}, "tls")
    assert _send_one() == (1, 0)
    assert server.recorder.encrypted == [True]


def test_a_certificate_ato_cannot_verify_stops_delivery(mail_server, ca):
    server = mail_server({"tls_context": _server_context(ca)}, "starttls", trust=False)
    assert _send_one() == (0, 1)
    assert server.messages == []
    (message,) = db.session.scalars(select(OutboxMessage))
    assert message.sent_at is None and "CERTIFICATE_VERIFY_FAILED" in message.last_error


def test_a_server_without_starttls_gets_nothing_in_plain_text(mail_server):
    server = mail_server({}, "starttls")
    assert _send_one() == (0, 1)
    assert server.messages == []


@pytest.mark.parametrize(
    ("host", "allowed", "refused"),
    [
        ("smtp.exemple.fr", False, True),
        ("smtp.exemple.fr", True, False),
        ("127.0.0.1", False, False),
    ],
)
def test_production_refuses_plain_smtp_to_another_host_unless_allowed(
    tmp_path, monkeypatch, host, allowed, refused
):
    monkeypatch.setenv("ATO_SMTP_HOST", host)
    monkeypatch.setenv("ATO_SMTP_SECURITY", "none")
    monkeypatch.setenv("ATO_SMTP_ALLOW_PLAINTEXT", "1" if allowed else "0")
    settings = {
        **PRODUCTION,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "SECRET_KEY": "cle-de-test-aleatoire-0123456789-abcdefgh",
        "ATO_BASE_URL": "https://ato.exemple.fr",
    }
    if refused:
        with pytest.raises(ConfigError, match="sans chiffrement"):
            load(str(tmp_path), settings)
    else:
        assert load(str(tmp_path), settings)["ATO_SMTP_SECURITY"] == "none"


def test_starttls_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("ATO_SMTP_SECURITY", raising=False)
    assert load(str(tmp_path), {"ATO_ENV": "development"})["ATO_SMTP_SECURITY"] == "starttls"
