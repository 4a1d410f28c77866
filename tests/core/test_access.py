"""Deny by default: every /admin URL, found by walking the URL map, for each kind of visitor."""

import re

import pytest

from ato.core.access import Role
from tests.staff import login, make_user

SAMPLE_ARGS = {"demande_id": "1", "action": "publier"}

# What only administrators may do, written here and not read from the code: a route
# someone adds for administrators but forgets to declare is refused to everyone
# (deny by default), and one declared for moderators by mistake fails below.
ADMINISTRATOR_ONLY = {
    ("GET", "/admin/utilisateurs"),
    ("POST", "/admin/utilisateurs"),
    ("POST", "/admin/utilisateurs/<int:user_id>/<action>"),
    ("POST", "/admin/fiches/<int:requis_id>/supprimer"),
}


def admin_urls(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_ARGS.get(m.group(1), "1"), rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url


def administrator_only(app, endpoint, method):
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    return any((method, rule) in ADMINISTRATOR_ONLY for rule in rules)


def test_the_list_of_administrator_routes_names_existing_routes(app):
    existing = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert existing >= ADMINISTRATOR_ONLY


def test_the_walk_finds_the_admin_routes(app):
    endpoints = {e for e, _, _ in admin_urls(app)}
    assert {"moderation.queue", "moderation.decide", "accounts.users"} <= endpoints


def test_anonymous_visitors_are_sent_to_login_everywhere(app, client):
    for endpoint, method, url in admin_urls(app):
        response = client.open(url, method=method)
        if method == "GET":
            assert response.status_code == 302, (endpoint, url)
            assert "/connexion" in response.headers["Location"]
        else:  # a POST without a CSRF token never reaches the view
            assert response.status_code in (302, 400), (endpoint, url)


@pytest.mark.parametrize(
    ("role", "admin_pages"), [(Role.MODERATEUR, 403), (Role.ADMINISTRATEUR, 200)]
)
def test_moderators_never_reach_administrator_pages(app, client, role, admin_pages):
    make_user(app, role=role)
    login(client)
    for endpoint, method, url in admin_urls(app):
        if method != "GET":
            continue
        status = client.get(url).status_code
        if administrator_only(app, endpoint, method):
            assert status == admin_pages, endpoint
        else:
            assert status in (200, 404), endpoint  # 404: sample id that does not exist


def test_state_changes_need_a_post_with_csrf(app, client):
    make_user(app)
    login(client)
    response = client.post("/admin/demandes/1/publier")
    assert response.status_code == 400


def test_moderators_cannot_post_to_administrator_functions(app, client):
    from tests.staff import csrf_of

    make_user(app)
    login(client)
    token = csrf_of(client.get("/admin/").get_data(as_text=True))
    posted = 0
    for endpoint, method, url in admin_urls(app):
        if method == "POST" and administrator_only(app, endpoint, method):
            response = client.post(url, data={"csrf_token": token})
            assert response.status_code == 403, endpoint
            posted += 1
    assert posted >= 3  # invite, enable/disable, delete


def test_anonymous_posts_with_a_valid_csrf_token_are_sent_to_login(app, client):
    """The CSRF check answers first; with a valid token the login guard must still hold."""
    from tests.staff import csrf_of

    token = csrf_of(client.get("/connexion").get_data(as_text=True))
    for endpoint, method, url in admin_urls(app):
        if method == "POST":
            response = client.post(url, data={"csrf_token": token})
            assert response.status_code == 302, endpoint
            assert "/connexion" in response.headers["Location"], endpoint


def test_a_staff_view_without_a_declared_role_is_refused_to_everyone(app, app_config):
    """Deny by default: forgetting ``@requires`` closes a page, it never opens it."""
    from ato import create_app
    from ato.core.access import requires, staff_blueprint

    other = create_app(app_config)  # the same database, plus a blueprint of its own
    bp = staff_blueprint("extra", __name__, "/admin/extra")
    bp.add_url_rule("/oubliee", "forgotten", lambda: "ouvert")
    bp.add_url_rule("/declaree", "declared", requires(Role.ADMINISTRATEUR)(lambda: "ouvert"))
    other.register_blueprint(bp)
    make_user(other, email="chef@ato.invalid", role=Role.ADMINISTRATEUR)
    app = other
    try:
        client = app.test_client()
        login(client, email="chef@ato.invalid")
        assert client.get("/admin/extra/oubliee").status_code == 403
        assert client.get("/admin/extra/declaree").status_code == 200
    finally:
        from ato.extensions import db

        with other.app_context():
            db.engine.dispose()  # its own pool: no connection left for the collector
