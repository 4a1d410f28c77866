"""Local web servers and the app settings the link checks need in tests."""

from __future__ import annotations

import ssl

import pytest
import trustme

from tests.backoffice import staff  # noqa: F401
from tests.links.server import TestWebServer

TEST_TIMEOUT = 0.4


@pytest.fixture
def web():
    server = TestWebServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def tls_web(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    server = TestWebServer(tls=context).start()
    yield server
    server.stop()


@pytest.fixture
def links_config(app):
    """The local test server is on 127.0.0.1: allowed here, as only tests may."""
    keys = {
        "ATO_LINKS_ALLOW_PRIVATE": True,
        "ATO_LINKS_TIMEOUT": TEST_TIMEOUT,
        "ATO_LINKS_FAILURES_BEFORE_NOTICE": 3,
        "ATO_LINKS_CONCURRENCY": 4,
    }
    previous = {key: app.config[key] for key in keys}
    app.config.update(keys)
    yield app.config
    app.config.update(previous)
