"""The outbox: queued in the caller's transaction, delivered once, retried with backoff."""

from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from ato.extensions import db
from ato.mail import services
from ato.mail.models import OutboxMessage

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_queued_mail_is_delivered_once_with_its_message_id(smtp):
    message = services.queue("a@exemple.fr", "Objet", "Corps du message")
    db.session.commit()
    assert services.deliver_due() == (1, 0)
    assert services.deliver_due() == (0, 0)
    (received,) = smtp.messages
    assert received["Message-ID"] == message.message_id
    assert received["To"] == "a@exemple.fr" and received["Subject"] == "Objet"


def test_a_rolled_back_transaction_sends_nothing(smtp):
    services.queue("a@exemple.fr", "Objet", "Corps")
    db.session.rollback()
    assert services.deliver_due() == (0, 0)
    assert smtp.messages == []


def test_smtp_outage_is_retried_with_backoff(smtp):
    smtp.stop()
    services.queue("a@exemple.fr", "Objet", "Corps")
    db.session.commit()
    assert services.deliver_due() == (0, 1)
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.attempts == 1 and row.sent_at is None and "Error" in row.last_error
    smtp.start()
    assert services.deliver_due() == (0, 0)  # not due yet
    with freeze_time(timedelta(seconds=31), tick=True):
        assert services.deliver_due() == (1, 0)
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("field", ["recipient", "subject"])
def test_line_breaks_never_reach_a_header(field):
    values = {"recipient": "a@exemple.fr", "subject": "Objet", "body": "x"}
    values[field] = "x\r\nBcc: victime@exemple.fr"
    with pytest.raises(services.HeaderInjection):
        services.queue(**values)


def test_without_smtp_host_mails_are_written_as_eml_files(app):
    services.queue("a@exemple.fr", "Objet", "Corps")
    db.session.commit()
    assert app.config["ATO_SMTP_HOST"] == ""
    assert services.deliver_due() == (1, 0)
    files = list((Path(app.instance_path) / "mails").glob("*.eml"))
    assert any(b"Subject: Objet" in f.read_bytes() for f in files)


def test_outbox_send_command(runner, smtp):
    services.queue("a@exemple.fr", "Objet", "Corps")
    db.session.commit()
    result = runner.invoke(args=["ato", "outbox", "send"])
    assert result.exit_code == 0 and "1 envoyé," in result.output


def test_a_malformed_message_is_recorded_and_does_not_block_the_others(smtp):
    bad = services.queue("a@exemple.fr", "Objet", "Corps")
    services.queue("b@exemple.fr", "Objet", "Corps")
    db.session.commit()
    db.session.execute(
        db.update(OutboxMessage).where(OutboxMessage.id == bad.id).values(subject="x\u2028y")
    )
    db.session.commit()
    assert services.deliver_due() == (1, 1)
    assert [m["To"] for m in smtp.messages] == ["b@exemple.fr"]
    assert db.session.get(OutboxMessage, bad.id).last_error


def _another_request(app):
    """A fresh application context: each request has its own (and its own ``g``)."""
    return app.app_context()


def test_a_request_sends_only_the_mails_it_queued(app, smtp):
    """A public POST must not carry someone else's backlog: the outbox sender does that."""
    with _another_request(app), app.test_request_context("/admin/", method="POST"):
        services.queue("backlog@exemple.fr", "En attente", "Courriel d'un autre envoi.")
        db.session.commit()
    with _another_request(app), app.test_request_context("/inscription", method="POST"):
        services.queue("requis@exemple.fr", "Accusé de réception", "Votre demande.")
        db.session.commit()
        services.nudge()
    assert [m["To"] for m in smtp.messages] == ["requis@exemple.fr"]
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
    assert [m.recipient for m in waiting] == ["backlog@exemple.fr"]


def test_a_nudge_without_queued_mail_sends_nothing(app, smtp):
    with _another_request(app), app.test_request_context("/admin/", method="POST"):
        services.queue("backlog@exemple.fr", "En attente", "Courriel d'un autre envoi.")
        db.session.commit()
    with _another_request(app), app.test_request_context("/", method="POST"):
        services.nudge()
    assert smtp.messages == []


def test_a_mail_is_recorded_as_sent_before_a_slow_goodbye(app):
    """A worker killed while the server drags its QUIT must not deliver the mail twice."""
    import threading

    from tests.smtp import SMTPServer

    quit_received, release = threading.Event(), threading.Event()

    class SlowGoodbye:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            return "250 OK"

        async def handle_QUIT(self, server, session, envelope):  # noqa: N802
            import asyncio

            quit_received.set()
            while not release.is_set():
                await asyncio.sleep(0.01)
            return "221 Bye"

    server = SMTPServer()
    server.recorder = SlowGoodbye()
    server.start()
    keys = ("ATO_SMTP_HOST", "ATO_SMTP_PORT", "ATO_SMTP_SECURITY")
    previous = {key: app.config[key] for key in keys}
    app.config.update(
        ATO_SMTP_HOST="127.0.0.1", ATO_SMTP_PORT=server.port, ATO_SMTP_SECURITY="none"
    )
    try:
        services.queue("destinataire@exemple.fr", "Sujet", "Corps.")
        db.session.commit()
        result = []

        def send():
            with app.app_context():
                result.append(services.deliver_due(timeout=10))

        sender = threading.Thread(target=send)
        sender.start()
        assert quit_received.wait(10)
        with app.app_context(), db.engine.connect() as connection:  # what a restart would see
            sent_at = connection.execute(select(OutboxMessage.sent_at)).scalar_one()
        release.set()
        sender.join(10)
    finally:
        release.set()
        server.close()
        app.config.update(previous)
    assert sent_at is not None  # recorded while the server was still saying goodbye
    assert result == [(1, 0)]
