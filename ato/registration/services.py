"""Registration operations. They flush; the view commits once.

A submission is saved (pending requis + ``Demande`` + outbox mails) in one
transaction before anything else happens; the mails leave after the commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from ato.core import audit
from ato.core.audit import Action, Subject
from ato.core.errors import DomainError
from ato.core.models import utcnow
from ato.directory import entries, labels
from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.mail import services as mail
from ato.mail.models import OutboxMessage
from ato.registration.models import (
    CategorieSignalement,
    ConfirmationLink,
    Demande,
    NatureDemande,
    Signalement,
    StatutDemande,
)
from ato.web import PARIS, external_url

MAGIC_LINK_MAX_AGE = 7 * 24 * 3600
CONFIRMATION_DAYS = 30


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def valid_idempotency_key(key: str | None) -> bool:
    """A key as this server makes them (anything else is replaced, never stored)."""
    return bool(key) and re.fullmatch(r"[A-Za-z0-9_-]{20,64}", key) is not None


def tracking_token(idempotency_key: str) -> str:
    """The private tracking token of a request: the same form always gets the same one."""
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, b"suivi:" + idempotency_key.encode(), hashlib.sha256).digest()
    return secrets.base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_by_token(token: str) -> Demande | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Demande).where(Demande.token_hash == token_hash(token)))


def find_by_key(key: str) -> Demande | None:
    return db.session.scalar(select(Demande).where(Demande.idempotency_key == key))


# --- the tracking page ---------------------------------------------------------------------------

OPEN_STATUTS = (StatutDemande.RECUE, StatutDemande.EN_COURS)
ESTIMATE_WINDOW = timedelta(days=90)
ESTIMATE_MIN_DECIDED = 5  # fewer decisions than this make no honest estimate


@dataclass(frozen=True)
class Estimate:
    """What the queue says about an open request: how many come before it, how long it takes.

    ``median`` is the median time from sending to decision of the requests
    decided in the last :data:`ESTIMATE_WINDOW`, or None when fewer than
    :data:`ESTIMATE_MIN_DECIDED` were (``decided`` says how many).
    """

    ahead: int
    decided: int
    median: timedelta | None

    @property
    def typical(self) -> str | None:
        """The median in words, or None when there is none."""
        return None if self.median is None else duration_words(self.median)


def estimate(demande: Demande, now: datetime | None = None) -> Estimate:
    """The live queue's answer for ``demande`` (staff's own revisions are not requests)."""
    since = (now or utcnow()) - ESTIMATE_WINDOW
    from_public = Demande.auteur_id.is_(None)
    decided = db.session.execute(
        select(Demande.created_at, Demande.decided_at).where(
            from_public, Demande.decided_at.is_not(None), Demande.decided_at >= since
        )
    ).all()
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Demande)
        .where(
            from_public,
            Demande.statut.in_(OPEN_STATUTS),
            Demande.id != demande.id,
            Demande.created_at < demande.created_at,
        )
    )
    durations = [decided_at - created_at for created_at, decided_at in decided]
    median = statistics.median(durations) if len(durations) >= ESTIMATE_MIN_DECIDED else None
    return Estimate(ahead=ahead or 0, decided=len(durations), median=median)


def duration_words(duration: timedelta) -> str:
    """A typical wait in words, rounded as people say it: ``environ 5 h``, ``environ 3 jours``."""
    hours = max(1, int(duration.total_seconds() / 3600 + 0.5))  # halves round up
    if hours < 24:
        return f"environ {hours} h"
    days = int(hours / 24 + 0.5)
    return "environ 1 jour" if days == 1 else f"environ {days} jours"


def readable_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A sent entry as people read it: every code and slug in words (see ``labels``).

    Identity fields left empty are None; each service says its coverage and
    its channels as sentences.
    """
    words = labels.Vocabulary.load()
    requis = {
        key: words.value(key, value) if value not in (None, "") else None
        for key, value in entry["requis"].items()
    }
    services = []
    for s in entry["services"]:
        service = {
            key: words.value(key, s.get(key)) if s.get(key) not in (None, "", []) else None
            for key in ("nom", "specialite", "thematiques", "description", "demandeurs", "pieces")
        }
        service["disponibilite"] = s.get("disponibilite") or None
        service["public"] = words.value("public", s.get("public"))
        service["delai"] = words.value("delai_minutes", s.get("delai_minutes"))
        service["couverture"] = (
            "toute l'Occitanie"
            if s.get("regional")
            else words.value("departements", s.get("departements"))
        )
        service["canaux"] = [words.channel(c) for c in s.get("canaux") or []]
        services.append(service)
    return {"nature": entry["nature"], "requis": requis, "services": services}


