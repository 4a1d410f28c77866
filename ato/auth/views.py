"""Staff login and logout, with idle and absolute session timeouts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ato.auth import services
from ato.auth.forms import (
    ChangePasswordForm,
    ConfirmIdentityForm,
    InviteForm,
    LoginForm,
    PasswordForm,
    ResetRequestForm,
    SecondFactorForm,
)
from ato.auth.models import User
from ato.core.access import Role, requires, staff_blueprint
from ato.core.errors import DomainError
from ato.extensions import db, login_manager
from ato.mail import services as mail
from ato.web import private, public_post

bp = Blueprint("auth", __name__)
SESSION_KEY = "staff_session"
# Staff accounts, managed by administrators; a member's own account.
accounts = staff_blueprint("accounts", __name__, "/admin/utilisateurs")
account = staff_blueprint("account", __name__, "/admin/compte")
RECENT_AUTHENTICATION = timedelta(minutes=10)


def recently_authenticated(view: Callable[..., Any]) -> Callable[..., Any]:
    """Account administration asks for the password again after ten minutes."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        since = datetime.now(UTC).timestamp() - session.get("auth_at", 0)
        if since > RECENT_AUTHENTICATION.total_seconds():
            flash("Pour administrer les comptes, confirmez d'abord votre mot de passe.")
            target = (
                request.full_path.rstrip("?")
                if request.method == "GET"
                else url_for("accounts.users")
            )
            return redirect(url_for("account.confirm", next=target))
        return view(*args, **kwargs)

    return wrapper


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, _, version = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or str(user.session_version) != version or not user.active:
        return None
    if not services.session_is_open(user.id, session.get(SESSION_KEY)):
        return None  # logged out, or ended from elsewhere: a copied cookie opens nothing
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    app.before_request(_enforce_timeouts)
    app.before_request(_require_second_factor)


SECOND_FACTOR_SETUP = {"account.totp", "auth.logout", "auth.logout_everywhere", "static"}


def _require_second_factor() -> Response | None:
    """Administrators reach no staff page before their second factor is set up."""
    if (
        current_user.is_authenticated
        and current_user.is_admin
        and not current_user.totp_secret
        and request.path.startswith("/admin")
        and request.endpoint not in SECOND_FACTOR_SETUP
    ):
        flash("Un compte administrateur se protège d'un second facteur : activez-le d'abord.")
        return redirect(url_for("account.totp"))
    return None


def _enforce_timeouts() -> Response | None:
    if not current_user.is_authenticated:
        return None
    now = datetime.now(UTC).timestamp()
    config = current_app.config
    login_at, seen_at = session.get("login_at", 0), session.get("seen_at", 0)
    idle = timedelta(minutes=config["ATO_SESSION_IDLE_MINUTES"]).total_seconds()
    absolute = timedelta(hours=config["ATO_SESSION_MAX_HOURS"]).total_seconds()
    if now - seen_at > idle or now - login_at > absolute:
        # No write on a GET: the signed cookie's own times make every copy of it expire too.
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
        if user is None:
            services.record_login(None, form.email.data)
            db.session.commit()
            return render_template("auth/login.html", form=form, failed=True), 401
        db.session.commit()
        target = services.safe_next(form.next.data)
        if user.totp_secret:  # the password was right: now the code
            session.clear()
            session[PENDING_KEY] = {
                "user": user.id,
                "next": target,
                "at": datetime.now(UTC).timestamp(),
            }
            return redirect(url_for("auth.second_factor"))
        return _complete_login(user, target)
    return render_template("auth/login.html", form=form)


PENDING_KEY = "second_factor"
PENDING_MAX_SECONDS = 300


def _complete_login(user: User, target: str | None) -> Response:
    services.record_login(user, user.email)
    _open_session(user)
    return redirect(target or url_for("moderation.queue"))


def _open_session(user: User) -> None:
    """A fresh browser session for ``user``, recorded on the server (nothing before survives)."""
    token = services.open_session(user)
    db.session.commit()
    session.clear()
    login_user(user)
    now = datetime.now(UTC).timestamp()
    session.update(login_at=now, seen_at=now, auth_at=now, **{SESSION_KEY: token})


@bp.route("/connexion/code", methods=["GET", "POST"])
def second_factor() -> str | Response | tuple[str, int]:
    """The second step of a login: a code from the authenticator app, or a recovery code."""
    pending = session.get(PENDING_KEY) or {}
    user = db.session.get(User, pending.get("user", 0)) if pending else None
    fresh = datetime.now(UTC).timestamp() - pending.get("at", 0) < PENDING_MAX_SECONDS
    if user is None or not fresh or not user.active:
        session.pop(PENDING_KEY, None)
        flash("Reconnectez-vous : l'étape du code a expiré.")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        ip = request.remote_addr or "?"
        if services.is_throttled(user.email, ip):
            return render_template("auth/second_factor.html", form=form, throttled=True), 429
        if services.check_second_factor(user, form.code.data):
            return _complete_login(user, pending.get("next"))
        services.record_failed_code(user, ip)
        db.session.commit()
        form.code.errors.append("Ce code n'est pas valide (ou a déjà servi).")
        return render_template("auth/second_factor.html", form=form), 401
    return render_template("auth/second_factor.html", form=form)


@bp.post("/deconnexion")
def logout() -> Response:
    """End this session on the server too: a copy of the cookie stops working."""
    services.close_session(session.get(SESSION_KEY))
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("directory.index"))


