"""Every answer the API tests receive is checked against the OpenAPI document.

:func:`check` finds the operation of a response (its path and method), the
schema declared for its status and media type, and validates the body with
``jsonschema`` (Draft 2020-12, the dialect of OpenAPI 3.1). A status or media
type the document does not declare fails as surely as a wrong field.
"""

from __future__ import annotations

import json
import re

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ato.api.openapi import document

BASE = "urn:ato-api-v1"
PREFIX = "/api/v1"


def _registry() -> Registry:
    return Registry().with_resource(
        BASE, Resource.from_contents(document(), default_specification=DRAFT202012)
    )


REGISTRY = _registry()


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def operation(path: str) -> str | None:
    """The templated path of the document that ``path`` (under /api/v1) matches."""
    for template in document()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return None


def check(response, method: str = "GET") -> None:  # noqa: ANN001
    path = response.request.path
    assert path.startswith(PREFIX)
    template = operation(path[len(PREFIX) :])
    status = str(response.status_code)
    if template is None:  # an address the API does not have: a problem, 404 or 405
        assert status in ("404", "405"), status
        schema = {"$ref": f"{BASE}#/components/schemas/Problem"}
        assert response.mimetype == "application/problem+json"
        _validate(schema, response)
        return
    responses = document()["paths"][template]["get"]["responses"]
    assert status in responses, f"{status} not declared for {template}"
    if status == "304" or method == "HEAD":
        assert response.get_data() == b""
        return
    declared = responses[status]["content"]
    assert response.mimetype in declared, f"{response.mimetype} not declared for {status}"
    pointer = _pointer("paths", template, "get", "responses", status, "content", response.mimetype)
    _validate({"$ref": f"{BASE}#/{pointer}/schema"}, response)


def _validate(schema: dict, response) -> None:  # noqa: ANN001
    validator = Draft202012Validator(
        schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(json.loads(response.get_data()))
