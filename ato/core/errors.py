"""Business errors: a rule of the directory refused an operation.

Services raise :class:`DomainError` with a French sentence meant for the person
who asked; views catch exactly this class, roll back and show the sentence. Any
other exception (a ``ValueError`` from a programming error included) is a bug
and reaches the 500 handler instead of becoming a polite flash message.
"""

from __future__ import annotations


class DomainError(Exception):
    """An operation refused by a business rule; ``str(error)`` is shown to the user."""

    @property
    def message(self) -> str:
        return str(self)


class Forbidden(DomainError):
    """The actor's role does not allow the operation (checked in the service too)."""
