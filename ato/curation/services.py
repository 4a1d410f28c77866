"""The directory as staff keep it true: edits, availability, archive and deletion,
verification and confirmation campaigns, the freshness of entries, what the public
reports. Operations flush; the view commits once.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import selectinload

from ato.auth.models import LoginAttempt, StaffSession, User
from ato.core import audit
from ato.core.audit import Action, Subject
from ato.core.errors import DomainError, Forbidden
from ato.core.models import utcnow
from ato.directory import changes, entries
from ato.directory import services as directory
from ato.directory.models import (
    DUE_WITHIN,
    STALE_AFTER,
    Fraicheur,
    NatureRequis,
    Requis,
    Service,
    Statut,
)
from ato.extensions import db
from ato.mail.models import OutboxMessage
from ato.registration import services as registration
from ato.registration.models import (
    ConfirmationLink,
    Demande,
    NatureDemande,
    Signalement,
    StatutDemande,
)
from ato.search.models import SearchMiss


def revise(requis: Requis, entry: dict[str, Any], actor: User) -> Demande:
    """Staff edit a published entry: applied at once, recorded as a revision. Flushes."""
    changes = entries.diff(entries.from_requis(requis), entry)
    key = secrets.token_hex(32)
    demande = Demande(
        nature=NatureDemande.MODIFICATION,
        statut=StatutDemande.PUBLIEE,
        requis=requis,
        payload=entry,
        token_hash=registration.token_hash(key),
        idempotency_key=key,
        contact_email=entry["contact"]["email"] or actor.email,
        auteur_id=actor.id,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    db.session.add(demande)
    entries.apply(requis, entry)
    audit.log(actor, Action.MODIFICATION_EQUIPE, Subject.REQUIS, requis.id, changes)
    db.session.flush()
    return demande


def set_unavailable(
    service: Service,
    start: date,
    end: date | None,
    message: str,
    actor: User,
) -> None:
    """Close one service from ``start`` to ``end`` (Europe/Paris days, both included; no
    end = until further notice). The public pages announce it before, withdraw the service's
    send buttons during it and forget it after, by themselves. Flushes."""
    if end is not None and end < start:
        raise DomainError("La fin de l'indisponibilité précède son début : rien n'a changé.")
    _set_closure(service, start, end, message.strip()[:500] or None, actor)


def set_available(service: Service, actor: User) -> None:
    """Cancel a service's closure, current or planned. Flushes."""
    _set_closure(service, None, None, None, actor)


def _set_closure(
    service: Service, start: date | None, end: date | None, message: str | None, actor: User
) -> None:
    before = [service.indisponible_du, service.indisponible_au, service.indisponible_message]
    service.indisponible_du, service.indisponible_au = start, end
    service.indisponible_message = message
    audit.log(
        actor,
        Action.INDISPONIBILITE if start else Action.DISPONIBILITE,
        Subject.REQUIS,
        service.requis_id,
        {
            f"service {service.nom}.indisponible_du": [_day(before[0]), _day(start)],
            f"service {service.nom}.indisponible_au": [_day(before[1]), _day(end)],
            f"service {service.nom}.message": [before[2], message],
        },
    )
    db.session.flush()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _set_statut(requis: Requis, statut: Statut, actor: User, action: Action) -> None:
    audit.log(
        actor, action, Subject.REQUIS, requis.id, {"statut": [requis.statut.value, statut.value]}
    )
    requis.statut = statut
    if statut == Statut.PUBLIEE:
        requis.published_at = requis.published_at or utcnow()
    db.session.flush()


def archive(requis: Requis, actor: User) -> None:
    """Unpublish an entry: it leaves the public pages and the index, nothing is lost."""
    if requis.statut != Statut.PUBLIEE:
        raise DomainError("Seule une fiche publiée peut être archivée.")
    _set_statut(requis, Statut.ARCHIVEE, actor, Action.ARCHIVAGE)


def restore(requis: Requis, actor: User) -> None:
    """Publish an archived entry again (its identifiers must not be taken meanwhile)."""
    if requis.statut != Statut.ARCHIVEE:
        raise DomainError("Seule une fiche archivée peut être republiée.")
    if directory.find_duplicate(entries.from_requis(requis), exclude=requis.id):
        raise DomainError("Une autre fiche active porte déjà ce FINESS ou ce RPPS.")
    _set_statut(requis, Statut.PUBLIEE, actor, Action.REPUBLICATION)


def delete(requis: Requis, actor: User) -> None:
    """Delete an entry for good (administrators). The journal keeps its content, without
    who its contact was (name, address, phone are erased from every line about it)."""
    if not actor.is_admin:
        raise Forbidden("Réservé aux administrateurs.")
    audit.log(
        actor,
        Action.SUPPRESSION,
        Subject.REQUIS,
        requis.id,
        {"fiche": [entries.from_requis(requis), None]},
    )
    _erase(requis)
    db.session.flush()


def _contact_words(requis: Requis) -> set[str]:
    """Everything that names the contact of an entry, in it and in its requests."""
    words = {requis.contact_nom or "", requis.contact_email or ""}
    for demande in db.session.scalars(select(Demande).where(Demande.requis_id == requis.id)):
        contact = demande.payload.get("contact", {})
        words |= {str(contact.get(k) or "") for k in ("nom", "email", "telephone", "fonction")}
        words.add(demande.contact_email or "")
    return words


