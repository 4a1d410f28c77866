"""Text normalisation shared by every door in: forms, services, imports and the CLI."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

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
        return "Ce champ contient un caractère invisible non autorisé."
    return None


def plain_text_problem(value: str | None) -> str | None:
    """Why ``value`` cannot be a multi-line text, in French; or None."""
    if value and has_control_characters(value):
        return "Ce texte contient un caractère invisible non autorisé."
    return None


def normalize_email(value: str | None) -> str:
    """The one form of an e-mail address that ATO stores, compares and throttles on.

    NFC, no surrounding whitespace (any Unicode space, e.g. a no-break space
    pasted from a signature) and lower case: ``" Camille@CHU.fr\\n"`` and
    ``"camille@chu.fr"`` are the same account, the same contact and the same
    login-throttle key. It does not check the syntax: see :func:`valid_email`.
    """
    return unicodedata.normalize("NFC", value or "").strip().lower()


def valid_email(value: str | None) -> str:
    """A syntactically valid address in its normal form, or ``ValueError`` (French message).

    ``email-validator`` checks the syntax (IDNA domains included); no DNS query
    is made, so a registration never waits on the network.
    """
    try:
        address = validate_email(normalize_email(value), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError("Adresse électronique invalide.") from exc
    return normalize_email(address)
