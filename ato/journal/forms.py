"""The journal's filters (GET, no CSRF): every value checked against a whitelist."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ato.core.audit import Action, Subject
from ato.core.forms import FilterForm, plausible_date, single_line
from ato.core.text import fold


class AuditFilterForm(FilterForm):
    action = SelectField("Action", default="")
    acteur = StringField("Auteur (courriel)", validators=[Optional(), Length(max=254), single_line])
    objet = SelectField(
        "Objet", default="", choices={"": "Tous"} | {s.value: s.label for s in Subject}
    )
    objet_id = IntegerField(
        "Numéro de l'objet", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )
    debut = DateField("Du", validators=[Optional(), plausible_date])
    fin = DateField("Au", validators=[Optional(), plausible_date])

    def __init__(self, actions: list[Action], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_label = sorted(actions, key=lambda a: fold(a.label))
        self.action.choices = {"": "Toutes"} | {a.value: a.label for a in by_label}
