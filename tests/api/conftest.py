"""The API's fixtures: a client whose every answer is checked against the OpenAPI document."""

from __future__ import annotations

import json

import pytest

from tests.api.openapi import check


class ApiClient:
    """The test client, each response validated by :func:`tests.api.openapi.check`."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client
        self.requests = 0

    def open(self, url: str, method: str = "GET", **kwargs):  # noqa: ANN201
        response = self.client.open(url, method=method, **kwargs)
        self.requests += 1
        if method != "OPTIONS" or response.status_code == 405:
            check(response, method)
        return response

    def get(self, url: str, **kwargs):  # noqa: ANN201
        return self.open(url, **kwargs)

    def json(self, url: str, status: int = 200, **kwargs) -> dict:
        response = self.get(url, **kwargs)
        assert response.status_code == status, response.get_data(as_text=True)
        return json.loads(response.get_data())

    def follow(self, url: str) -> list[dict]:
        """Every item of a listing, following ``suivant`` to the end."""
        found: list[dict] = []
        while url:
            body = self.json(url)
            found += body["donnees"]
            url = body["suivant"]
        return found


@pytest.fixture
def api(app, client) -> ApiClient:
    return ApiClient(client)