# --- operations ---------------------------------------------------------------------------------


def submit(entry: dict[str, Any], idempotency_key: str) -> tuple[Demande, str]:
    """Record a new registration request (pending entry, request, mails). Flushes.

    Returns the request and its tracking token. The caller commits; an
    ``IntegrityError`` at that point means the same form (idempotency key) or
    the same identifier was committed concurrently.
    """
    requis = entries.new_requis(entry, Statut.EN_ATTENTE)
    return _new_demande(NatureDemande.INSCRIPTION, requis, entry, idempotency_key)


def resubmit(demande: Demande, entry: dict[str, Any], token: str) -> None:
    """The submitter completes a request sent back to them ("à compléter"). Flushes."""
    demande.payload = entry
    demande.statut = StatutDemande.RECUE
    demande.message = None
    demande.submissions += 1
    demande.resubmitted_at = utcnow()
    demande.contact_email = entry["contact"]["email"]
    if demande.nature == NatureDemande.INSCRIPTION:
        entries.apply(demande.requis, entry)
    _queue_mails(demande, token, new=False)
    db.session.flush()


def propose_update(
    requis: Requis, entry: dict[str, Any], idempotency_key: str
) -> tuple[Demande, str]:
    """A pending revision of a published entry: nothing published changes. Flushes."""
    return _new_demande(NatureDemande.MODIFICATION, requis, entry, idempotency_key)


def _new_demande(
    nature: NatureDemande, requis: Requis, entry: dict[str, Any], idempotency_key: str
) -> tuple[Demande, str]:
    token = tracking_token(idempotency_key)
    demande = Demande(
        nature=nature,
        requis=requis,
        payload=entry,
        token_hash=token_hash(token),
        idempotency_key=idempotency_key,
        contact_email=entry["contact"]["email"],
    )
    db.session.add(demande)
    db.session.flush()  # its number goes in the mails
    _queue_mails(demande, token, new=True)
    db.session.flush()
    return demande, token


def _queue_mails(demande: Demande, token: str, new: bool) -> None:
    link = external_url("registration.suivi", token=token)
    name = demande.payload["requis"]["nom"]
    # The contact address was typed by the submitter and nobody has verified it yet: the
    # mail carries nothing else they typed (a name could be "URGENT: renew your card at…").
    mail.queue(
        demande.contact_email,
        f"ATO — votre demande n° {demande.id} est {'enregistrée' if new else 'complétée et reçue'}",
        render_template("registration/mail_accuse.txt", demande=demande, link=link, new=new),
    )
    mail.queue(
        current_app.config["ATO_STAFF_EMAIL"],
        f"ATO — {'nouvelle demande' if new else 'demande complétée'} n° {demande.id} "
        f"({demande.nature.label.lower()}) : {name}"[:250],
        render_template(
            "registration/mail_equipe.txt",
            demande=demande,
            new=new,
            vocabulary=labels.Vocabulary.load(),
            review_url=external_url("moderation.demande", demande_id=demande.id),
        ),
    )


def report_error(
    requis: Requis, categorie: str, commentaire: str, email: str | None
) -> Signalement:
    signalement = Signalement(
        requis=requis,
        categorie=CategorieSignalement(categorie),
        commentaire=commentaire,
        email=email or None,
    )
    db.session.add(signalement)
    db.session.flush()
    return signalement


# --- magic links --------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ato-mise-a-jour")


UPDATE_LINK_SUBJECT = "ATO — mettre à jour la fiche : "
UPDATE_LINKS_PER_DAY = 3  # mails of update links one contact address receives at most per day


def send_update_link(requis: Requis, now: datetime | None = None) -> bool:
    """Mail a link to update the entry to its *registered* contact. Flushes.

    Returns False, sending nothing, when the entry has no contact address or
    when that address already received :data:`UPDATE_LINKS_PER_DAY` such
    mails in the last 24 hours (anyone may ask: the address must not be
    flooded). The page answers the same either way.
    """
    if not requis.contact_email:
        return False
    since = (now or utcnow()) - timedelta(days=1)
    recent = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.recipient == requis.contact_email,
            OutboxMessage.subject.startswith(UPDATE_LINK_SUBJECT, autoescape=True),
            OutboxMessage.created_at >= since,
        )
    )
    if recent >= UPDATE_LINKS_PER_DAY:
        return False
    link = update_link(requis)
    mail.queue(
        requis.contact_email,
        f"{UPDATE_LINK_SUBJECT}{requis.display_name}"[:250],
        render_template("registration/mail_lien.txt", requis=requis, link=link),
    )
    db.session.flush()
    return True


