"""The figures of the report pages: each builder turns service data into a :class:`Graphique`.

A figure is a chart as a report prints it — "Figure 3" with its caption,
data and source. A :class:`Graphique` holds everything one shows, so nothing
is computed in templates: its SVG geometry (from :mod:`ato.reports.svg`), a
text alternative, the data table (the same rows as its CSV), the source and
method, and the date of last update. Live figures read the directory at the
time of the request.

What changes with the reports — titles, methods, and which sourced figure of
which year a live figure is set against — is data, in ``seed/figures.json``;
this module holds the computations only (see :data:`LIVE_BUILDERS`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from ato.core.models import utcnow
from ato.directory.models import NatureRequis
from ato.directory.seeding import SEED_DIR
from ato.reports import services, svg
from ato.reports.models import JeuDepartemental, Rapport
from ato.reports.svg import Barres, Carte, Serie
from ato.web import nombre

FIGURES_FILE = SEED_DIR / "figures.json"


@dataclass
class Tableau:
    """The data table beside a chart, and its CSV: numbers stay numbers."""

    colonnes: list[str]
    lignes: list[list[object]] = field(default_factory=list)


@dataclass
class Graphique:
    slug: str
    titre: str
    tableau: Tableau
    source: str
    methode: str
    mis_a_jour: datetime | None
    alternative: str = ""
    carte: Carte | None = None
    barres: Barres | None = None
    serie: Serie | None = None
    en_direct: bool = False
    publie: bool = True
    source_url: str | None = None
    extrait: str | None = None
    unite: str = ""
    notes: list[str] = field(default_factory=list)
    legende_source: list[str] = field(default_factory=list)

    @property
    def csv_name(self) -> str:
        return f"ato-{self.slug}.csv"


@dataclass(frozen=True)
class LiveFigure:
    """A live figure of the directory's topic, as ``seed/figures.json`` describes it."""

    slug: str  # its address in the topic
    calcul: str  # its computation, a key of LIVE_BUILDERS
    titre: str
    methode: str
    reference: dict[str, Any]  # the sourced figure it is set against ({} for none)
    lignes: tuple[services.LigneComparaison, ...] = ()  # the rows of a comparison


@dataclass(frozen=True)
class Texts:
    source_en_direct: str
    methode_jeu: str
    offre_demande_titre: str
    offre_demande_methode: str  # « {jeu} »: the demand dataset's title
    en_direct: tuple[LiveFigure, ...]


