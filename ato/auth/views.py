"""Staff login and logout, with idle and absolute session timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ato.auth import services
from ato.auth.forms import LoginForm, PasswordForm
from ato.auth.models import User
from ato.extensions import db, login_manager
from ato.web import private

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, _, version = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or str(user.session_version) != version or not user.active:
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    app.before_request(_enforce_timeouts)


def _enforce_timeouts() -> Response | None:
    if not current_user.is_authenticated:
        return None
    now = datetime.now(UTC).timestamp()
    config = current_app.config
    login_at, seen_at = session.get("login_at", 0), session.get("seen_at", 0)
    idle = timedelta(minutes=config["ATO_SESSION_IDLE_MINUTES"]).total_seconds()
    absolute = timedelta(hours=config["ATO_SESSION_MAX_HOURS"]).total_seconds()
    if now - seen_at > idle or now - login_at > absolute:
        logout_user()
        session.clear()
        flash("Votre session a expiré : reconnectez-vous.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    session["seen_at"] = now
    return None


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = services.safe_next(request.args.get("next"))
    if form.validate_on_submit():
        ip = request.remote_addr or "?"
        if services.is_throttled(form.email.data, ip):
            return render_template("auth/login.html", form=form, throttled=True), 429
        user = services.authenticate(form.email.data, form.password.data, ip)
        from ato.moderation.services import audit

        audit(
            None if user is None else user,
            "connexion" if user else "connexion_echouee",
            "user_account",
            user.id if user else None,
            {"email": [None, services.login_key(form.email.data)]},
        )
        db.session.commit()
        if user is None:
            return render_template("auth/login.html", form=form, failed=True), 401
        session.clear()  # a fresh session: nothing from before the login survives
        login_user(user)
        now = datetime.now(UTC).timestamp()
        session.update(login_at=now, seen_at=now)
        return redirect(services.safe_next(form.next.data) or url_for("moderation.queue"))
    return render_template("auth/login.html", form=form)


@bp.post("/deconnexion")
def logout() -> Response:
    logout_user()
    session.clear()
    return redirect(url_for("directory.index"))


@bp.route("/compte/activation/<token>", methods=["GET", "POST"])
@private
def activation(token: str) -> str | Response | tuple[str, int]:
    """An invited staff member chooses a password; the link then stops working."""
    from ato.moderation.services import audit

    user = services.user_from_invitation(token)
    if user is None:
        return render_template("auth/activation.html", invalid=True), 404
    form = PasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors.append("Les deux saisies sont différentes.")
        else:
            try:
                services.set_password(user, form.password.data)
            except ValueError as exc:
                form.password.errors.append(str(exc))
            else:
                audit(user, "activation_compte", "user_account", user.id)
                db.session.commit()
                flash("Votre mot de passe est enregistré : connectez-vous.")
                return redirect(url_for("auth.login"), 303)
        return render_template("auth/activation.html", form=form, user=user), 422
    return render_template("auth/activation.html", form=form, user=user)