@bp.post("/deconnexion/partout")
def logout_everywhere() -> Response:
    """End every session of this account, on every browser (a lost laptop, a shared post)."""
    if current_user.is_authenticated:
        services.log_out_everywhere(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash("Toutes vos sessions sont fermées, sur tous les appareils.")
    return redirect(url_for("auth.login"))


@bp.route("/compte/activation/<token>", methods=["GET", "POST"])
@private
def activation(token: str) -> str | Response | tuple[str, int]:
    """An invited staff member chooses a password; the link then stops working."""
    user = services.user_from_invitation(token)
    if user is None:
        return render_template("auth/activation.html", invalid=True), 404
    return _choose_password(
        user, services.activate, "Votre mot de passe est enregistré : connectez-vous."
    )


def _choose_password(user: User, save: Callable[[User, str], None], done: str, **page: Any):
    """The page of a mailed link where a password is chosen (twice, and checked)."""
    form = PasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors.append("Les deux saisies sont différentes.")
        else:
            try:
                save(user, form.password.data)
            except DomainError as exc:
                db.session.rollback()
                form.password.errors.append(str(exc))
            else:
                db.session.commit()
                flash(done)
                return redirect(url_for("auth.login"), 303)
        return render_template("auth/activation.html", form=form, user=user, **page), 422
    return render_template("auth/activation.html", form=form, user=user, **page)


# --- staff accounts (administrators) --------------------------------------------------------------


def _users_page(form: InviteForm) -> str:
    return render_template(
        "auth/users.html",
        users=db.session.scalars(select(User).order_by(User.email)).all(),
        form=form,
    )


@accounts.get("")
@requires(Role.ADMINISTRATEUR)
@recently_authenticated
def users() -> str:
    return _users_page(InviteForm())


@accounts.post("")
@requires(Role.ADMINISTRATEUR)
@recently_authenticated
def invite() -> str | Response | tuple[str, int]:
    form = InviteForm()
    if form.validate():
        try:
            user = services.invite_staff(
                form.email.data, form.nom.data, Role(form.role.data), current_user
            )
        except DomainError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            mail.nudge()
            flash(f"Invitation envoyée à {user.email} (lien valable 3 jours).")
            return redirect(url_for(".users"), 303)
    return _users_page(form), 422


@accounts.post("/<int:user_id>/<action>")
@requires(Role.ADMINISTRATEUR)
@recently_authenticated
def user_active(user_id: int, action: str) -> Response:
    user = db.session.get(User, user_id)
    if user is None or action not in ("desactiver", "reactiver"):
        abort(404)
    active = action == "reactiver"
    try:
        services.change_activity(user, active, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc))
        return redirect(url_for(".users"), 303)
    db.session.commit()
    flash(f"Compte {user.email} {'réactivé' if active else 'désactivé'}.")
    return redirect(url_for(".users"), 303)


# --- one's own account ----------------------------------------------------------------------------


@account.route("/mot-de-passe", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
def password() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors.append("Les deux saisies sont différentes.")
        else:
            user = current_user._get_current_object()
            try:
                services.change_password(user, form.current.data, form.password.data)
            except DomainError as exc:
                db.session.rollback()
                form.current.errors.append(str(exc))
            else:
                db.session.commit()
                _open_session(user)  # every other session of the account ended
                flash("Mot de passe changé : vos autres sessions sont fermées.")
                return redirect(url_for("moderation.queue"), 303)
        return render_template("auth/password.html", form=form), 422
    return render_template("auth/password.html", form=form)


@account.route("/confirmer", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
def confirm() -> str | Response | tuple[str, int]:
    """Type the password again; then back to what was asked."""
    form = ConfirmIdentityForm()
    if request.method == "GET":
        form.next.data = services.safe_next(request.args.get("next"))
    if form.validate_on_submit():
        if services.check_password(current_user, form.password.data):
            session["auth_at"] = datetime.now(UTC).timestamp()
            return redirect(services.safe_next(form.next.data) or url_for("accounts.users"), 303)
        form.password.errors.append("Ce n'est pas le bon mot de passe.")
        return render_template("auth/confirm.html", form=form), 401
    return render_template("auth/confirm.html", form=form)


@bp.route("/connexion/mot-de-passe-oublie", methods=["GET", "POST"])
@public_post()
def forgotten() -> str:
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.send_reset_link(form.email.data)
        db.session.commit()
        mail.nudge()
        return render_template("auth/forgotten.html", form=None, sent=True)
    return render_template("auth/forgotten.html", form=form, sent=False)


@bp.route("/connexion/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
@public_post()
@private
def reset(token: str) -> str | Response | tuple[str, int]:
    """A reset link: choose a new password; the link then stops working."""
    user = services.user_from_reset(token)
    if user is None:
        return render_template("auth/activation.html", invalid=True, reset=True), 404
    return _choose_password(
        user,
        services.reset_password,
        "Votre nouveau mot de passe est enregistré : connectez-vous.",
        reset=True,
    )


@account.route("/double-authentification", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
def totp() -> str | Response | tuple[str, int]:
    """Set up the second factor: the secret is shown, a first code proves the app has it."""
    user = current_user._get_current_object()
    if user.totp_secret:
        return render_template("auth/totp.html", active=True)
    secret = session.get("totp_pending") or services.new_totp_secret()
    session["totp_pending"] = secret
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_totp(user, secret, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            session.pop("totp_pending", None)
            return render_template("auth/totp.html", active=True, codes=codes)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "auth/totp.html",
        form=form,
        secret=grouped,
        uri=services.totp_uri(user, secret),
        active=False,
    ), 422 if form.errors else 200
