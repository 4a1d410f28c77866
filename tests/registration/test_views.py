"""Registration from the public forms: saved first, once, acknowledged, trackable."""

import html
import re
import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from ato.core.models import utcnow
from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.mail.models import OutboxMessage
from ato.mail.services import deliver_due
from ato.registration.models import Demande, Signalement, StatutDemande
from tests.factories import make_requis
from tests.registration.conftest import establishment_data, hidden_value


def post_form(client, form_page, nature="etablissement", **overrides):
    html, csrf, idem = form_page(nature)
    data = establishment_data(**{"csrf_token": csrf, "idempotency_key": idem, **overrides})
    return client.post(f"/inscription/{nature}", data=data), idem


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_valid_submission_is_saved_pending_and_tracked(app, client, form_page, smtp):
    response, _ = post_form(client, form_page)
    assert response.status_code == 303
    tracking = response.headers["Location"]
    assert re.search(r"/suivi/[\w-]{40,}\?nouveau=1$", tracking)
    page = client.get(tracking).get_data(as_text=True)
    assert "Merci, votre demande est enregistrée" in page and "Reçue" in page
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        assert demande.requis.statut == Statut.EN_ATTENTE
        assert demande.requis.finess == "310781406"
        assert [c.adresse for c in demande.requis.services[0].canaux] == [
            "https://teleo.exemple.fr/demande/dermato",
            "dermato@ch-fictif.mssante.fr",
        ]
    recipients = sorted(m["To"] for m in smtp.messages)
    assert recipients == ["camille@exemple.fr", app.config["ATO_STAFF_EMAIL"]]
    ack = next(m for m in smtp.messages if m["To"] == "camille@exemple.fr")
    assert tracking.split("?")[0].split("/suivi/")[1] in ack.get_payload(decode=True).decode()


def test_the_contact_address_is_stored_in_its_normal_form(app, client, form_page, smtp):
    response, _ = post_form(client, form_page, contact_email=" Camille@Exemple.FR\u00a0")
    assert response.status_code == 303
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        assert demande.contact_email == "camille@exemple.fr"
        assert demande.requis.contact_email == "camille@exemple.fr"


def test_pending_entry_is_not_public(app, client, form_page, smtp):
    post_form(client, form_page)
    assert "fictif de Test" not in client.get("/recherche?q=fictif").get_data(as_text=True)


def test_the_same_form_posted_twice_is_one_request(app, client, form_page, smtp):
    html, csrf, idem = form_page()
    data = establishment_data(csrf_token=csrf, idempotency_key=idem)
    first = client.post("/inscription/etablissement", data=data)
    second = client.post("/inscription/etablissement", data=data)
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert count(app, Demande) == 1
    assert count(app, OutboxMessage) == 2


def test_concurrent_identical_posts_create_one_request(app, app_config, form_page, smtp):
    html, csrf, idem = form_page()
    app.config["WTF_CSRF_ENABLED"] = False  # threads share no session cookie
    try:
        data = establishment_data(idempotency_key=idem)
        results = []

        def post():
            results.append(app.test_client().post("/inscription/etablissement", data=data))

        threads = [threading.Thread(target=post) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert [r.status_code for r in results] == [303] * 6
    assert len({r.headers["Location"].split("?")[0] for r in results}) == 1
    assert count(app, Demande) == 1 and count(app, Requis) == 1


def test_a_twin_post_committed_between_the_lookups_lands_on_the_same_tracking_page(
    app, client, form_page, smtp, monkeypatch
):
    """The twin of a post commits after its key lookup but before its identifier check.

    This is the interleaving seen on PostgreSQL, forced: the request must see the
    saved twin as its own, not as "une fiche porte déjà ce numéro". SQLite takes
    the write lock at BEGIN IMMEDIATE, so there two posts never interleave.
    """
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        pytest.skip("SQLite serialises write transactions: the interleaving cannot happen")
    from ato.registration import views

    html_page, csrf, idem = form_page()
    data = establishment_data(csrf_token=csrf, idempotency_key=idem)
    real = views.directory.find_duplicate
    twin = []
    started = threading.Event()

    def find_duplicate_after_twin(*args, **kwargs):
        if not started.is_set():  # the identical post, from another browser tab, commits now
            started.set()
            app.config["WTF_CSRF_ENABLED"] = False
            thread = threading.Thread(
                target=lambda: twin.append(
                    app.test_client().post("/inscription/etablissement", data=data)
                )
            )
            thread.start()
            thread.join(timeout=30)
            app.config["WTF_CSRF_ENABLED"] = True
        return real(*args, **kwargs)

    monkeypatch.setattr(views.directory, "find_duplicate", find_duplicate_after_twin)
    response = client.post("/inscription/etablissement", data=data)
    assert twin[0].status_code == 303
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] == twin[0].headers["Location"].split("?")[0]
    assert count(app, Demande) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("finess", "310781407", "clé de contrôle"),
        ("contact_email", "pas-un-courriel", "Adresse électronique invalide"),
        ("services-0-canaux-1-adresse", "x@patient.mssante.fr", "appartiennent aux patients"),
        ("services-0-canaux-0-adresse", "javascript:alert(1)", "https://"),
        ("site_web", "ftp://x.fr", "https://"),
        ("telephone", "12", "Numéro de téléphone invalide"),
        ("nom", "A\r\nBcc: x@y.fr", "une seule ligne"),
        ("departement", "75", "« 75 » n'est pas un département d'Occitanie"),
        ("consentement", None, "Cette confirmation est nécessaire"),
    ],
)
def test_errors_are_shown_beside_the_field_and_input_is_kept(
    app, client, form_page, field, value, message
):
    overrides = {field: value}
    response, _ = post_form(client, form_page, **overrides)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Le formulaire contient des erreurs" in page
    assert message in page or message.lower() in page.lower()
    assert 'value="Télédermatologie"' in page
    if field != "contact_email":
        assert 'value="camille@exemple.fr"' in page
    else:
        assert 'value="pas-un-courriel"' in page  # even the wrong value is kept to be corrected
    assert count(app, Demande) == 0