@cache
def texts(path: Path = FIGURES_FILE) -> Texts:
    """``seed/figures.json``, read once per process.

    Raises ``KeyError`` for a missing field and ``ValueError`` for a
    computation the code does not have (a test loads the file).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    live = []
    for item in data["en_direct"]:
        if item["calcul"] not in LIVE_BUILDERS:
            raise ValueError(f"figures.json : calcul inconnu « {item['calcul']} »")
        reference = item.get("reference") or {}
        lignes = tuple(
            services.LigneComparaison(
                row["libelle"],
                row["indicateur"],
                NatureRequis(row["nature"]) if row["nature"] else None,
            )
            for row in reference.get("lignes", [])
        )
        live.append(
            LiveFigure(
                item["slug"], item["calcul"], item["titre"], item["methode"], reference, lignes
            )
        )
    return Texts(
        source_en_direct=data["source_en_direct"],
        methode_jeu=data["jeu_departemental"]["methode"],
        offre_demande_titre=data["offre_demande"]["titre"],
        offre_demande_methode=data["offre_demande"]["methode"],
        en_direct=tuple(live),
    )


def live_figure(slug: str) -> LiveFigure | None:
    return next((f for f in texts().en_direct if f.slug == slug), None)


def _live(spec: LiveFigure, now: datetime, tableau: Tableau, **values: Any) -> Graphique:
    """A live figure: its title, method and source from the texts, computed now."""
    values.setdefault("source", texts().source_en_direct)
    return Graphique(
        slug=spec.slug,
        titre=spec.titre,
        tableau=tableau,
        methode=spec.methode,
        mis_a_jour=now,
        en_direct=True,
        **values,
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _liste(items: list[tuple[str, object]], unite: str = "") -> str:
    suffix = f" {unite}" if unite else ""
    return " ; ".join(
        f"{label} : {'non renseigné' if v is None else nombre(v) + suffix}"  # type: ignore[arg-type]
        for label, v in items
    )


# --- datasets ------------------------------------------------------------------------------


def jeu(item: JeuDepartemental) -> Graphique:
    """A département dataset: a choropleth with the source's legend classes, if published."""
    classes = svg.classes_from_legend(item.legende)
    noms = services.noms_departements()
    values = services.valeurs(item) if item.publie else {}
    tableau = Tableau(["Code", "Département", f"Valeur ({item.unite})", "Classe de la légende"])
    for code, nom in noms.items():
        value = values.get(code)
        classe = svg.classify(value, classes)
        tableau.lignes.append([code, nom, value, classe.libelle if classe else None])
    graphique = Graphique(
        slug=item.slug,
        titre=item.titre,
        tableau=tableau,
        source=item.source,
        source_url=item.source_url,
        extrait=item.extrait,
        methode=texts().methode_jeu,
        mis_a_jour=item.valeurs_at,
        publie=item.publie,
        unite=item.unite,
        legende_source=[
            f"{c.libelle} ({c.bornes})" if c.bornes_utiles else c.libelle for c in classes
        ],
    )
    if item.publie:
        graphique.carte = svg.carte(values, noms, classes, item.unite)
        graphique.alternative = (
            f"Carte des 13 départements d'Occitanie, {item.titre.lower()} ({item.periode}). "
            + _liste([(f"{noms[c]} ({c})", values.get(c)) for c in noms], item.unite)
            + "."
        )
    return graphique


# --- live statistics of the directory -------------------------------------------------------


def recours_par_nature(spec: LiveFigure, now: datetime) -> Graphique:
    rows = services.par_nature()
    tableau = Tableau(["Nature du recours", "Recours publiés"])
    tableau.lignes = [[nature.label, count] for nature, count in rows]
    items = [(nature.label, count) for nature, count in rows]
    return _live(
        spec,
        now,
        tableau,
        barres=svg.barres(items, "recours"),
        alternative="Diagramme en barres. " + _liste(items, "recours") + ".",
        unite="recours",
    )


def recours_par_departement(spec: LiveFigure, now: datetime) -> Graphique:
    rows = services.par_departement()
    tableau = Tableau(
        [
            "Code",
            "Département",
            "Recours situés dans le département",
            "Recours acceptant ses demandes",
        ]
    )
    tableau.lignes = [[r.code, r.nom, r.situes, r.acceptent] for r in rows]
    values = {r.code: r.acceptent for r in rows}
    noms = {r.code: r.nom for r in rows}
    carte = svg.carte(values, noms, svg.classes_for_counts(list(values.values())), "recours")
    return _live(
        spec,
        now,
        tableau,
        carte=carte,
        alternative="Carte des 13 départements d'Occitanie : recours publiés acceptant les "
        "demandes de chaque département. "
        + _liste([(f"{r.nom} ({r.code})", r.acceptent) for r in rows], "recours")
        + ".",
        unite="recours",
    )


def recours_par_specialite(spec: LiveFigure, now: datetime) -> Graphique:
    rows = services.par_specialite()
    tableau = Tableau(["Spécialité ou thématique", "Nature", "Recours publiés"])
    tableau.lignes = [
        [s.libelle, "spécialité" if s.nature.value == "specialite" else "thématique", n]
        for s, n in rows
    ]
    items = [(s.libelle, n) for s, n in rows]
    return _live(
        spec,
        now,
        tableau,
        barres=svg.barres(items, "recours"),
        alternative=(
            "Diagramme en barres, de la spécialité la plus représentée à la moins représentée. "
            + _liste(items, "recours")
            + "."
            if items
            else "Aucun recours n'est publié."
        ),
        unite="recours",
    )


