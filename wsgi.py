"""WSGI entry point: ``gunicorn wsgi:app``."""

from ato import create_app

app = create_app()