def test_an_expired_session_keeps_the_input(app, client, form_page):
    response, _ = post_form(client, form_page, csrf_token="expire")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Votre session a expiré" in page
    assert 'value="Centre hospitalier fictif de Test"' in page
    assert count(app, Demande) == 0


def test_adding_a_service_without_javascript_keeps_everything(client, form_page):
    response, _ = post_form(client, form_page, action="ajouter-service")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="services-1-nom"' in page
    assert 'value="Télédermatologie"' in page and 'value="310781406"' in page


def test_two_services_are_registered(app, client, form_page, smtp):
    extra = {
        "services-1-nom": "Télécardiologie",
        "services-1-specialite": "cardiologie",
        "services-1-public": "adulte",
        "services-1-regional": "y",
        "services-1-canaux-0-outil": "telephone",
        "services-1-canaux-0-adresse": "0561000002",
    }
    response, _ = post_form(client, form_page, **extra)
    assert response.status_code == 303
    with app.app_context():
        services = db.session.scalars(select(Requis)).one().services
        assert [s.nom for s in services] == ["Télédermatologie", "Télécardiologie"]
        assert services[1].couverture_regionale
        assert services[1].canaux[0].adresse == "05 61 00 00 02"


@pytest.mark.parametrize("statut", ["publiee", "en_attente"])
def test_a_known_finess_is_explained_and_nothing_is_created(app, client, form_page, statut):
    with app.app_context():
        make_requis(finess="310781406", statut=statut, nom="CHU fictif existant")
    response, _ = post_form(client, form_page)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "déjà" in page and "310781406" in page
    assert ("lien de mise à jour" in page) is (statut == "publiee")
    assert count(app, Demande) == 0


def test_the_honeypot_answers_calmly_and_keeps_nothing(app, client, form_page):
    response, _ = post_form(client, form_page, site_internet="http://spam.example")
    assert response.status_code == 200
    assert "Demande reçue" in response.get_data(as_text=True)
    assert count(app, Demande) == 0


def test_the_rate_limit_answers_with_the_form_and_the_input(app, client, form_page, smtp):
    app.config["ATO_SUBMISSION_RATE_LIMIT"] = "1 per hour"
    try:
        first, _ = post_form(client, form_page)
        second, _ = post_form(client, form_page, finess="340780477")
    finally:
        app.config["ATO_SUBMISSION_RATE_LIMIT"] = "1000 per minute"
    assert first.status_code == 303
    assert second.status_code == 429
    page = html.unescape(second.get_data(as_text=True))
    assert "Trop d'envois" in page and 'value="340780477"' in page


