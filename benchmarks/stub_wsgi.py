"""The benchmark's ceiling: ``/recherche`` with a zero-cost search (fixed ids).

Served by gunicorn as ``benchmarks.stub_wsgi:app`` to measure everything but
the search (Flask, SQL reload of the page's services, templates); the ratio of
the real page's throughput to this one is the search's share. It replaces
``services.search`` in this process only: production code carries no stub.
"""

from __future__ import annotations

from collections import Counter

from ato import create_app
from ato.directory import services as directory
from ato.directory.models import Service
from ato.extensions import db
from ato.search import services

_ids: list[int] = []


def stub_search(params: services.SearchParams, sql_only: bool = False) -> services.SearchResults:
    if not _ids:
        query = directory.published().with_only_columns(Service.id).order_by(Service.id)
        _ids.extend(db.session.scalars(query.limit(services.PAGE_SIZE)))
    counts: dict[str, Counter] = {d: Counter() for d in services.DIMENSIONS}
    return services.SearchResults(
        params=params,
        services=services._load_in_order(list(_ids)),
        total=len(_ids),
        facets=services._facet_values(counts, services.Filters((), False, None, None, None)),
        engine="index",
        counts=counts,
    )


services.search = stub_search
app = create_app()