def _contact_fingerprint(requis: Requis) -> str:
    return hashlib.sha256((requis.contact_email or "").encode()).hexdigest()[:16]


def update_link(requis: Requis) -> str:
    """A fresh link to the update form of an entry (valid 7 days, for its current contact)."""
    token = _serializer().dumps({"requis": requis.id, "contact": _contact_fingerprint(requis)})
    return external_url("registration.mise_a_jour", token=token)


def requis_from_update_link(token: str) -> Requis | None:
    """The published entry a link opens; None when invalid, expired, or when the entry's
    contact changed since the link was sent (the former contact's links stop working)."""
    try:
        data = _serializer().loads(token, max_age=MAGIC_LINK_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    requis = db.session.get(Requis, data.get("requis")) if isinstance(data, dict) else None
    if requis is None or not requis.is_published:
        return None
    return requis if data.get("contact") == _contact_fingerprint(requis) else None


# --- confirmation campaigns ---------------------------------------------------------------------


def send_confirmation(requis: Requis, sent_by_id: int | None, now: datetime | None = None) -> bool:
    """Mail the registered contact a single-use link to confirm the entry is still exact.

    The mail also carries a link to the update form. Unused links of earlier
    campaigns for the same entry stop working. Returns False (nothing sent)
    when the entry is not published or has no contact address. Flushes.
    """
    if not requis.is_published or not requis.contact_email:
        return False
    now = now or utcnow()
    db.session.execute(
        delete(ConfirmationLink).where(
            ConfirmationLink.requis_id == requis.id, ConfirmationLink.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    days = current_app.config.get("ATO_CONFIRMATION_DAYS", CONFIRMATION_DAYS)
    db.session.add(
        ConfirmationLink(
            requis=requis,
            token_hash=token_hash(token),
            email=requis.contact_email,
            sent_by_id=sent_by_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    mail.queue(
        requis.contact_email,
        f"ATO — votre fiche est-elle toujours exacte ? {requis.display_name}"[:250],
        render_template(
            "registration/mail_confirmation.txt",
            requis=requis,
            days=days,
            confirm_link=external_url("registration.confirmation", token=token),
            update_link=external_url("registration.confirmation_mise_a_jour", token=token),
            requis_url=external_url("directory.requis", requis_id=requis.id, slug=requis.slug),
        ),
    )
    db.session.flush()
    return True


def find_confirmation(token: str) -> ConfirmationLink | None:
    """The campaign link behind a token, or None when unknown (used or expired links are found)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(ConfirmationLink).where(ConfirmationLink.token_hash == token_hash(token))
    )


def confirmation_problem(link: ConfirmationLink | None, now: datetime | None = None) -> str | None:
    """Why a campaign link cannot be used any more, in French; None when it can."""
    if link is None or not link.requis.is_published:
        return "Ce lien n'est pas valide ou la fiche n'est plus publiée."
    if link.used_at is None and link.email != link.requis.contact_email:
        return "Le contact de la fiche a changé depuis l'envoi de ce lien : il n'est plus valable."
    if link.used_at is not None:
        return "Ce lien a déjà été utilisé : la fiche a été confirmée le {}.".format(
            link.used_at.astimezone(PARIS).strftime("%d/%m/%Y")
        )
    if (now or utcnow()) >= link.expires_at:
        return "Ce lien a expiré. Demandez un lien de mise à jour depuis la page de la fiche."
    return None


def confirm(link: ConfirmationLink, now: datetime | None = None) -> datetime | None:
    """The contact says the entry is still exact: set ``verified_at``, use the link. Flushes.

    Returns the previous ``verified_at``; the journal records the confirmation.
    Raises :class:`DomainError` when the link cannot be used (see
    :func:`confirmation_problem`).
    """
    now = now or utcnow()
    problem = confirmation_problem(link, now)
    if problem:
        raise DomainError(problem)
    previous = link.requis.verified_at
    link.used_at = now
    link.requis.verified_at = now
    audit.log(
        None,
        Action.CONFIRMATION,
        Subject.REQUIS,
        link.requis_id,
        {"verified_at": [previous.isoformat() if previous else None, now.isoformat()]},
        actor_label=f"contact de la fiche ({link.email})",
    )
    db.session.flush()
    return previous
