"""Staff fixtures (see tests/backoffice.py)."""

from tests.backoffice import admin, staff, submitted  # noqa: F401