def _erase(requis: Requis) -> None:
    """Delete an entry with its requests, and erase its contact from the journal."""
    demande_ids = db.session.scalars(select(Demande.id).where(Demande.requis_id == requis.id))
    audit.forget(
        _contact_words(requis),
        [(Subject.REQUIS, requis.id), *((Subject.DEMANDE, i) for i in demande_ids)],
    )
    db.session.delete(requis)


# --- retention ------------------------------------------------------------------------------------

KEPT_AFTER_WITHDRAWAL = timedelta(days=365)  # refused, abandoned or archived: one year
KEPT_SENT_MAIL = timedelta(days=30)  # mails carry personal (bearer) links
KEPT_LOGIN_ATTEMPTS = timedelta(days=90)
KEPT_SEARCH_MISSES = timedelta(days=365)
KEPT_STAFF_SESSIONS = timedelta(days=30)
KEPT_CONFIRMATION_LINKS = timedelta(days=90)  # after they expired


def purge(now: datetime | None = None) -> dict[str, int]:
    """Apply the retention the legal notice states; returns what was deleted. Flushes.

    Entries refused, archived or left unfinished (more asked, no answer) for a
    year are deleted with their requests, their contact erased from the journal;
    a refused or abandoned revision of a published entry is deleted alone.
    """
    now = now or utcnow()
    cutoff = now - KEPT_AFTER_WITHDRAWAL
    done: dict[str, int] = {}
    withdrawn = db.session.scalars(
        select(Requis).where(
            Requis.statut.in_([Statut.REFUSEE, Statut.ARCHIVEE]), Requis.updated_at < cutoff
        )
    ).all()
    stale = db.session.scalars(
        select(Demande).where(
            or_(
                and_(Demande.statut == StatutDemande.REFUSEE, Demande.decided_at < cutoff),
                and_(Demande.statut == StatutDemande.A_COMPLETER, Demande.updated_at < cutoff),
            )
        )
    ).all()
    unfinished = [
        d.requis
        for d in stale
        if d.nature == NatureDemande.INSCRIPTION and d.requis.statut != Statut.PUBLIEE
    ]
    entries_gone = {r.id: r for r in [*withdrawn, *unfinished]}
    for requis in entries_gone.values():
        _erase(requis)
    revisions = [d for d in stale if d.requis_id not in entries_gone]
    for demande in revisions:
        contact = demande.payload.get("contact", {})
        audit.forget(
            {demande.contact_email, *(str(contact.get(k) or "") for k in contact)},
            [(Subject.DEMANDE, demande.id)],
        )
        db.session.delete(demande)
    done["fiches"] = len(entries_gone)
    done["demandes"] = len(revisions)
    for name, statement in (
        (
            "courriels",
            sql_delete(OutboxMessage).where(
                or_(
                    OutboxMessage.sent_at < now - KEPT_SENT_MAIL,
                    OutboxMessage.created_at < now - KEPT_SENT_MAIL - KEPT_SENT_MAIL,
                )
            ),
        ),
        (
            "connexions",
            sql_delete(LoginAttempt).where(LoginAttempt.created_at < now - KEPT_LOGIN_ATTEMPTS),
        ),
        ("recherches", sql_delete(SearchMiss).where(SearchMiss.last_at < now - KEPT_SEARCH_MISSES)),
        (
            "sessions",
            sql_delete(StaffSession).where(StaffSession.created_at < now - KEPT_STAFF_SESSIONS),
        ),
        (
            "liens",
            sql_delete(ConfirmationLink).where(
                ConfirmationLink.expires_at < now - KEPT_CONFIRMATION_LINKS
            ),
        ),
    ):
        done[name] = db.session.execute(statement).rowcount or 0
    done["historique"] = changes.prune(now)  # what the feeds no longer show; syncs keep working
    if any(done.values()):
        audit.log(
            None,
            Action.PURGE,
            Subject.REQUIS,
            None,
            {k: [None, v] for k, v in done.items()},
            actor_label="conservation (tâche automatique)",
        )
    db.session.flush()
    return done


def mark_verified(requis: Requis, actor: User, now: datetime | None = None) -> None:
    """Staff checked the entry with the requis (e.g. by phone): it counts as verified now."""
    now = now or utcnow()
    audit.log(
        actor,
        Action.VERIFICATION,
        Subject.REQUIS,
        requis.id,
        {"verified_at": [_iso(requis.verified_at), _iso(now)]},
    )
    requis.verified_at = now
    db.session.flush()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def close_signalement(signalement: Signalement, actor: User) -> None:
    """An error report from the public has been dealt with."""
    audit.log(
        actor,
        Action.SIGNALEMENT_TRAITE,
        Subject.REQUIS,
        signalement.requis_id,
        {"signalement": [signalement.commentaire, None]},
    )
    signalement.closed_at = utcnow()
    db.session.flush()


# --- freshness ------------------------------------------------------------------------------------


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
        .where(Requis.statut == Statut.PUBLIEE)
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
            audit.log(
                actor,
                Action.CAMPAGNE_CONFIRMATION,
                Subject.REQUIS,
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
