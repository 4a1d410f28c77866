"""Moderation decisions. Each flushes its state change, audit entry and outbox mail together;
the view commits once, so a decision is all or nothing (the mail leaves after the commit)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ato.auth.models import User
from ato.directory.models import Requis, Statut, utcnow
from ato.extensions import db
from ato.mail import services as mail
from ato.moderation.models import AuditEntry
from ato.registration import services as registration
from ato.registration.models import Demande, NatureDemande, Signalement, StatutDemande
from ato.web import external_url

OPEN_STATUTS = (StatutDemande.RECUE, StatutDemande.EN_COURS)


def audit(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else "anonyme",
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def queue() -> dict[str, list]:
    """What waits for staff, oldest first."""
    demandes = db.session.scalars(
        select(Demande).options(selectinload(Demande.requis)).order_by(Demande.created_at)
    ).all()
    return {
        "inscriptions": [
            d
            for d in demandes
            if d.statut in OPEN_STATUTS and d.nature == NatureDemande.INSCRIPTION
        ],
        "modifications": [
            d
            for d in demandes
            if d.statut in OPEN_STATUTS and d.nature == NatureDemande.MODIFICATION
        ],
        "a_completer": [d for d in demandes if d.statut == StatutDemande.A_COMPLETER],
        "signalements": db.session.scalars(
            select(Signalement)
            .where(Signalement.traite_at.is_(None))
            .options(selectinload(Signalement.requis))
            .order_by(Signalement.created_at)
        ).all(),
    }


def diff(demande: Demande) -> dict[str, tuple[Any, Any]]:
    """Field-by-field differences between the published entry and a revision."""
    current = registration.payload_from_requis(demande.requis)
    proposed = demande.payload

    def flat(payload: dict[str, Any]) -> dict[str, Any]:
        out = {f"requis.{k}": v for k, v in payload["requis"].items()}
        out.update({f"contact.{k}": v for k, v in payload["contact"].items()})
        for i, service in enumerate(payload["services"]):
            out.update({f"service {i + 1}.{k}": v for k, v in service.items()})
        return out

    before, after = flat(current), flat(proposed)
    return {
        k: (before.get(k), after.get(k))
        for k in sorted(before.keys() | after.keys())
        if before.get(k) != after.get(k)
    }


def _notify(demande: Demande, subject: str) -> None:
    mail.queue(
        demande.contact_email,
        f"ATO — {subject} : {demande.payload['requis']['nom']}"[:250],
        render_template(
            "moderation/mail_decision.txt",
            demande=demande,
            requis_url=external_url("directory.requis", requis_id=demande.requis_id),
        ),
    )


def publish(demande: Demande, actor: User) -> None:
    """Publish a new entry, or apply a revision to the published one."""
    requis: Requis = demande.requis
    now = utcnow()
    before = {"statut": requis.statut.value}
    if demande.nature == NatureDemande.MODIFICATION:
        changes = {k: list(v) for k, v in diff(demande).items()}
        registration.apply_payload(requis, demande.payload)
    else:
        changes = {"statut": [before["statut"], Statut.PUBLISHED.value]}
        requis.statut = Statut.PUBLISHED
        requis.published_at = requis.published_at or now
    requis.verified_at = now
    changes["demande.statut"] = [demande.statut.value, StatutDemande.PUBLIEE.value]
    demande.statut = StatutDemande.PUBLIEE
    demande.message = None
    audit(actor, "publication", "requis", requis.id, changes)
    _notify(demande, "votre demande est publiée")
    db.session.flush()


def reject(demande: Demande, actor: User, reason: str) -> None:
    if not reason.strip():
        raise ValueError("Le motif du refus est obligatoire.")
    if demande.nature == NatureDemande.INSCRIPTION:
        demande.requis.statut = Statut.REJECTED
    audit(
        actor,
        "refus",
        "demande",
        demande.id,
        {"statut": [demande.statut.value, StatutDemande.REFUSEE.value], "motif": [None, reason]},
    )
    demande.statut = StatutDemande.REFUSEE
    demande.message = reason.strip()
    _notify(demande, "votre demande n'a pas été acceptée")
    db.session.flush()


def ask_changes(demande: Demande, actor: User, message: str) -> None:
    if not message.strip():
        raise ValueError("Le message au demandeur est obligatoire.")
    audit(
        actor,
        "demande_de_complement",
        "demande",
        demande.id,
        {
            "statut": [demande.statut.value, StatutDemande.A_COMPLETER.value],
            "message": [None, message],
        },
    )
    demande.statut = StatutDemande.A_COMPLETER
    demande.message = message.strip()
    _notify(demande, "votre demande est à compléter")
    db.session.flush()
