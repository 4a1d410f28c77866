"""Open data and change feeds: the published directory as files at stable URLs under
``/donnees`` (CSV, JSON, a Frictionless Data Package) and as Atom feeds under ``/flux``."""
