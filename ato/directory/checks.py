"""Checks of one value of an entry: each returns the normal form or raises ``ValueError``
with a French sentence. National identifiers (FINESS, RPPS: Luhn keys from python-stdnum),
French phone numbers (phonenumbers), MSSanté addresses."""

from __future__ import annotations

import re

import phonenumbers
from stdnum import luhn

from ato.core.text import valid_email


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def finess(value: str) -> str:
    value = _digits(value).upper()
    if not re.fullmatch(r"\d{9}", value):
        raise ValueError("Le numéro FINESS compte 9 chiffres.")
    if not luhn.is_valid(value):
        raise ValueError("Ce numéro FINESS n'est pas valide (clé de contrôle incorrecte).")
    return value


def rpps(value: str) -> str:
    value = _digits(value)
    if not re.fullmatch(r"\d{11}", value):
        raise ValueError("Le numéro RPPS compte 11 chiffres.")
    if not luhn.is_valid(value):
        raise ValueError("Ce numéro RPPS n'est pas valide (clé de contrôle incorrecte).")
    return value


def phone(value: str, message: str = "Numéro de téléphone invalide (ex. : 05 61 00 00 00).") -> str:
    """A French number as ``05 61 00 00 00`` (``phonenumbers`` knows the numbering plan)."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise ValueError(message) from None
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        raise ValueError(message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def email(value: str) -> str:
    return valid_email(value)


def mssante(value: str) -> str:
    """A professional MSSanté address."""
    try:
        address = valid_email(value)
    except ValueError as exc:
        raise ValueError("Adresse MSSanté invalide.") from exc
    domain = address.rsplit("@", 1)[1]
    if domain == "patient.mssante.fr" or domain.endswith(".patient.mssante.fr"):
        raise ValueError(
            "Les adresses @patient.mssante.fr appartiennent aux patients : indiquez "
            "l'adresse MSSanté professionnelle du service."
        )
    if not domain.endswith(".mssante.fr"):
        raise ValueError("Une adresse MSSanté se termine par « .mssante.fr ».")
    return address
