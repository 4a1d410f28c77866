"""The OpenAPI document is a valid OpenAPI 3.1 description, served at a stable address."""

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from ato.api.openapi import document


def test_the_document_is_valid_openapi_3_1():
    validate(document())
    assert document()["openapi"].startswith("3.1")


def test_the_validator_would_catch_a_broken_document():
    broken = {**document(), "paths": {"/recours": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_the_document_is_served_at_a_stable_address(api):
    assert api.json("/api/v1/openapi.json") == document()


def test_every_schema_the_answers_use_is_declared():
    names = set(document()["components"]["schemas"])
    assert {"Recours", "Service", "Canal", "Tombstone", "Problem"} <= names