def test_submission_is_committed_while_smtp_is_down_and_sent_once_when_back(
    app, client, form_page, smtp
):
    smtp.stop()
    response, _ = post_form(client, form_page)
    assert response.status_code == 303
    assert count(app, Demande) == 1
    with app.app_context():
        pending = db.session.scalars(select(OutboxMessage)).all()
        assert len(pending) == 2 and all(m.sent_at is None and m.attempts == 1 for m in pending)
    smtp.start()
    with app.app_context():
        assert deliver_due() == (0, 0)  # backing off
        with freeze_time(timedelta(minutes=5), tick=True):
            assert deliver_due() == (2, 0)
        assert deliver_due() == (0, 0)
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_tracking_page_shows_each_status(app, client, form_page, smtp):
    response, _ = post_form(client, form_page)
    url = response.headers["Location"].split("?")[0]
    for statut, text, message in [
        ("en_cours", "En cours d'examen", None),
        ("publiee", "Publiée", None),
        ("refusee", "La demande a été refusée", "Hors région."),
        ("a_completer", "vous demande de compléter", "Ajoutez le FINESS."),
    ]:
        with app.app_context():
            demande = db.session.scalars(select(Demande)).one()
            demande.statut, demande.message = StatutDemande(statut), message
            # the database ties a decision date to the decided states
            demande.decided_at = utcnow() if statut in ("publiee", "refusee") else None
            db.session.commit()
        page = html.unescape(client.get(url).get_data(as_text=True))
        assert text in page
        if message:
            assert message in page


@pytest.mark.parametrize("token", ["inconnu", "x" * 43, "a" * 500])
def test_a_wrong_tracking_token_reveals_nothing(client, token):
    response = client.get(f"/suivi/{token}")
    assert response.status_code == 404
    assert "Lien de suivi inconnu" in response.get_data(as_text=True)


def test_a_request_to_complete_is_edited_and_resubmitted_through_the_link(
    app, client, form_page, smtp
):
    response, _ = post_form(client, form_page)
    url = response.headers["Location"].split("?")[0]
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        demande.statut, demande.message = StatutDemande.A_COMPLETER, "Précisez le délai."
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert 'value="Télédermatologie"' in page
    csrf = hidden_value(page, "csrf_token")
    data = establishment_data(
        csrf_token=csrf,
        idempotency_key=hidden_value(page, "idempotency_key"),
        **{"services-0-delai": "24"},
    )
    assert client.post(url, data=data).status_code == 303
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        assert demande.statut == StatutDemande.RECUE and demande.submissions == 2
        assert demande.requis.services[0].delai_reponse_minutes == 24 * 60  # a bare number: hours


def test_update_link_goes_only_to_the_registered_contact(app, client, smtp):
    with app.app_context():
        requis = make_requis(nom="CHU fictif publié", contact_email="contact@chu-fictif.fr")
        rid = requis.id
    page = client.get(f"/requis/{rid}/chu-fictif-publie").get_data(as_text=True)
    csrf = hidden_value(page, "csrf_token")
    response = client.post(
        f"/requis/{rid}/mise-a-jour", data={"csrf_token": csrf, "email": "attaquant@exemple.fr"}
    )
    assert response.status_code == 200
    assert "contact@chu-fictif.fr" not in response.get_data(as_text=True)
    assert [m["To"] for m in smtp.messages] == ["contact@chu-fictif.fr"]


def test_a_revision_never_changes_the_published_entry(app, client, smtp):
    with app.app_context():
        requis = make_requis(nom="CHU fictif publié", contact_email="contact@chu-fictif.fr")
        rid = requis.id
    page = client.get(f"/requis/{rid}/chu-fictif-publie").get_data(as_text=True)
    client.post(f"/requis/{rid}/mise-a-jour", data={"csrf_token": hidden_value(page, "csrf_token")})
    body = smtp.messages[0].get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/mise-a-jour/\S+", body).group(0)
    form = client.get(link).get_data(as_text=True)
    assert 'value="CHU fictif publié"' in form
    data = establishment_data(
        csrf_token=hidden_value(form, "csrf_token"),
        idempotency_key=hidden_value(form, "idempotency_key"),
        nom="CHU fictif renommé",
        finess=None,
    )
    data["finess"] = re.search(r'name="finess"[^>]*value="(\d+)"', form).group(1)
    response = client.post(link, data=data)
    assert response.status_code == 303
    with app.app_context():
        published = db.session.get(Requis, rid)
        assert published.nom == "CHU fictif publié" and published.statut == Statut.PUBLIEE
        demande = db.session.scalars(select(Demande)).one()
        assert demande.nature.value == "modification"
        assert demande.payload["requis"]["nom"] == "CHU fictif renommé"
    assert "CHU fictif publié" in client.get(f"/requis/{rid}/chu-fictif-publie").get_data(
        as_text=True
    )


def test_a_tampered_update_link_is_refused(client):
    assert client.get("/mise-a-jour/abc.def.ghi").status_code == 404


