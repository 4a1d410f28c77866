"""WSGI entry point: ``gunicorn wsgi:app``."""

from ato import create_app

app = create_app()

try:  # gunicorn names itself and its version in every response: say less
    import gunicorn.http.wsgi
except ImportError:  # another WSGI server
    pass
else:
    gunicorn.http.wsgi.SERVER = "ATO"
