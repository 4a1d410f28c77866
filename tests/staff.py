"""Staff accounts and logged-in clients for the back-office tests."""

from __future__ import annotations

import re

from ato.auth import services
from ato.core.access import Role
from ato.extensions import db

PASSWORD = "une-phrase-de-passe-solide"  # noqa: S105


def make_user(app, email="moderatrice@ato.invalid", role=Role.MODERATEUR):
    with app.app_context():
        user = services.create_user(email, "Équipe test", role, PASSWORD)
        db.session.commit()
        return user.id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, email="moderatrice@ato.invalid", password=PASSWORD, next_url=None):
    page = client.get("/connexion" + (f"?next={next_url}" if next_url else ""))
    html = page.get_data(as_text=True)
    data = {"csrf_token": csrf_of(html), "email": email, "password": password}
    found = re.search(r'name="next"[^>]*value="([^"]*)"', html)
    if found:
        data["next"] = found.group(1)
    return client.post("/connexion", data=data)
