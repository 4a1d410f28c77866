"""Queue mails in the outbox and deliver them after the commit.

``queue()`` only adds a row to the session (the caller commits it with the
change that caused it). ``deliver_due()`` sends what is due, one row at a time:
the row is claimed (attempts + 1, next attempt pushed back) and committed
*before* talking to SMTP, and marked sent the moment the server has accepted
the message — before the polite QUIT, however slow the server is to answer it.

The guarantee is *at least once*, not exactly once: SMTP cannot offer more. A
process killed in the instant between the server's acceptance and the commit of
``sent_at`` leaves the row to be sent again, with the same Message-ID (which
receiving servers and clients use to spot the duplicate). A server outage leaves
the row for a later attempt with exponential backoff; nothing is lost.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Callable, Collection
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from flask import current_app, g, has_request_context
from sqlalchemy import select, update

from ato.core.models import utcnow
from ato.extensions import db
from ato.mail.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_DELAY = timedelta(seconds=30)


class HeaderInjection(ValueError):
    """A header value contains a line break."""


def _header(value: str) -> str:
    # Every character Python's email package treats as a line break, not just CR/LF.
    if len(value.splitlines()) > 1 or any(
        c in value for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ):
        raise HeaderInjection("retour à la ligne interdit dans un en-tête de courriel")
    return value


def queue(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Add a mail to the outbox (in the caller's transaction); returns the row."""
    domain = current_app.config["ATO_MAIL_DOMAIN"]
    message = OutboxMessage(
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        recipient=_header(recipient),
        subject=_header(subject),
        body=body,
    )
    db.session.add(message)
    if has_request_context():
        g.setdefault("ato_queued_mail", []).append(message)
    return message


def build(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["ATO_MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(localtime=False)
    email.set_content(message.body)
    return email


def _tls_context() -> ssl.SSLContext:
    """Certificate and host name verified, against ``ATO_SMTP_CA_FILE`` or the system's CAs."""
    return ssl.create_default_context(cafile=current_app.config["ATO_SMTP_CA_FILE"] or None)


def _transport(
    email: EmailMessage,
    timeout: float | None = None,
    accepted: Callable[[], None] = lambda: None,
) -> None:
    """Hand one mail to the SMTP server (or write it as a file in development).

    ``accepted`` runs as soon as the server has accepted the message, before
    the connection's QUIT: the sender records the delivery there.
    """
    config = current_app.config
    host = config["ATO_SMTP_HOST"]
    if not host:  # development: one .eml file per message in the instance folder
        folder = Path(current_app.instance_path) / "mails"
        folder.mkdir(exist_ok=True)
        name = email["Message-ID"].strip("<>").split("@")[0]
        (folder / f"{name}.eml").write_bytes(bytes(email))
        log.info("Courriel écrit dans %s/%s.eml : %s", folder, name, email["Subject"])
        accepted()
        return
    timeout = timeout or config["ATO_SMTP_TIMEOUT"]
    security = config["ATO_SMTP_SECURITY"]
    if security == "tls":
        connection = smtplib.SMTP_SSL(
            host, config["ATO_SMTP_PORT"], timeout=timeout, context=_tls_context()
        )
    else:
        connection = smtplib.SMTP(host, config["ATO_SMTP_PORT"], timeout=timeout)
    with connection as smtp:
        if security == "starttls":
            # No plain-text fallback: a server without STARTTLS raises, the mail waits.
            smtp.starttls(context=_tls_context())
        if config["ATO_SMTP_USER"]:
            smtp.login(config["ATO_SMTP_USER"], config["ATO_SMTP_PASSWORD"])
        smtp.send_message(email)
        accepted()  # recorded now: a slow or lost QUIT must not cause a second delivery


def deliver_due(
    limit: int = 50, timeout: float | None = None, only: Collection[int] | None = None
) -> tuple[int, int]:
    """Send the due messages (``only`` these ids, when given); returns (sent, failed).

    Commits per message.
    """
    sent = failed = 0
    for _ in range(limit):
        now = utcnow()
        due = [
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts < MAX_ATTEMPTS,
        ]
        if only is not None:
            due.append(OutboxMessage.id.in_(only))
        message = db.session.scalar(
            select(OutboxMessage).where(*due).order_by(OutboxMessage.id).limit(1)
        )
        if message is None:
            break
        # Build the mail first: after the claim commits, nothing may reopen a transaction
        # (SQLite would hold its write lock for the whole SMTP conversation).
        try:
            email = build(message)
        except (ValueError, TypeError) as exc:  # a malformed row must not block the others
            email, build_error = None, exc
        # Claim: another sender skips it until the backoff expires.
        attempts = message.attempts + 1
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.attempts == message.attempts,
                OutboxMessage.sent_at.is_(None),
            )
            .values(attempts=attempts, next_attempt_at=now + BASE_DELAY * 2 ** (attempts - 1))
        ).rowcount
        message_pk = message.id
        db.session.commit()
        if not claimed:
            continue
        recorded = False

        def record_delivery(pk: int = message_pk) -> None:
            nonlocal recorded
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == pk)
                .values(sent_at=utcnow(), last_error=None)
            )
            db.session.commit()
            recorded = True

        try:
            if email is None:
                raise build_error
            _transport(email, timeout, accepted=record_delivery)
        except Exception as exc:  # noqa: BLE001 - recorded, retried later, never blocks others
            if recorded:  # accepted, then the goodbye failed: the mail is delivered
                log.warning("Courriel %s accepté, fin de connexion en erreur : %s", message_pk, exc)
                sent += 1
                continue
            failed += 1
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_pk)
                .values(last_error=f"{type(exc).__name__}: {exc}"[:500])
            )
            db.session.commit()
            log.warning("Envoi du courriel %s reporté : %s", message_pk, exc)
            continue
        sent += 1
    return sent, failed


def nudge() -> None:
    """After the commit of a request that queued mail, try to send *those* mails now.

    Best effort, never raises: what fails stays in the outbox for the sender
    (``flask ato outbox send``). Only the mails this request queued are
    tried, so that a public page never waits on someone else's backlog.
    """
    queued = g.pop("ato_queued_mail", [])
    if not queued:
        return
    try:
        ids = [message.id for message in queued if message.id is not None]
        # A short timeout: a slow mail server must not hold the person's page.
        deliver_due(limit=len(ids), timeout=2.0, only=ids)
    except Exception:  # the CLI sender will retry
        db.session.rollback()
        log.exception("Envoi immédiat des courriels impossible ; ils restent dans la file")
