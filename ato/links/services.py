"""Link checks over the published directory: plan, check, record, tell the contacts.

A run has three steps so that no database transaction stays open while the
network is slow: :func:`plan` reads every distinct URL of published entries
(tool links of platforms, forms and other web processes, and web sites) with
the entries that use it; :func:`check` reaches them (bounded concurrency, each
URL once); :func:`record` writes the results, and flushes. The caller commits
(``flask ato liens verifier``).

After ``ATO_LINKS_FAILURES_BEFORE_NOTICE`` consecutive failures, each published
entry using the link is flagged on its public fiche and its contact receives
one mail (:class:`LinkNotice` remembers it). A link that works again clears its
failures, its flag and its notices: a later failure is a new episode.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app, render_template
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from ato.core import audit
from ato.core.audit import Action, Subject
from ato.core.models import utcnow
from ato.directory import services as directory
from ato.directory.models import Canal, NatureOutil, Outil, Requis, Service, Statut
from ato.extensions import db
from ato.links import checker
from ato.links.checker import Outcome
from ato.links.models import LinkCheck, LinkNotice, LinkState
from ato.mail import services as mail
from ato.registration import services as registration
from ato.web import external_url

#: Tools whose channel address is a web address a requérant opens.
WEB_TOOLS = (NatureOutil.PLATEFORME, NatureOutil.FORMULAIRE, NatureOutil.AUTRE)
WEB_SCHEMES = ("https://", "http://")
NOTICE_SUBJECT = "ATO — un lien de votre fiche ne répond plus : "


def init_app(app: Flask) -> None:
    """Let the public fiche ask which of an entry's links are flagged (see the directory)."""
    app.extensions[directory.LINK_NOTICES] = flagged_links


def settings_from(config: dict) -> checker.Settings:
    return checker.Settings(
        timeout=float(config["ATO_LINKS_TIMEOUT"]),
        max_redirects=int(config["ATO_LINKS_MAX_REDIRECTS"]),
        allow_private=bool(config["ATO_LINKS_ALLOW_PRIVATE"]),
        ca_file=config["ATO_LINKS_CA_FILE"] or None,
    )


# --- planning ------------------------------------------------------------------------------------


@dataclass
class Use:
    """Where a URL appears: an entry's web site (no service) or one channel of a service."""

    requis_id: int
    service_id: int | None = None
    canal_id: int | None = None


@dataclass
class Plan:
    uses: dict[str, list[Use]] = field(default_factory=lambda: defaultdict(list))

    @property
    def urls(self) -> list[str]:
        return list(self.uses)


def _web(url: str | None) -> str | None:
    return url if url and url.startswith(WEB_SCHEMES) else None


def plan() -> Plan:
    """Every distinct web address of the published entries, with where it is used."""
    result = Plan()
    channels = db.session.execute(
        select(Canal.adresse, Canal.id, Service.id, Service.requis_id)
        .join(Service, Canal.service_id == Service.id)
        .join(Requis, Service.requis_id == Requis.id)
        .join(Outil, Canal.outil_id == Outil.id)
        .where(Requis.statut == Statut.PUBLIEE, Outil.nature.in_(WEB_TOOLS))
        .order_by(Canal.id)
    )
    for adresse, canal_id, service_id, requis_id in channels:
        if url := _web(adresse):
            result.uses[url].append(Use(requis_id, service_id, canal_id))
    sites = db.session.execute(
        select(Requis.site_web, Requis.id)
        .where(Requis.statut == Statut.PUBLIEE, Requis.site_web.is_not(None))
        .order_by(Requis.id)
    )
    for site, requis_id in sites:
        if url := _web(site):
            result.uses[url].append(Use(requis_id))
    return result


def check(
    urls: Iterable[str],
    settings: checker.Settings,
    concurrency: int,
    probe: Callable[[str, checker.Settings], Outcome] = checker.check,
) -> list[Outcome]:
    """Reach each URL once (no database access: run it outside any transaction)."""
    return list(checker.check_all(urls, settings, concurrency, probe))


# --- recording -----------------------------------------------------------------------------------


@dataclass
class Summary:
    checked: int = 0
    ok: int = 0
    broken: int = 0
    recovered: int = 0
    notified: int = 0
    forgotten: int = 0


def record(run: Plan, outcomes: Sequence[Outcome], now: datetime | None = None) -> Summary:
    """Write each outcome, tell the contacts of links that keep failing. Flushes.

    Links no longer used by any published entry are forgotten.
    """
    now = now or utcnow()
    summary = Summary(checked=len(outcomes))
    threshold = current_app.config["ATO_LINKS_FAILURES_BEFORE_NOTICE"]
    existing = {link.url: link for link in db.session.scalars(select(LinkCheck))}
    noticed: list[LinkCheck] = []
    for outcome in outcomes:
        link = existing.get(outcome.url)
        if link is None:
            link = LinkCheck(url=outcome.url, state=LinkState.OK, consecutive_failures=0)
            db.session.add(link)
            existing[outcome.url] = link
        link.checked_at = now
        link.http_status = outcome.http_status
        if outcome.ok:
            summary.ok += 1
            if link.state == LinkState.BROKEN:
                summary.recovered += 1
                if link.id is not None:
                    db.session.execute(delete(LinkNotice).where(LinkNotice.link_id == link.id))
            link.state, link.reason = LinkState.OK, None
            link.consecutive_failures, link.failing_since = 0, None
            continue
        summary.broken += 1
        link.state, link.reason = LinkState.BROKEN, (outcome.reason or checker.UNEXPECTED)[:120]
        link.consecutive_failures = (link.consecutive_failures or 0) + 1
        link.failing_since = link.failing_since or now
        if link.consecutive_failures >= threshold:
            noticed.append(link)
    used = set(run.uses)
    for url, link in existing.items():
        if url not in used and link.id is not None:
            db.session.delete(link)
            summary.forgotten += 1
    db.session.flush()
    summary.notified = _notify(run, noticed, now)
    db.session.flush()
    return summary


