"""Text normalisation shared by every door in: forms, services and the CLI."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email


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
