"""The figures of the report pages: each builder turns service data into a :class:`Graphique`.

A figure is a chart as a report prints it — "Figure 3" with its caption,
data and source. A :class:`Graphique` holds everything one shows, so nothing
is computed in templates: its SVG geometry (from :mod:`ato.reports.svg`), a
text alternative, the data table (the same rows as its CSV), the source and
method, and the date of last update. Live figures read the directory at the
time of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ato.core.models import utcnow
from ato.reports import services, svg
from ato.reports.models import JeuDepartemental, Rapport
from ato.reports.svg import Barres, Carte, Serie
from ato.web import nombre

LIVE_SOURCE = "Annuaire ATO, fiches publiées (calcul en direct)"


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
    methode = (
        "Valeurs par département transmises par l'équipe du GRADeS e-santé Occitanie. "
        "Les classes de la carte sont celles de la légende du rapport source ; une valeur égale "
        "à une borne appartient à la classe supérieure."
    )
    graphique = Graphique(
        slug=item.slug,
        titre=item.titre,
        tableau=tableau,
        source=item.source,
        source_url=item.source_url,
        extrait=item.extrait,
        methode=methode,
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


def recours_par_nature(now: datetime) -> Graphique:
    rows = services.par_nature()
    tableau = Tableau(["Nature du recours", "Recours publiés"])
    tableau.lignes = [[nature.label, count] for nature, count in rows]
    items = [(nature.label, count) for nature, count in rows]
    return Graphique(
        slug="recours-par-nature",
        titre="Recours publiés par nature",
        tableau=tableau,
        source=LIVE_SOURCE,
        methode="Nombre de fiches publiées dans l'annuaire, par nature de recours "
        "(établissement de santé, professionnel libéral, dispositif de coordination ou régional).",
        mis_a_jour=now,
        en_direct=True,
        barres=svg.barres(items, "recours"),
        alternative="Diagramme en barres. " + _liste(items, "recours") + ".",
        unite="recours",
    )


def recours_par_departement(now: datetime) -> Graphique:
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
    return Graphique(
        slug="recours-par-departement",
        titre="Recours par département",
        tableau=tableau,
        source=LIVE_SOURCE,
        methode="La carte compte, pour chaque département, les recours publiés qui acceptent "
        "les demandes venant de ce département, recours régionaux compris. Le tableau donne "
        "aussi les recours situés dans le département (adresse de la fiche). Un recours est "
        "compté une fois par département, quel que soit son nombre de services.",
        mis_a_jour=now,
        en_direct=True,
        carte=carte,
        alternative="Carte des 13 départements d'Occitanie : recours publiés acceptant les "
        "demandes de chaque département. "
        + _liste([(f"{r.nom} ({r.code})", r.acceptent) for r in rows], "recours")
        + ".",
        unite="recours",
    )


def recours_par_specialite(now: datetime) -> Graphique:
    rows = services.par_specialite()
    tableau = Tableau(["Spécialité ou thématique", "Nature", "Recours publiés"])
    tableau.lignes = [
        [s.libelle, "spécialité" if s.nature.value == "specialite" else "thématique", n]
        for s, n in rows
    ]
    items = [(s.libelle, n) for s, n in rows]
    return Graphique(
        slug="recours-par-specialite",
        titre="Recours publiés par spécialité",
        tableau=tableau,
        source=LIVE_SOURCE,
        methode="Nombre de recours publiés proposant au moins un service dans la spécialité, "
        "comme spécialité principale ou comme thématique. Un recours qui couvre plusieurs "
        "spécialités est compté dans chacune.",
        mis_a_jour=now,
        en_direct=True,
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


def publications_par_mois(now: datetime) -> Graphique:
    months = services.publications_par_mois(now)
    tableau = Tableau(["Mois", "Recours publiés dans le mois", "Total à la fin du mois"])
    tableau.lignes = [[m.libelle, m.nouvelles, m.cumul] for m in months]
    reference_figure = services.indicateur("ato-2023-recours")
    reference = None
    notes = []
    if reference_figure is not None:
        value = int(reference_figure.valeur)
        reference = (value, f"{nombre(value)} recours répertoriés fin 2023")
        notes.append(
            f"Ligne de référence : {nombre(value)} recours répertoriés fin 2023 "
            f"(source : {reference_figure.source})."
        )
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
    return Graphique(
        slug="publications-par-mois",
        titre="Recours publiés au fil des mois",
        tableau=tableau,
        source=LIVE_SOURCE,
        methode="Fiches publiées aujourd'hui, comptées au mois de leur première publication "
        "(heure de Paris), et leur total cumulé. Une fiche archivée depuis n'est plus comptée : "
        "la série décrit l'annuaire actuel.",
        mis_a_jour=now,
        en_direct=True,
        serie=serie,
        alternative=alternative,
        notes=notes,
        unite="recours",
    )


def comparaison_fin_2023(now: datetime) -> Graphique | None:
    rows = services.comparaison_fin_2023()
    if rows is None:
        return None
    tableau = Tableau(["Recours", "Fin 2023 (rapport d'activités)", "Aujourd'hui", "Écart"])
    items: list[tuple[str, object]] = []
    for row in rows:
        before = int(row.fin_2023.valeur) if row.fin_2023 else None
        tableau.lignes.append([row.libelle, before, row.aujourd_hui, row.ecart])
        if before is not None:
            items.append((f"{row.libelle} — fin 2023", before))
        items.append((f"{row.libelle} — aujourd'hui", row.aujourd_hui))
    source_2023 = rows[0].fin_2023.source if rows[0].fin_2023 else ""
    return Graphique(
        slug="comparaison-fin-2023",
        titre="L'annuaire aujourd'hui et fin 2023",
        tableau=tableau,
        source=f"Fin 2023 : {source_2023}. Aujourd'hui : {LIVE_SOURCE}.",
        methode="Les recours publiés aujourd'hui, par nature, comparés aux recours "
        "répertoriés fin 2023 selon le rapport d'activités (qui ne détaille pas les "
        "dispositifs de coordination). L'écart est la différence aujourd'hui moins fin 2023.",
        mis_a_jour=now,
        en_direct=True,
        barres=svg.barres(items, "recours"),  # type: ignore[arg-type]
        alternative="Diagramme en barres. " + _liste(items, "recours") + ".",
        unite="recours",
    )


def recence(now: datetime) -> Graphique:
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
    ror = services.indicateur("ror-2023-recence")
    if ror is not None:
        notes.append(
            f"Pour comparaison, taux de récence du ROR Occitanie en {ror.periode} : "
            f"{nombre(ror.valeur)} % (source : {ror.source})."
        )
    alternative = (
        f"Taux de récence : {nombre(taux)} % — {nombre(counts.verifiees)} fiches vérifiées "
        f"depuis moins de 12 mois sur {nombre(counts.publiees)} publiées."
        if taux is not None
        else "Aucune fiche n'est publiée : le taux de récence n'est pas calculable."
    )
    return Graphique(
        slug="recence",
        titre="Taux de récence des fiches",
        tableau=tableau,
        source=LIVE_SOURCE,
        methode="Part des fiches publiées dont les informations ont été vérifiées (publication, "
        "mise à jour validée par l'équipe) depuis moins de 12 mois (365 jours), la mesure de "
        "fraîcheur en usage dans les répertoires de l'offre de soins.",
        mis_a_jour=now,
        en_direct=True,
        barres=svg.barres(items, "fiches") if counts.publiees else None,
        alternative=alternative,
        notes=notes,
        unite="fiches",
    )


LIVE_CHARTS = (
    ("comparaison-fin-2023", comparaison_fin_2023),
    ("recours-par-nature", recours_par_nature),
    ("recours-par-departement", recours_par_departement),
    ("recours-par-specialite", recours_par_specialite),
    ("publications-par-mois", publications_par_mois),
    ("recence", recence),
)


def for_rapport(rapport: Rapport, now: datetime | None = None) -> list[Graphique]:
    """Every chart of a topic: its datasets, then the live statistics if it has them."""
    now = now or utcnow()
    result = [jeu(item) for item in rapport.jeux]
    if rapport.statistiques_annuaire:
        result += [g for _, build in LIVE_CHARTS if (g := build(now)) is not None]
    return result


def one(rapport: Rapport, slug: str, now: datetime | None = None) -> Graphique | None:
    """One chart of a topic by its slug (whitelisted: a dataset or a live chart), or None."""
    item = services.get_jeu(rapport, slug)
    if item is not None:
        return jeu(item)
    if rapport.statistiques_annuaire:
        for name, build in LIVE_CHARTS:
            if name == slug:
                return build(now or utcnow())
    return None


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
        titre="Demandes émises par recours acceptant, par département",
        tableau=tableau,
        source=f"Demande : {item.source} ({item.periode}). Offre : {LIVE_SOURCE}.",
        source_url=item.source_url,
        methode="Pour chaque département, les demandes émises par ses sites requérants "
        f"({item.titre.lower()}) sont divisées par le nombre de recours publiés dans ATO qui "
        "acceptent ses demandes (recours régionaux compris). Plus le rapport est élevé, plus "
        "la demande y dépasse l'offre répertoriée. Les deux sources ne couvrent pas le même "
        "champ : les demandes passent par TéléO, les recours d'ATO utilisent tous les outils.",
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