def _notify(run: Plan, links: list[LinkCheck], now: datetime) -> int:
    """Mail each entry's contact once per failing link; audit it. Returns the mails queued."""
    if not links:
        return 0
    requis_ids = {use.requis_id for link in links for use in run.uses.get(link.url, [])}
    entries = {
        r.id: r
        for r in db.session.scalars(
            select(Requis).where(Requis.id.in_(requis_ids), Requis.statut == Statut.PUBLIEE)
        )
    }
    told = set(
        db.session.execute(
            select(LinkNotice.link_id, LinkNotice.requis_id).where(
                LinkNotice.link_id.in_([link.id for link in links])
            )
        ).all()
    )
    sent = 0
    for link in links:
        for requis_id in dict.fromkeys(use.requis_id for use in run.uses.get(link.url, [])):
            requis = entries.get(requis_id)
            if requis is None or (link.id, requis_id) in told:
                continue
            db.session.add(LinkNotice(link_id=link.id, requis_id=requis_id, sent_at=now))
            told.add((link.id, requis_id))
            if requis.contact_email:
                mail.queue(
                    requis.contact_email,
                    f"{NOTICE_SUBJECT}{requis.display_name}"[:250],
                    render_template(
                        "links/mail_lien_indisponible.txt",
                        requis=requis,
                        link=link,
                        update_link=registration.update_link(requis),
                        requis_url=external_url(
                            "directory.requis", requis_id=requis.id, slug=requis.slug
                        ),
                    ),
                )
                sent += 1
            audit.log(
                None,
                Action.LIEN_SIGNALE,
                Subject.REQUIS,
                requis.id,
                {
                    "lien": [None, link.url],
                    "raison": [None, link.reason],
                    "contact_prevenu": [None, "oui" if requis.contact_email else "non"],
                },
                actor_label="vérification des liens",
            )
    return sent


def verify(
    now: datetime | None = None,
    probe: Callable[[str, checker.Settings], Outcome] = checker.check,
) -> Summary:
    """Plan, check and record in one go (tests; the command splits the transaction)."""
    config = current_app.config
    run = plan()
    outcomes = check(run.urls, settings_from(config), config["ATO_LINKS_CONCURRENCY"], probe)
    return record(run, outcomes, now)


# --- reading -------------------------------------------------------------------------------------


def flagged_links(requis: Requis) -> dict[str, datetime]:
    """The entry's URLs failing for at least the notice threshold, with since when."""
    urls = {c.adresse for s in requis.services for c in s.canaux if c.adresse}
    if requis.site_web:
        urls.add(requis.site_web)
    urls = {u for u in urls if u.startswith(WEB_SCHEMES)}
    if not urls:
        return {}
    threshold = current_app.config["ATO_LINKS_FAILURES_BEFORE_NOTICE"]
    rows = db.session.execute(
        select(LinkCheck.url, LinkCheck.failing_since).where(
            LinkCheck.url.in_(urls),
            LinkCheck.state == LinkState.BROKEN,
            LinkCheck.consecutive_failures >= threshold,
        )
    )
    return {url: since for url, since in rows}


@dataclass
class BrokenRow:
    link: LinkCheck
    requis: Requis
    service: Service | None  # None: the entry's web site
    notified_at: datetime | None


def broken_rows() -> list[BrokenRow]:
    """Every use of a broken link by a published entry, the oldest failure first.

    Four queries whatever the number of rows.
    """
    links = list(
        db.session.scalars(
            select(LinkCheck)
            .where(LinkCheck.state == LinkState.BROKEN)
            .order_by(LinkCheck.failing_since, LinkCheck.url)
        )
    )
    if not links:
        return []
    by_url = {link.url: link for link in links}
    uses: list[tuple[LinkCheck, Requis, Service | None]] = []
    channels = db.session.scalars(
        select(Canal)
        .join(Service, Canal.service_id == Service.id)
        .join(Requis, Service.requis_id == Requis.id)
        .where(Canal.adresse.in_(by_url), Requis.statut == Statut.PUBLIEE)
        .options(selectinload(Canal.service).selectinload(Service.requis))
        .order_by(Canal.id)
    )
    for canal in channels:
        uses.append((by_url[canal.adresse], canal.service.requis, canal.service))
    for requis in db.session.scalars(
        select(Requis)
        .where(Requis.site_web.in_(by_url), Requis.statut == Statut.PUBLIEE)
        .order_by(Requis.id)
    ):
        uses.append((by_url[requis.site_web], requis, None))
    notices = {
        (n.link_id, n.requis_id): n.sent_at
        for n in db.session.scalars(
            select(LinkNotice).where(LinkNotice.link_id.in_([link.id for link in links]))
        )
    }
    order = {link.id: i for i, link in enumerate(links)}
    uses.sort(key=lambda u: (order[u[0].id], u[1].id, u[2].id if u[2] else 0))
    return [
        BrokenRow(link, requis, service, notices.get((link.id, requis.id)))
        for link, requis, service in uses
    ]