def publications_par_mois(spec: LiveFigure, now: datetime) -> Graphique:
    """Monthly publications, with a line at the count of a report if ``reference`` names one."""
    months = services.publications_par_mois(now)
    tableau = Tableau(["Mois", "Recours publiés dans le mois", "Total à la fin du mois"])
    tableau.lignes = [[m.libelle, m.nouvelles, m.cumul] for m in months]
    cle = spec.reference.get("indicateur")
    reference_figure = services.indicateur(cle) if cle else None
    reference = None
    notes = []
    if reference_figure is not None:
        value = int(reference_figure.valeur)
        label = spec.reference["libelle"].format(valeur=nombre(value))
        reference = (value, label)
        notes.append(f"Ligne de référence : {label} (source : {reference_figure.source}).")
    serie = (
        svg.serie([(m.libelle_court, m.nouvelles, m.cumul) for m in months], reference)
        if months
        else None
    )
    if months:
        busiest = max(months, key=lambda m: m.nouvelles)
        alternative = (
            f"Diagramme en colonnes des recours publiés par mois, de {months[0].libelle} à "
            f"{months[-1].libelle}, avec la courbe du total : {nombre(months[-1].cumul)} "
            f"recours publiés aujourd'hui ; le plus de publications en {busiest.libelle} "
            f"({nombre(busiest.nouvelles)})."
        )
        if reference:
            alternative += f" {notes[0]}"
    else:
        alternative = "Aucun recours n'est publié."
    return _live(
        spec,
        now,
        tableau,
        serie=serie,
        alternative=alternative,
        notes=notes,
        unite="recours",
    )


def comparaison(spec: LiveFigure, now: datetime) -> Graphique | None:
    """Today's recourses against a report's, row by row; None without the report's total."""
    rows = services.comparaison(spec.lignes)
    if rows is None:
        return None
    periode = spec.reference["periode"]
    tableau = Tableau(["Recours", spec.reference["colonne"], "Aujourd'hui", "Écart"])
    items: list[tuple[str, object]] = []
    for row in rows:
        before = int(row.reference.valeur) if row.reference else None
        tableau.lignes.append([row.libelle, before, row.aujourd_hui, row.ecart])
        if before is not None:
            items.append((f"{row.libelle} — {periode}", before))
        items.append((f"{row.libelle} — aujourd'hui", row.aujourd_hui))
    source = rows[0].reference.source if rows[0].reference else ""
    return _live(
        spec,
        now,
        tableau,
        source=f"{_capitalised(periode)} : {source}. Aujourd'hui : {texts().source_en_direct}.",
        barres=svg.barres(items, "recours"),  # type: ignore[arg-type]
        alternative="Diagramme en barres. " + _liste(items, "recours") + ".",
        unite="recours",
    )


def recence(spec: LiveFigure, now: datetime) -> Graphique:
    """The share of entries verified within 12 months, beside a report's rate if one is named."""
    counts = services.recence(now)
    taux = (
        (Decimal(counts.verifiees) * 100 / counts.publiees).quantize(Decimal("0.1"))
        if counts.publiees
        else None
    )
    tableau = Tableau(
        ["Fiches publiées", "Vérifiées depuis moins de 12 mois", "Taux de récence (%)"]
    )
    tableau.lignes = [[counts.publiees, counts.verifiees, taux]]
    items = [
        ("Vérifiées depuis moins de 12 mois", counts.verifiees),
        ("Non vérifiées depuis 12 mois", counts.publiees - counts.verifiees),
    ]
    notes = []
    cle = spec.reference.get("indicateur")
    other = services.indicateur(cle) if cle else None
    if other is not None:
        notes.append(
            spec.reference["note"].format(
                periode=other.periode, valeur=nombre(other.valeur), source=other.source
            )
        )
    alternative = (
        f"Taux de récence : {nombre(taux)} % — {nombre(counts.verifiees)} fiches vérifiées "
        f"depuis moins de 12 mois sur {nombre(counts.publiees)} publiées."
        if taux is not None
        else "Aucune fiche n'est publiée : le taux de récence n'est pas calculable."
    )
    return _live(
        spec,
        now,
        tableau,
        barres=svg.barres(items, "fiches") if counts.publiees else None,
        alternative=alternative,
        notes=notes,
        unite="fiches",
    )


