"""Response times as people write and say them, stored in minutes.

:func:`parse` reads what a coordinator types in a form or a spreadsheet
(``30 min``, ``1 h 30``, ``72 h``, ``48``, ``5 jours``, ``J+2``, ``2 sem.``,
``sous 24 h``) and :func:`words` says a number of minutes back the way people
say it (``30 min``, ``4 h``, ``1 h 30``, ``3 jours``, ``1 semaine``). A bare
number is a number of hours, as the directory always counted them.
"""

from __future__ import annotations

import re

from ato.core.text import fold, plural

MINUTE, HOUR, DAY, WEEK = 1, 60, 24 * 60, 7 * 24 * 60
MAXIMUM = 90 * DAY  # a longer delay is a typing mistake, not a tele-expertise answer time
EXAMPLES = "30 min, 48 h, 5 jours, 1 semaine"
MAX_LENGTH = 40
UNITS = {
    "min": MINUTE,
    "mn": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "heure": HOUR,
    "heures": HOUR,
    "j": DAY,
    "jr": DAY,
    "jrs": DAY,
    "jour": DAY,
    "jours": DAY,
    "sem": WEEK,
    "sems": WEEK,
    "semaine": WEEK,
    "semaines": WEEK,
}
# Words around the delay itself: « sous 24 h », « 48 h maximum », « en moins de 2 jours ».
AROUND = re.compile(
    r"^(?:(?:sous|en|dans|les|un|delai|de|moins|maximum|max|au plus|<=|<|≤)\s*)+"
    r"|(?:\s*(?:maximum|max|maxi|au plus|environ))+\.?$"
)
PART = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*([a-z]+)?\.?\s*(?:et\s+)?")
RELATIVE_DAY = re.compile(r"j\s*\+\s*(\d+)")


def _unknown(text: str) -> ValueError:
    return ValueError(f"« {text} » n'est pas un délai reconnu : indiquez par ex. {EXAMPLES}.")


def parse(text: str | int) -> int:
    """Minutes for a delay as typed, or ``ValueError`` with a French sentence.

    Several parts add up, largest unit first (``1 h 30``, ``2 jours 12 h``);
    a number without unit after hours counts minutes (``1 h 30``), and alone
    counts hours (``48``). Decimals are rounded to the minute (``1,5 h``).
    """
    shown = str(text).strip()
    if len(shown) > MAX_LENGTH:
        raise _unknown(shown[:MAX_LENGTH] + "…")
    value = AROUND.sub("", fold(shown).strip()).strip()
    relative = RELATIVE_DAY.fullmatch(value)
    if relative:
        return bounded(int(relative.group(1)) * DAY)
    parts: list[tuple[float, str | None]] = []
    position = 0
    while position < len(value):
        match = PART.match(value, position)
        if not match or match.end() == position:
            raise _unknown(shown)
        parts.append((float(match.group(1).replace(",", ".")), match.group(2)))
        position = match.end()
    if not parts:
        raise _unknown(shown)
    total = 0.0
    previous: int | None = None
    for number, unit_name in parts:
        if unit_name is None:
            # "48" alone is hours; "1 h 30" ends in minutes; nothing else goes unitless.
            unit = HOUR if previous is None and len(parts) == 1 else MINUTE
            if previous not in (None, HOUR):
                raise _unknown(shown)
        elif unit_name in UNITS:
            unit = UNITS[unit_name]
        else:
            raise _unknown(shown)
        if previous is not None and unit >= previous:
            raise _unknown(shown)  # "30 min 2 h": units go from the largest down
        total += number * unit
        previous = unit
    return bounded(round(total))


def bounded(minutes: int) -> int:
    """``minutes`` when it is a delay ATO accepts (one minute to 90 days), else ``ValueError``."""
    if minutes < 1:
        raise ValueError("Le délai doit être d'au moins une minute.")
    if minutes > MAXIMUM:
        raise ValueError("Un délai de réponse de plus de 90 jours n'est pas accepté.")
    return minutes


def words(minutes: int) -> str:
    """How people say a delay: the largest unit that says it exactly.

    Below three days people count in hours (``24 h``, ``48 h``, ``1 h 30``);
    from three days on, in days or weeks when the delay is a whole number of
    them (``3 jours``, ``1 semaine``), in hours otherwise.
    """
    if minutes < HOUR:
        return f"{minutes} min"
    if minutes >= 3 * DAY and minutes % DAY == 0:
        if minutes % WEEK == 0:
            return plural(minutes // WEEK, "semaine")
        return plural(minutes // DAY, "jour")
    hours, rest = divmod(minutes, HOUR)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d}"
