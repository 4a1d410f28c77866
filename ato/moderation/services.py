"""Moderation decisions. Each flushes its state change, audit entry and outbox mail together;
the view commits once, so a decision is all or nothing (the mail leaves after the commit)."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import render_template
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from ato.auth.models import User
from ato.core.audit import AuditEntry
from ato.core.models import utcnow
from ato.directory.models import NatureRequis, Requis, Service, Statut
from ato.extensions import db
from ato.mail import services as mail
from ato.registration import services as registration
from ato.registration.models import Demande, NatureDemande, Signalement, StatutDemande
from ato.web import PARIS, external_url

OPEN_STATUTS = (StatutDemande.RECUE, StatutDemande.EN_COURS)


def audit(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    changes: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Record who did what to which object, with ``{field: [before, after]}``. Adds, no flush."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=(actor.email if actor else actor_label or "anonyme")[:254],
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


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
                .where(Signalement.traite_at.is_(None))
                .options(selectinload(Signalement.requis))
                .order_by(Signalement.created_at)
            )
        ),
    }


def _flat(payload: dict[str, Any]) -> dict[str, Any]:
    out = {f"requis.{k}": v for k, v in payload["requis"].items()}
    out.update({f"contact.{k}": v for k, v in payload["contact"].items()})
    for i, service in enumerate(payload["services"]):
        out.update({f"service {i + 1}.{k}": v for k, v in service.items()})
    return out


def payload_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Field-by-field differences between two payloads (empty and missing are the same)."""
    old, new = _flat(before), _flat(after)
    return {
        k: (old.get(k), new.get(k))
        for k in sorted(old.keys() | new.keys())
        if (old.get(k) or None) != (new.get(k) or None)
    }


def diff(demande: Demande) -> dict[str, tuple[Any, Any]]:
    """Field-by-field differences between the published entry and a revision."""
    return payload_diff(registration.payload_from_requis(demande.requis), demande.payload)