LIVE_BUILDERS: dict[str, Callable[[LiveFigure, datetime], Graphique | None]] = {
    "comparaison": comparaison,
    "recours-par-nature": recours_par_nature,
    "recours-par-departement": recours_par_departement,
    "recours-par-specialite": recours_par_specialite,
    "publications-par-mois": publications_par_mois,
    "recence": recence,
}


def for_rapport(rapport: Rapport, now: datetime | None = None) -> list[Graphique]:
    """Every chart of a topic: its datasets, then the live statistics if it has them."""
    now = now or utcnow()
    result = [jeu(item) for item in rapport.jeux]
    if rapport.statistiques_annuaire:
        for spec in texts().en_direct:
            figure = LIVE_BUILDERS[spec.calcul](spec, now)
            if figure is not None:  # a comparison without its sourced figure is left out
                result.append(figure)
    return result


def one(rapport: Rapport, slug: str, now: datetime | None = None) -> Graphique | None:
    """One chart of a topic by its slug (whitelisted: a dataset or a live chart), or None."""
    item = services.get_jeu(rapport, slug)
    if item is not None:
        return jeu(item)
    spec = live_figure(slug) if rapport.statistiques_annuaire else None
    return LIVE_BUILDERS[spec.calcul](spec, now or utcnow()) if spec else None


def indicateurs(rapport: Rapport) -> Tableau:
    """The key figures of a topic as a table (the same rows as its CSV)."""
    tableau = Tableau(
        [
            "Indicateur",
            "Valeur",
            "Unité",
            "Période",
            "Évolution (%)",
            "Par rapport à",
            "Source",
            "Note",
        ]
    )
    for item in services.indicateurs_publies(rapport):
        tableau.lignes.append(
            [
                item.libelle,
                item.valeur,
                item.unite,
                item.periode,
                item.evolution,
                item.evolution_reference,
                item.source,
                item.note,
            ]
        )
    return tableau


# --- supply and demand --------------------------------------------------------------------


def offre_demande(item: JeuDepartemental, now: datetime | None = None) -> Graphique:
    rows = services.offre_demande(item)
    tableau = Tableau(
        [
            "Code",
            "Département",
            f"Demandes émises ({item.unite})",
            "Recours acceptant ses demandes",
            "Recours situés dans le département",
            "Demandes par recours acceptant",
        ]
    )
    tableau.lignes = [
        [r.code, r.nom, r.demandes, r.acceptent, r.situes, r.demandes_par_recours] for r in rows
    ]
    ranked = [
        (f"{r.nom} ({r.code})", r.demandes_par_recours)
        for r in rows
        if r.demandes_par_recours is not None
    ]
    without = [f"{r.nom} ({r.code})" for r in rows if r.demandes is not None and not r.acceptent]
    alternative = (
        "Diagramme en barres des demandes émises par recours acceptant, du plus au "
        "moins tendu. " + _liste(ranked) + "."
    )  # type: ignore[arg-type]
    if without:
        alternative += (
            " Aucun recours publié n'accepte les demandes de : " + ", ".join(without) + "."
        )
    return Graphique(
        slug="offre-et-demande",
        titre=texts().offre_demande_titre,
        tableau=tableau,
        source=f"Demande : {item.source} ({item.periode}). Offre : {texts().source_en_direct}.",
        source_url=item.source_url,
        methode=texts().offre_demande_methode.format(jeu=item.titre.lower()),
        mis_a_jour=now or utcnow(),
        en_direct=True,
        barres=svg.barres(ranked, "demandes par recours"),  # type: ignore[arg-type]
        alternative=alternative,
        unite="demandes par recours",
    )


def matrice_tableau(matrice: services.Matrice) -> Tableau:
    tableau = Tableau(["Spécialité ou thématique"] + [d.code for d in matrice.departements])
    for spec, cells in matrice.lignes:
        tableau.lignes.append([spec.libelle] + [cells.get(d.code, 0) for d in matrice.departements])
    return tableau
