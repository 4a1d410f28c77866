"""The Table Schemas of the open data files: one description of every column.

The Data Package (``datapackage.json``) and the ``/donnees`` page are both made
from :func:`tables`, so that the file, its schema and its documentation never
disagree. Codes lists (départements, specialties, tools) come from the
reference data, so a new specialty is a new allowed code without a code change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ato.directory import services
from ato.directory.models import NatureOutil, NatureRequis, Public

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
#: The CSV dialect: what data.gouv.fr and its validator (Validata) expect.
DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True}
ENCODING = "utf-8"  # without BOM
LIST_SEPARATOR = "|"  # several codes in one cell (coverage, thématiques)
TRUE, FALSE = "oui", "non"


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema types: string, integer, boolean, date, datetime
    title: str
    description: str
    format: str = "default"
    required: bool = False
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def descriptor(self) -> dict[str, Any]:
        constraints: dict[str, Any] = {"required": self.required}
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.enum is not None:
            constraints["enum"] = list(self.enum)
        result: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "title": self.title,
            "description": self.description,
            "constraints": constraints,
        }
        if self.type == "boolean":
            result["trueValues"], result["falseValues"] = [TRUE], [FALSE]
        result.update(self.extra)
        return result


@dataclass(frozen=True)
class Table:
    name: str  # the resource name; the file is ``<name>.csv``
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[dict[str, Any], ...] = ()

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [f.name for f in self.fields]

    def schema(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "fields": [f.descriptor() for f in self.fields],
            "primaryKey": list(self.primary_key),
            "missingValues": [""],
        }
        if self.foreign_keys:
            result["foreignKeys"] = list(self.foreign_keys)
        return result


FINESS = "[0-9][0-9AB][0-9]{7}"
RPPS = "[0-9]{11}"
POSTAL_CODE = "[0-9]{5}"
CODES = "[a-z0-9-]+(\\|[a-z0-9-]+)*"


def _codes(values) -> tuple[str, ...]:  # noqa: ANN001
    return tuple(v.value for v in values)


def tables() -> tuple[Table, Table]:
    """The two CSV tables, codes lists read from the reference data (app context)."""
    departements = tuple(d.code for d in services.departements())
    specialites = tuple(sorted(s.slug for s in services.specialites()))
    outils = tuple(o.slug for o in services.outils())
    dep_list = "(" + "|".join(departements) + ")(\\|(" + "|".join(departements) + "))*"
    recours = Table(
        name="recours",
        title="Recours de télé-expertise (un service par ligne)",
        description=(
            "Chaque ligne est un service de télé-expertise d'un requis publié dans ATO ; les "
            "colonnes du requis (établissement, professionnel ou dispositif) sont répétées sur "
            "chacun de ses services. Les moyens d'envoi sont dans canaux.csv."
        ),
        fields=(
            Field(
                "service_id",
                "integer",
                "Identifiant du service",
                "Identifiant stable du service dans ATO (clé de la table).",
                required=True,
            ),
            Field(
                "requis_id",
                "integer",
                "Identifiant du requis",
                "Identifiant stable du requis dans ATO ; plusieurs services d'un même requis "
                "le partagent.",
                required=True,
            ),
            Field(
                "requis_nom",
                "string",
                "Nom du requis",
                "Nom de l'établissement, du dispositif, ou civilité, prénom et nom du "
                "professionnel libéral.",
                required=True,
            ),
            Field(
                "requis_nature",
                "string",
                "Nature du requis",
                "etablissement : établissement de santé ; liberal : professionnel libéral ; "
                "dispositif : dispositif de coordination ou régional.",
                required=True,
                enum=_codes(NatureRequis),
            ),
            Field(
                "finess",
                "string",
                "Numéro FINESS",
                "Numéro FINESS de l'établissement (9 caractères, clé de contrôle comprise).",
                pattern=FINESS,
            ),
            Field(
                "rpps",
                "string",
                "Numéro RPPS",
                "Numéro RPPS du professionnel libéral (11 chiffres).",
                pattern=RPPS,
            ),
            Field(
                "profession_code",
                "string",
                "Code de la profession",
                "Code de la profession du professionnel libéral dans la nomenclature "
                "nationale des professions de santé (ANS, TRE_G15).",
            ),
            Field(
                "profession",
                "string",
                "Profession",
                "Libellé de la profession du professionnel libéral.",
            ),
            Field("adresse", "string", "Adresse", "Numéro et voie du requis."),
            Field(
                "code_postal",
                "string",
                "Code postal",
                "Code postal (5 chiffres).",
                pattern=POSTAL_CODE,
            ),
            Field("ville", "string", "Ville", "Commune du requis.", required=True),
            Field(
                "departement_code",
                "string",
                "Code du département",
                "Code INSEE du département où le requis est situé.",
                required=True,
                enum=departements,
            ),
            Field("departement", "string", "Département", "Nom du département.", required=True),
            Field(
                "telephone",
                "string",
                "Téléphone du requis",
                "Standard ou secrétariat du requis, tel qu'il est publié.",
            ),
            Field("site_web", "string", "Site web", "Adresse du site web du requis.", format="uri"),
            Field(
                "fiche_url",
                "string",
                "Fiche ATO",
                "Adresse de la fiche du requis sur ATO.",
                format="uri",
                required=True,
            ),
            Field(
                "exemple",
                "boolean",
                "Fiche d'exemple",
                "oui : fiche fictive de démonstration, à ne pas utiliser ; non : recours réel.",
                required=True,
            ),
            Field(
                "verifie_le",
                "datetime",
                "Vérifié le",
                "Date et heure (UTC) de la dernière vérification de la fiche par l'équipe "
                "ou par le requis ; vide si jamais vérifiée.",
            ),
            Field(
                "publie_le",
                "datetime",
                "Publié le",
                "Date et heure (UTC) de la première publication de la fiche.",
            ),
            Field(
                "modifie_le",
                "datetime",
                "Modifié le",
                "Date et heure (UTC) du dernier changement public de la fiche.",
            ),
            Field(
                "service_position",
                "integer",
                "Rang du service",
                "Ordre du service sur la fiche du requis (0 pour le premier).",
                required=True,
            ),
            Field(
                "service_nom",
                "string",
                "Nom du service",
                "Nom du service ou de l'activité de télé-expertise.",
                required=True,
            ),
            Field(
                "specialite_code",
                "string",
                "Code de la spécialité",
                "Code ATO de la spécialité principale du service (voir les pages "
                "/specialites/<code>).",
                required=True,
                enum=specialites,
            ),
            Field(
                "specialite",
                "string",
                "Spécialité",
                "Libellé de la spécialité principale.",
                required=True,
            ),
            Field(
                "specialite_code_r38",
                "string",
                "Code ANS de la spécialité",
                "Code de la spécialité ordinale dans la nomenclature ANS TRE_R38 (vide pour "
                "une thématique, qui n'est pas une spécialité ordinale).",
            ),
            Field(
                "thematiques_codes",
                "string",
                "Codes des thématiques",
                f"Codes ATO des thématiques (pathologies, surspécialités) du service, séparés "
                f"par « {LIST_SEPARATOR} ».",
                pattern=CODES,
            ),
            Field(
                "thematiques",
                "string",
                "Thématiques",
                f"Libellés des thématiques, séparés par « {LIST_SEPARATOR} ».",
            ),
            Field(
                "description",
                "string",
                "Description",
                "Ce que le service propose, en texte libre (peut tenir sur plusieurs lignes).",
            ),
            Field(
                "demandeurs",
                "string",
                "Demandeurs acceptés",
                "Qui peut adresser une demande au service.",
            ),
            Field(
                "pieces_a_joindre",
                "string",
                "Pièces à joindre",
                "Ce qu'il faut joindre à la demande.",
            ),
            Field(
                "delai_reponse_minutes",
                "integer",
                "Délai de réponse (minutes)",
                "Délai de réponse annoncé, en minutes.",
                extra={"bareNumber": True},
            ),
            Field(
                "delai_reponse",
                "string",
                "Délai de réponse",
                "Délai de réponse annoncé, en toutes lettres (« 48 h », « 5 jours »).",
            ),
            Field(
                "disponibilite",
                "string",
                "Disponibilité",
                "Jours et heures où le service répond, en texte libre.",
            ),
            Field(
                "public_code",
                "string",
                "Code du public",
                "tous : adultes et enfants ; adulte : adultes ; pediatrique : enfants.",
                required=True,
                enum=_codes(Public),
            ),
            Field("public", "string", "Public", "Libellé du public pris en charge.", required=True),
            Field(
                "couverture_regionale",
                "boolean",
                "Couverture régionale",
                "oui : le service accepte les demandes de toute l'Occitanie.",
                required=True,
            ),
            Field(
                "couverture_departements",
                "string",
                "Départements couverts",
                f"Codes des départements dont le service accepte les demandes, séparés par "
                f"« {LIST_SEPARATOR} » (vide si la couverture est régionale).",
                pattern=dep_list,
            ),
            Field(
                "indisponible_du",
                "date",
                "Fermé à partir du",
                "Premier jour d'une fermeture annoncée ou en cours (AAAA-MM-JJ).",
            ),
            Field(
                "indisponible_au",
                "date",
                "Fermé jusqu'au",
                "Dernier jour de la fermeture ; vide : jusqu'à nouvel ordre.",
            ),
            Field(
                "indisponibilite_message",
                "string",
                "Message de fermeture",
                "Ce que le service dit de sa fermeture.",
            ),
            Field(
                "disponible",
                "boolean",
                "Disponible ce jour",
                "non : le service est fermé le jour où le fichier a été produit.",
                required=True,
            ),
        ),
        primary_key=("service_id",),
    )
    canaux = Table(
        name="canaux",
        title="Moyens d'adresser une demande (un canal par ligne)",
        description=(
            "Chaque ligne est un moyen d'envoyer une demande à un service de recours.csv : "
            "plateforme de télé-expertise, messagerie sécurisée de santé, téléphone ou "
            "formulaire, dans l'ordre de préférence du service."
        ),
        fields=(
            Field(
                "service_id",
                "integer",
                "Identifiant du service",
                "Le service de recours.csv auquel ce canal permet d'écrire.",
                required=True,
            ),
            Field(
                "rang",
                "integer",
                "Rang",
                "Ordre de préférence du canal pour ce service (1 pour le premier).",
                required=True,
            ),
            Field(
                "outil_code",
                "string",
                "Code de l'outil",
                "Code ATO de l'outil (plateforme, messagerie, téléphone…).",
                required=True,
                enum=outils,
            ),
            Field("outil", "string", "Outil", "Nom de l'outil.", required=True),
            Field(
                "outil_nature",
                "string",
                "Nature de l'outil",
                "plateforme : plateforme de télé-expertise ; messagerie : MSSanté ; "
                "telephone : téléphone ; formulaire : formulaire web ; autre : autre "
                "procédure.",
                required=True,
                enum=_codes(NatureOutil),
            ),
            Field(
                "adresse",
                "string",
                "Adresse",
                "Adresse sur cet outil : lien web, adresse MSSanté ou numéro de téléphone, "
                "telle qu'elle est publiée.",
                required=True,
            ),
            Field(
                "lien",
                "string",
                "Lien",
                "Lien à ouvrir : https://…, mailto:… ou tel:…",
                format="uri",
                required=True,
            ),
        ),
        primary_key=("service_id", "rang"),
        foreign_keys=(
            {
                "fields": ["service_id"],
                "reference": {"resource": "recours", "fields": ["service_id"]},
            },
        ),
    )
    return recours, canaux