def _changes(differences: dict[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    return {k: list(v) for k, v in differences.items()}


def identifier_checks(payload: dict[str, Any]) -> list[str]:
    """What staff should look at in the identifiers (keys were checked by the form)."""
    identity = payload["requis"]
    problems = []
    finess, departement = identity.get("finess"), identity.get("departement")
    if finess and departement and not finess.startswith(departement[:2]):
        problems.append(
            f"Le FINESS {finess} commence par {finess[:2]}, mais le département indiqué est "
            f"{departement} : vérifiez l'établissement (FINESS géographique ou juridique ?)."
        )
    if payload["nature"] == "etablissement" and not finess:
        problems.append("Établissement sans FINESS.")
    if payload["nature"] == "liberal" and not identity.get("rpps"):
        problems.append("Professionnel libéral sans RPPS.")
    return problems


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
    if demande.nature == NatureDemande.MODIFICATION and requis.statut != Statut.PUBLISHED:
        raise ValueError(
            "La fiche n'est plus publiée (archivée ?) : republiez-la avant d'appliquer "
            "cette mise à jour, ou refusez la demande."
        )
    if demande.nature == NatureDemande.MODIFICATION:
        changes = _changes(diff(demande))
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


# --- staff edits ----------------------------------------------------------------------------------


def correct(demande: Demande, payload: dict[str, Any], actor: User) -> dict[str, list[Any]]:
    """Staff correct a request before deciding on it. Flushes.

    Correcting never publishes: the request stays in the queue with its state,
    and a new entry's requis stays pending (a comparable directory published
    entries on edit). Returns the audited changes.
    """
    if demande.statut not in OPEN_STATUTS:
        raise ValueError("Seule une demande reçue ou en cours d'examen peut être corrigée.")
    changes = _changes(payload_diff(demande.payload, payload))
    demande.payload = payload
    demande.contact_email = payload["contact"]["email"]  # decision mails follow the correction
    if demande.nature == NatureDemande.INSCRIPTION:
        registration.apply_payload(demande.requis, payload)
        demande.requis.statut = Statut.PENDING
    audit(actor, "correction", "demande", demande.id, changes)
    db.session.flush()
    return changes


def revise(requis: Requis, payload: dict[str, Any], actor: User) -> Demande:
    """Staff edit a published entry: applied at once, recorded as a revision. Flushes."""
    changes = _changes(payload_diff(registration.payload_from_requis(requis), payload))
    key = secrets.token_hex(32)
    demande = Demande(
        nature=NatureDemande.MODIFICATION,
        statut=StatutDemande.PUBLIEE,
        requis=requis,
        payload=payload,
        token_hash=registration.token_hash(key),
        idempotency_key=key,
        contact_email=payload["contact"]["email"] or actor.email,
        auteur_id=actor.id,
    )
    db.session.add(demande)
    registration.apply_payload(requis, payload)
    audit(actor, "modification_equipe", "requis", requis.id, changes)
    db.session.flush()
    return demande


def set_unavailable(service: Service, unavailable: bool, message: str, actor: User) -> None:
    """Mark one service temporarily unavailable (shown publicly), or available again."""
    message = message.strip()[:500] or None if unavailable else None
    before = [service.indisponible, service.indisponible_message]
    service.indisponible = unavailable
    service.indisponible_message = message
    audit(
        actor,
        "indisponibilite" if unavailable else "disponibilite",
        "requis",
        service.requis_id,
        {
            f"service {service.nom}.indisponible": [before[0], unavailable],
            f"service {service.nom}.message": [before[1], message],
        },
    )
    db.session.flush()


def _set_statut(requis: Requis, statut: Statut, actor: User, action: str) -> None:
    audit(actor, action, "requis", requis.id, {"statut": [requis.statut.value, statut.value]})
    requis.statut = statut
    if statut == Statut.PUBLISHED:
        requis.published_at = requis.published_at or utcnow()
    db.session.flush()


def archive(requis: Requis, actor: User) -> None:
    """Unpublish an entry: it leaves the public pages and the index, nothing is lost."""
    if requis.statut != Statut.PUBLISHED:
        raise ValueError("Seule une fiche publiée peut être archivée.")
    _set_statut(requis, Statut.ARCHIVED, actor, "archivage")


def restore(requis: Requis, actor: User) -> None:
    """Publish an archived entry again (its identifiers must not be taken meanwhile)."""
    if requis.statut != Statut.ARCHIVED:
        raise ValueError("Seule une fiche archivée peut être republiée.")
    if registration.find_duplicate(registration.payload_from_requis(requis), exclude=requis.id):
        raise ValueError("Une autre fiche active porte déjà ce FINESS ou ce RPPS.")
    _set_statut(requis, Statut.PUBLISHED, actor, "republication")


def delete(requis: Requis, actor: User) -> None:
    """Delete an entry for good (administrators): its content stays in the audit log."""
    if not actor.is_admin:
        raise PermissionError("Réservé aux administrateurs.")
    audit(
        actor,
        "suppression",
        "requis",
        requis.id,
        {"fiche": [registration.payload_from_requis(requis), None]},
    )
    db.session.delete(requis)
    db.session.flush()


def mark_verified(requis: Requis, actor: User, now: datetime | None = None) -> None:
    """Staff checked the entry with the requis (e.g. by phone): it counts as verified now."""
    now = now or utcnow()
    audit(
        actor,
        "verification",
        "requis",
        requis.id,
        {"verified_at": [_iso(requis.verified_at), _iso(now)]},
    )
    requis.verified_at = now
    db.session.flush()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def close_report(signalement: Signalement, actor: User) -> None:
    audit(
        actor,
        "signalement_traite",
        "requis",
        signalement.requis_id,
        {"signalement": [signalement.commentaire, None]},
    )
    signalement.traite_at = utcnow()
    db.session.flush()


# --- freshness ------------------------------------------------------------------------------------

STALE_AFTER = timedelta(days=365)
DUE_WITHIN = timedelta(days=90)


class Fraicheur(enum.StrEnum):
    JAMAIS = "jamais"
    PERIMEE = "perimee"
    A_ECHEANCE = "a_echeance"
    A_JOUR = "a_jour"

    @property
    def label(self) -> str:
        return {
            "jamais": "Jamais vérifiée",
            "perimee": "Vérifiée il y a plus de 12 mois",
            "a_echeance": "À revérifier dans les 3 mois",
            "a_jour": "À jour",
        }[self.value]


def freshness_filter(query: Select, fraicheur: Fraicheur, now: datetime) -> Select:
    """Restrict a query on Requis to one freshness class at ``now``."""
    stale = now - STALE_AFTER
    due = stale + DUE_WITHIN
    if fraicheur == Fraicheur.JAMAIS:
        return query.where(Requis.verified_at.is_(None))
    if fraicheur == Fraicheur.PERIMEE:
        return query.where(Requis.verified_at < stale)
    if fraicheur == Fraicheur.A_ECHEANCE:
        return query.where(Requis.verified_at >= stale, Requis.verified_at < due)
    return query.where(Requis.verified_at >= due)


def freshness(now: datetime | None = None) -> dict[Fraicheur, list[Requis]]:
    """Published entries by freshness class, least recently verified first."""
    now = now or utcnow()
    base = (
        select(Requis)
        .where(Requis.statut == Statut.PUBLISHED)
        .options(selectinload(Requis.departement))
        .order_by(Requis.verified_at.asc().nulls_first(), Requis.nom)
    )
    return {
        f: list(db.session.scalars(freshness_filter(base, f, now)))
        for f in (Fraicheur.JAMAIS, Fraicheur.PERIMEE, Fraicheur.A_ECHEANCE)
    }


def send_campaign(requis_ids: list[int], actor: User) -> tuple[list[Requis], list[Requis]]:
    """Confirmation campaign: mail each entry's contact. Returns (sent, skipped). Flushes."""
    targets = db.session.scalars(
        select(Requis).where(Requis.id.in_(requis_ids)).order_by(Requis.nom)
    ).all()
    sent, skipped = [], []
    for requis in targets:
        if registration.send_confirmation(requis, actor.id):
            audit(
                actor,
                "campagne_confirmation",
                "requis",
                requis.id,
                {"envoi": [None, requis.contact_email]},
            )
            sent.append(requis)
        else:
            skipped.append(requis)
    db.session.flush()
    return sent, skipped


# --- the directory as staff see it ---------------------------------------------------------------


def directory_query(
    *,
    statut: str = "",
    departement: str = "",
    specialite: int | None = None,
    nature: str = "",
    fraicheur: str = "",
    q: str = "",
    now: datetime | None = None,
) -> Select:
    """Entries for the staff list; every filter value is whitelisted by the form."""
    query = select(Requis).options(selectinload(Requis.departement)).order_by(Requis.nom, Requis.id)
    if statut:
        query = query.where(Requis.statut == Statut(statut))
    if departement:
        query = query.where(Requis.departement_code == departement)
    if nature:
        query = query.where(Requis.nature == NatureRequis(nature))
    if specialite:
        query = query.where(
            Requis.id.in_(select(Service.requis_id).where(Service.specialite_id == specialite))
        )
    if fraicheur:
        query = freshness_filter(query, Fraicheur(fraicheur), now or utcnow())
    if q:
        for word in q.split()[:8]:
            query = query.where(
                or_(
                    *(
                        column.icontains(word, autoescape=True)
                        for column in (
                            Requis.nom,
                            Requis.prenom,
                            Requis.ville,
                            Requis.finess,
                            Requis.rpps,
                            Requis.contact_email,
                        )
                    )
                )
            )
    return query


def history(object_type: str, object_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


# --- audit log ------------------------------------------------------------------------------------


def audit_query(
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Select:
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor_label.icontains(actor, autoescape=True))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if start:
        query = query.where(AuditEntry.created_at >= _paris_midnight(start))
    if end:
        query = query.where(AuditEntry.created_at < _paris_midnight(end + timedelta(days=1)))
    return query


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=PARIS).astimezone(UTC)


def audit_actions() -> list[str]:
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )
