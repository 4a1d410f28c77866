"""WSGI entry point: ``gunicorn wsgi:app``."""

from ato import create_app
from ato.web import tune_garbage_collector

app = create_app()
tune_garbage_collector()

try:  # gunicorn names itself and its version in every response: say less
    import gunicorn.http.wsgi
except ImportError:  # another WSGI server
    pass
else:
    gunicorn.http.wsgi.SERVER = "ATO"
