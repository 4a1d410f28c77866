"""``/api/v1/``: the published directory as read-only, versioned JSON for other systems.

Recourses (the published shape of :mod:`ato.directory.public`), filtered and
searched as on ``/recherche`` (the search's own validation and matching), in
cursor pages; an incremental sync by last change with tombstones
(:mod:`ato.directory.changes`); the reference lists; HTTP caching, read-only
CORS, its own rate limit; the OpenAPI 3.1 document that describes all of it.
"""
