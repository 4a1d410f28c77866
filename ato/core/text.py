"""Text normalisation shared by every door in: forms, services, imports and the CLI."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

CONTROL_MESSAGE = "Ce champ contient un caractère invisible non autorisé."
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def fold(text: str) -> str:
    """Lower case without accents or ligatures: ``Œdème Cœur`` → ``oedeme coeur``.

    The one folding of ATO: search, imports (specialty labels, town names) and
    duplicate checks compare folded text.
    """
    if text.isascii():
        return text.lower()
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def has_control_characters(value: str) -> bool:
    """A control character other than tab and line breaks (PostgreSQL refuses NUL)."""
    return any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in value)


def single_line_problem(value: str | None) -> str | None:
    """Why ``value`` cannot be a one-line field (a mail header, a name), in French; or None."""
    value = value or ""
    if any(c in value for c in LINE_BREAKS):
        return "Ce champ tient sur une seule ligne."
    if has_control_characters(value):
        return CONTROL_MESSAGE
    return None


def plain_text_problem(value: str | None) -> str | None:
    """Why ``value`` cannot be a multi-line text, in French; or None."""
    if value and has_control_characters(value):
        return CONTROL_MESSAGE
    return None


def normalize_email(value: str | None) -> str:
    """The one form of an e-mail address that ATO stores, compares and throttles on.

    NFC, no surrounding whitespace (any Unicode space, e.g. a no-break space
    pasted from a signature) and lower case: ``" Camille@CHU.fr\\n"`` and
    ``"camille@chu.fr"`` are the same account, the same contact and the same
    login-throttle key. It does not check the syntax: see :func:`valid_email`.
    """
    return unicodedata.normalize("NFC", value or "").strip().lower()


def valid_email(value: str | None, *, fictional: bool = False) -> str:
    """A syntactically valid address in its normal form, or ``ValueError`` (French message).

    ``email-validator`` checks the syntax (IDNA domains included); no DNS query
    is made, so a registration never waits on the network. ``fictional`` also
    accepts the reserved domains that can never receive mail (``exemple.invalid``),
    which the example data uses on purpose.
    """
    address = normalize_email(value)
    local, _, domain = address.rpartition("@")
    if fictional and (domain == "invalid" or domain.endswith(".invalid")):
        # email-validator refuses reserved names: check the same address on "test" instead.
        try:
            validate_email(
                f"{local}@{domain.removesuffix('invalid')}test",
                check_deliverability=False,
                test_environment=True,
            )
        except EmailNotValidError as exc:
            raise ValueError("Adresse électronique invalide.") from exc
        return address
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError("Adresse électronique invalide.") from exc
    return normalize_email(address)


def web_address(value: str, warnings: list[str] | None = None) -> str:
    """``https:`` addresses; ``http:`` accepted with a warning; nothing else."""
    value = value.strip()
    if value.lower().startswith("http://"):
        if warnings is not None:
            warnings.append(f"L'adresse {value} n'est pas sécurisée (http) : préférez https.")
    elif not value.lower().startswith("https://"):
        raise ValueError("L'adresse doit commencer par https:// (ex. : https://…).")
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s<>\"]*", value, re.IGNORECASE):
        raise ValueError("Adresse web invalide.")
    scheme, rest = value.split("://", 1)
    return f"{scheme.lower()}://{rest}"  # HTTPS://… is shown as a link too


# --- French agreement -------------------------------------------------------------------------


def plural_form(count: int | float, singular: str, plural: str | None = None) -> str:
    """The form of a word (or phrase) that agrees with ``count``, by the French rule: the
    singular below 2 (« 0 résultat », « 1,5 heure »), the plural from 2. ``plural`` defaults
    to ``singular`` + « s »; give it for anything else (« fiches publiées », « libéraux »)."""
    if abs(count) < 2:
        return singular
    return plural if plural is not None else singular + "s"


def plural(count: int | float, singular: str, plural: str | None = None) -> str:
    """« 1 résultat », « 2 résultats », « 1 234 fiches publiées »: the count, formatted the
    French way, and the agreeing form. The one mechanism for every count shown in French
    (the Jinja filter ``pluriel`` is this function)."""
    from babel.numbers import format_decimal

    return f"{format_decimal(count, locale='fr_FR')} {plural_form(count, singular, plural)}"