def test_errors_are_reported_for_the_moderation_queue(app, client):
    with app.app_context():
        rid = make_requis(nom="CHU fictif").id
    page = client.get(f"/requis/{rid}/signaler").get_data(as_text=True)
    response = client.post(
        f"/requis/{rid}/signaler",
        data={
            "csrf_token": hidden_value(page, "csrf_token"),
            "categorie": "lien_casse",
            "commentaire": "Le lien TéléO renvoie une erreur.",
            "courriel": "",
        },
    )
    assert response.status_code == 200
    assert count(app, Signalement) == 1
    empty = client.post(
        f"/requis/{rid}/signaler",
        data={
            "csrf_token": hidden_value(page, "csrf_token"),
            "categorie": "autre",
            "commentaire": "",
        },
    )
    assert empty.status_code == 422
    assert "Décrivez l'erreur" in html.unescape(empty.get_data(as_text=True))


def test_mailed_links_use_the_configured_base_url_not_the_host_header(app, client, smtp):
    with app.app_context():
        rid = make_requis(nom="CHU fictif", contact_email="contact@chu-fictif.fr").id
    app.config["ATO_BASE_URL"] = "https://ato.exemple.fr"
    try:
        page = client.get(
            f"/requis/{rid}", follow_redirects=True, headers={"Host": "evil.example"}
        ).get_data(as_text=True)
        client.post(
            f"/requis/{rid}/mise-a-jour",
            data={"csrf_token": hidden_value(page, "csrf_token")},
            headers={"Host": "evil.example"},
        )
    finally:
        app.config["ATO_BASE_URL"] = ""
    body = smtp.messages[0].get_payload(decode=True).decode()
    assert "https://ato.exemple.fr/mise-a-jour/" in body and "evil.example" not in body


def test_completing_with_an_identifier_already_taken_explains_and_keeps_the_input(
    app, client, form_page, smtp
):
    response, _ = post_form(client, form_page)
    url = response.headers["Location"].split("?")[0]
    with app.app_context():
        make_requis(finess="340780477", nom="Autre CHU fictif")
        demande = db.session.scalars(select(Demande)).one()
        demande.statut, demande.message = StatutDemande.A_COMPLETER, "Vérifiez le FINESS."
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    data = establishment_data(
        csrf_token=hidden_value(page, "csrf_token"),
        idempotency_key=hidden_value(page, "idempotency_key"),
        finess="340780477",
    )
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert 'value="340780477"' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["Nom\x00nul", "Nom\u2028suite", "Nom\x0bsuite"])
def test_invisible_characters_are_refused_not_stored(app, client, form_page, value):
    response, _ = post_form(client, form_page, nom=value)
    assert response.status_code == 422
    assert count(app, Demande) == 0


def _published_with_contact(app, email="contact@chu-fictif.fr"):
    from tests.factories import make_requis

    with app.app_context():
        requis = make_requis(nom="CHU fictif", contact_email=email)
        db.session.commit()
        return requis.id


def test_an_update_link_stops_working_when_the_contact_changes(app, client):
    from ato.directory.models import Requis
    from ato.registration import services

    requis_id = _published_with_contact(app)
    with app.test_request_context():
        link = services.update_link(db.session.get(Requis, requis_id))
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    with app.app_context():
        db.session.get(Requis, requis_id).contact_email = "nouveau@chu-fictif.fr"
        db.session.commit()
    assert client.get("/" + path).status_code == 404  # the former contact's link is dead


def test_one_contact_receives_at_most_three_update_links_a_day(app, client, smtp):
    from ato.mail.models import OutboxMessage

    requis_id = _published_with_contact(app)
    url = f"/requis/{requis_id}/mise-a-jour"
    for _ in range(5):
        page = client.get(f"/requis/{requis_id}", follow_redirects=True).get_data(as_text=True)
        response = client.post(url, data={"csrf_token": hidden_value(page, "csrf_token")})
        assert response.status_code == 200  # the same answer, sent or not
    with app.app_context():
        mails = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "contact@chu-fictif.fr")
        ).all()
    assert len(mails) == 3


def test_a_service_with_no_departement_and_not_region_wide_is_refused(app, client, form_page):
    """The group says « (obligatoire) »: no département checked and not the whole region fails."""
    _, csrf, key = form_page()
    data = establishment_data(
        csrf_token=csrf, idempotency_key=key, **{"services-0-departements": None}
    )
    response = client.post("/inscription/etablissement", data=data)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Cochez « toute l'Occitanie » ou au moins un département." in page
    assert count(app, Demande) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("telephone", "off"),  # the published switchboard: never the person's own number
        ("contact_telephone", "tel"),
        ("contact_fonction", "organization-title"),
        ("ville", "address-level2"),
        ("civilite", "honorific-prefix"),
    ],
)
def test_autocomplete_fills_each_field_with_the_right_thing(client, field, value):
    page = client.get("/inscription/liberal").get_data(as_text=True)
    tag = re.search(rf'<(?:input|select)[^>]*\bid="{field}"[^>]*>', page).group(0)
    assert f'autocomplete="{value}"' in tag
