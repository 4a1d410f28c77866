"""Login form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from ato.core.access import Role
from ato.core.forms import FrenchMeta, email, single_line
from ato.core.text import normalize_email


class LoginForm(FlaskForm):
    Meta = FrenchMeta
    email = StringField(
        "Courriel",
        validators=[InputRequired("Indiquez votre courriel."), Length(max=254)],
        filters=[normalize_email],  # the throttle and the account lookup see the same address
    )
    password = PasswordField(
        "Mot de passe", validators=[InputRequired("Indiquez votre mot de passe."), Length(max=1000)]
    )
    next = HiddenField()


class PasswordForm(FlaskForm):
    """Choose a password (from an invitation link)."""

    Meta = FrenchMeta

    password = PasswordField(
        "Mot de passe (12 caractères au moins ; une phrase facile à retenir convient)",
        validators=[InputRequired("Choisissez un mot de passe."), Length(max=1000)],
    )
    confirm = PasswordField(
        "Le même mot de passe, une seconde fois",
        validators=[InputRequired("Répétez le mot de passe."), Length(max=1000)],
    )


class InviteForm(FlaskForm):
    Meta = FrenchMeta
    email = StringField(
        "Courriel professionnel",
        validators=[InputRequired("Indiquez le courriel."), Length(max=254), email],
    )
    nom = StringField(
        "Nom et prénom",
        validators=[InputRequired("Indiquez le nom."), Length(max=200), single_line],
    )
    role = SelectField("Rôle", choices={r.value: r.label for r in Role})


class ChangePasswordForm(PasswordForm):
    """A member changes their password: the current one first."""

    current = PasswordField(
        "Mot de passe actuel",
        validators=[InputRequired("Indiquez votre mot de passe actuel."), Length(max=1000)],
    )


class ResetRequestForm(FlaskForm):
    """Ask for a reset link (the answer is the same whether the account exists or not)."""

    Meta = FrenchMeta
    email = StringField(
        "Courriel de votre compte",
        validators=[InputRequired("Indiquez votre courriel."), Length(max=254)],
        filters=[normalize_email],
    )


class ConfirmIdentityForm(FlaskForm):
    """Type the password again before administering accounts."""

    Meta = FrenchMeta
    password = PasswordField(
        "Mot de passe",
        validators=[InputRequired("Indiquez votre mot de passe."), Length(max=1000)],
    )
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    """A 6-digit code from the authenticator app, or a recovery code."""

    Meta = FrenchMeta
    code = StringField(
        "Code à 6 chiffres de l'application (ou code de secours)",
        validators=[InputRequired("Indiquez le code."), Length(max=20)],
    )
