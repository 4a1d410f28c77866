"""The queue and the decisions on requests.

Each decision flushes its state change, who decided and when, its audit entry
and its outbox mail together; the view commits once, so a decision is all or
nothing (the mail leaves after the commit). A refused decision raises
:class:`DomainError` with the reason in French.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ato.auth.models import User
from ato.core import audit
from ato.core.audit import Action, Subject
from ato.core.errors import DomainError
from ato.core.models import utcnow
from ato.core.text import plain_text_problem
from ato.directory import entries, labels
from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.mail import services as mail
from ato.registration.models import Demande, NatureDemande, Signalement, StatutDemande
from ato.web import external_url

OPEN_STATUTS = (StatutDemande.RECUE, StatutDemande.EN_COURS)


def _demandes(*conditions: Any) -> list[Demande]:
    return list(
        db.session.scalars(
            select(Demande)
            .where(*conditions)
            .options(selectinload(Demande.requis))
            .order_by(Demande.created_at)
        )
    )


def queue() -> dict[str, list]:
    """What waits for staff, oldest first (decided requests are never loaded)."""
    is_open = Demande.statut.in_(OPEN_STATUTS)
    return {
        "inscriptions": _demandes(is_open, Demande.nature == NatureDemande.INSCRIPTION),
        "modifications": _demandes(is_open, Demande.nature == NatureDemande.MODIFICATION),
        "a_completer": _demandes(Demande.statut == StatutDemande.A_COMPLETER),
        "signalements": list(
            db.session.scalars(
                select(Signalement)
                .where(Signalement.closed_at.is_(None))
                .options(selectinload(Signalement.requis))
                .order_by(Signalement.created_at)
            )
        ),
    }


def diff(demande: Demande) -> dict[str, list[Any]]:
    """Field-by-field differences between the published entry and a revision."""
    return entries.diff(entries.from_requis(demande.requis), demande.payload)


def review(demande: Demande) -> list[labels.Block]:
    """The request as staff read it: the entry in words, section by section; for a
    revision, the published entry beside it, field by field (see :func:`labels.compare`)."""
    before = None
    if demande.nature == NatureDemande.MODIFICATION:
        before = entries.from_requis(demande.requis)
    return labels.compare(demande.payload, before)


def _decide(demande: Demande, statut: StatutDemande, actor: User) -> None:
    """Close a request: its decision, who took it and when (the database checks all three)."""
    demande.statut = statut
    demande.decided_by_id = actor.id
    demande.decided_at = utcnow()


def examine(demande: Demande, actor: User) -> None:
    """A moderator takes a request: others see it is being examined."""
    audit.log(
        actor,
        Action.EXAMEN,
        Subject.DEMANDE,
        demande.id,
        {"statut": [demande.statut.value, StatutDemande.EN_COURS.value]},
    )
    demande.statut = StatutDemande.EN_COURS
    db.session.flush()


def identifier_checks(entry: dict[str, Any]) -> list[str]:
    """What staff should look at in the identifiers (keys were checked by the form)."""
    identity = entry["requis"]
    problems = []
    finess, departement = identity.get("finess"), identity.get("departement")
    if finess and departement and not finess.startswith(departement[:2]):
        problems.append(
            f"Le FINESS {finess} commence par {finess[:2]}, mais le département indiqué est "
            f"{departement} : vérifiez l'établissement (FINESS géographique ou juridique ?)."
        )
    if entry["nature"] == "etablissement" and not finess:
        problems.append("Établissement sans FINESS.")
    if entry["nature"] == "liberal" and not identity.get("rpps"):
        problems.append("Professionnel libéral sans RPPS.")
    return problems


def _notify(demande: Demande, subject: str) -> None:
    mail.queue(
        demande.contact_email,
        f"ATO — {subject} (demande n° {demande.id})",  # nothing the submitter typed
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
    if demande.nature == NatureDemande.MODIFICATION and requis.statut != Statut.PUBLIEE:
        raise DomainError(
            "La fiche n'est plus publiée (archivée ?) : republiez-la avant d'appliquer "
            "cette mise à jour, ou refusez la demande."
        )
    if demande.nature == NatureDemande.MODIFICATION:
        changes = diff(demande)
        entries.apply(requis, demande.payload)
    else:
        changes = {"statut": [before["statut"], Statut.PUBLIEE.value]}
        requis.statut = Statut.PUBLIEE
        requis.published_at = requis.published_at or now
    requis.verified_at = now
    changes["demande.statut"] = [demande.statut.value, StatutDemande.PUBLIEE.value]
    _decide(demande, StatutDemande.PUBLIEE, actor)
    demande.message = None
    audit.log(actor, Action.PUBLICATION, Subject.REQUIS, requis.id, changes)
    _notify(demande, "votre demande est publiée")
    db.session.flush()


def _message(text: str, missing: str) -> str:
    """The message sent with a decision: required, plain text (no control character)."""
    if not text.strip():
        raise DomainError(missing)
    problem = plain_text_problem(text)
    if problem:
        raise DomainError(f"Message : {problem}")
    return text.strip()


def reject(demande: Demande, actor: User, reason: str) -> None:
    reason = _message(reason, "Le motif du refus est obligatoire.")
    if demande.nature == NatureDemande.INSCRIPTION:
        demande.requis.statut = Statut.REFUSEE
    audit.log(
        actor,
        Action.REFUS,
        Subject.DEMANDE,
        demande.id,
        {"statut": [demande.statut.value, StatutDemande.REFUSEE.value], "motif": [None, reason]},
    )
    _decide(demande, StatutDemande.REFUSEE, actor)
    demande.message = reason.strip()
    _notify(demande, "votre demande n'a pas été acceptée")
    db.session.flush()


def ask_changes(demande: Demande, actor: User, message: str) -> None:
    message = _message(message, "Le message au demandeur est obligatoire.")
    audit.log(
        actor,
        Action.DEMANDE_DE_COMPLEMENT,
        Subject.DEMANDE,
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


# --- staff edits ----------------------------------------------------------------------------------


def correct(demande: Demande, entry: dict[str, Any], actor: User) -> dict[str, list[Any]]:
    """Staff correct a request before deciding on it. Flushes.

    Correcting never publishes: the request stays in the queue with its state,
    and a new entry's requis stays pending (a comparable directory published
    entries on edit). Returns the audited changes.
    """
    if demande.statut not in OPEN_STATUTS:
        raise DomainError("Seule une demande reçue ou en cours d'examen peut être corrigée.")
    changes = entries.diff(demande.payload, entry)
    demande.payload = entry
    demande.contact_email = entry["contact"]["email"]  # decision mails follow the correction
    if demande.nature == NatureDemande.INSCRIPTION:
        entries.apply(demande.requis, entry)
        demande.requis.statut = Statut.EN_ATTENTE
    audit.log(actor, Action.CORRECTION, Subject.DEMANDE, demande.id, changes)
    db.session.flush()
    return changes
