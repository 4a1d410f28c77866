"""Accounts, passwords and the login throttle. Functions flush; callers commit."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, update
from zxcvbn import zxcvbn

from ato.auth.models import LoginAttempt, RecoveryCode, StaffSession, User
from ato.core import audit
from ato.core.access import Role
from ato.core.audit import Action, Subject
from ato.core.errors import DomainError
from ato.core.models import utcnow
from ato.core.text import fold, normalize_email
from ato.extensions import db
from ato.mail import services as mail
from ato.web import external_url

MIN_LENGTH = 12
THROTTLE_WINDOW = timedelta(minutes=15)
COMMON_PASSWORDS = Path(__file__).resolve().parents[2] / "seed" / "common_passwords.txt"


@cache
def _hasher_for(profile: str) -> PasswordHasher:
    """``default``: argon2-cffi's own parameters, so they follow the library's advice;
    ``cheapest``: its cheapest valid Argon2id parameters, for the test suite only
    (the configuration refuses them in production)."""
    if profile == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


def _hasher() -> PasswordHasher:
    """The hasher of the current app's ``ATO_ARGON2_PROFILE``. Hashes encode their own
    parameters: one made under either profile verifies under the other, and a login
    under a costlier profile rehashes it (see :func:`authenticate`)."""
    return _hasher_for(current_app.config["ATO_ARGON2_PROFILE"])


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


@cache
def _common_words() -> tuple[str, ...]:
    """The words inside the common passwords ("motdepasse" in "motdepasse123")."""
    found = {w for p in _common() for w in re.findall(r"[a-zàâçéèêëîïôûùüÿœ]{4,}", p)}
    return tuple(sorted(found | _common()))


MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline attacks"


def password_problems(password: str, email: str = "", nom: str = "") -> list[str]:
    """French reasons why a password is refused: too short, or guessable.

    Guessability is estimated by zxcvbn (dictionaries, keyboard patterns such as
    ``azerty123456``, dates, repeats), told the account's own words and the
    French passwords of ``seed/common_passwords.txt``; no composition rule.
    """
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    lowered = password.lower()
    local = email.split("@")[0].lower()
    own_words = [email, local, *local.replace(".", " ").replace("-", " ").split(), *nom.split()]
    estimate = zxcvbn(password[:100], user_inputs=[*own_words, *_common_words()])
    context = [w for w in own_words if len(w) >= 4]  # the account's own name and address
    if (
        lowered in _common()
        or (len(local) >= 3 and local in lowered)
        or any(fold(word) in fold(password) for word in context)
        or estimate["score"] < MIN_SCORE
    ):
        problems.append(
            "Ce mot de passe est trop facile à deviner : préférez une phrase de plusieurs mots "
            "sans rapport entre eux (ex. : « girafe-orage-carnet-tulipe »)."
        )
    return problems


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@cache
def _decoy_hash(profile: str) -> str:
    """A hash nobody knows the password of, at the cost of a real one (one per process)."""
    return _hasher_for(profile).hash(secrets.token_urlsafe(32))


def create_user(email: str, nom: str, role: Role, password: str) -> User:
    """An active account. ``DomainError`` (French) for a bad address, a taken one or a weak
    password. Flushes."""
    email = _new_account_email(email)
    problems = password_problems(password, email, nom)
    if problems:
        raise DomainError(" ".join(problems))
    user = User(
        email=email,
        nom=nom.strip(),
        role=role,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _new_account_email(email: str) -> str:
    """The normal form of a new account's address; ``DomainError`` when empty or taken.

    Its syntax is checked by the invitation form; the CLI also accepts the
    reserved domains (``@ato.invalid``) that development and tests use.
    """
    email = normalize_email(email)
    if "@" not in email:
        raise DomainError("Indiquez un courriel (nom@domaine).")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError("Un compte existe déjà avec ce courriel.")
    return email


def login_key(email: str) -> str:
    """The account an attempt is counted against: the address as the lookup sees it."""
    return normalize_email(email)[:254]


def is_throttled(email: str, ip: str) -> bool:
    """Too many recent failures for this account or this address (shared by all workers).

    The account is counted on :func:`login_key`, the same form of the address
    that :func:`authenticate` looks up: spaces or capitals cannot open a fresh count.
    """
    since = utcnow() - THROTTLE_WINDOW
    config = current_app.config
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.success.is_(False), LoginAttempt.created_at >= since)
    )
    by_account = db.session.scalar(failures.where(LoginAttempt.email == login_key(email)))
    by_ip = db.session.scalar(failures.where(LoginAttempt.ip == ip))
    return (by_account or 0) >= config["ATO_LOGIN_MAX_PER_ACCOUNT"] or (by_ip or 0) >= config[
        "ATO_LOGIN_MAX_PER_IP"
    ]


def authenticate(email: str, password: str, ip: str) -> User | None:
    """The active user with these credentials, or None. Records the attempt. Flushes.

    Every path costs one Argon2 verification with the current parameters: an
    unknown address, a disabled account and an invitation not yet accepted are
    checked against a decoy hash, so the answer's timing tells nothing about
    which accounts exist.
    """
    email = login_key(email)
    user = db.session.scalar(select(User).where(User.email == email))
    usable = user is not None and user.active and user.password_hash != UNUSABLE_PASSWORD
    stored = user.password_hash if usable else _decoy_hash(current_app.config["ATO_ARGON2_PROFILE"])
    try:
        ok = _hasher().verify(stored, password) and usable
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.add(LoginAttempt(email=email, ip=ip[:64], success=ok))
    if ok:
        user.last_login_at = utcnow()  # type: ignore[union-attr]
    db.session.flush()
    return user if ok else None


def safe_next(target: str | None) -> str | None:
    """A local path to go back to after login, or None (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# --- invitations --------------------------------------------------------------------------------

INVITATION_MAX_AGE = 72 * 3600
UNUSABLE_PASSWORD = "!invitation"  # noqa: S105 — not an argon2 hash: nobody logs in with it


def _invitations() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ato-invitation")


def invite(email: str, nom: str, role: Role) -> tuple[User, str]:
    """An account without a password, and the token of the link that sets it. Flushes.

    The token is bound to the current password hash, so it works once: setting
    the password changes the hash and the link stops working.
    """
    email = _new_account_email(email)
    user = User(email=email, nom=nom.strip(), role=role, password_hash=UNUSABLE_PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user, invitation_token(user)


def invitation_token(user: User) -> str:
    return _invitations().dumps({"u": user.id, "h": _fingerprint(user)})


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def user_from_invitation(token: str) -> User | None:
    return _user_from_link(_invitations(), token, INVITATION_MAX_AGE)


def _user_from_link(serializer: URLSafeTimedSerializer, token: str, max_age: int) -> User | None:
    """The active account a mailed link is for, while the link is young and unused.

    Links carry a fingerprint of the password hash: choosing a password makes
    every earlier link of the account worthless (single use).
    """
    try:
        data = serializer.loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or data.get("h") != _fingerprint(user):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """A new password; every open session of the account ends. Flushes."""
    problems = password_problems(password, user.email, user.nom)
    if problems:
        raise DomainError(" ".join(problems))
    user.password_hash = hash_password(password)
    end_sessions(user)


def set_active(user: User, active: bool) -> None:
    """Disable (every open session ends at once) or enable an account. Flushes."""
    user.active = active
    end_sessions(user)


# --- sessions -----------------------------------------------------------------------------------


def open_session(user: User) -> str:
    """Record a new login and return the token the browser keeps for it. Flushes."""
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(user_id=user.id, token_hash=_token_hash(token)))
    db.session.flush()
    return token


def session_is_open(user_id: int, token: str | None) -> bool:
    """Whether ``token`` is an unrevoked session of this account (one indexed read)."""
    if not token or len(token) > 100:
        return False
    found = db.session.scalar(
        select(StaffSession.user_id).where(
            StaffSession.token_hash == _token_hash(token), StaffSession.revoked_at.is_(None)
        )
    )
    return found == user_id


def close_session(token: str | None) -> None:
    """Revoke one session (logout): the cookie that carried it opens nothing any more."""
    if token:
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _token_hash(token))
            .values(revoked_at=utcnow())
        )
    db.session.flush()


def end_sessions(user: User) -> None:
    """Revoke every session of an account (« se déconnecter partout », disabling, password)."""
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    user.session_version += 1
    db.session.flush()


def log_out_everywhere(user: User) -> None:
    """The member ends every session of their account, on every device; journaled. Flushes."""
    end_sessions(user)
    audit.log(user, Action.DECONNEXION_PARTOUT, Subject.USER_ACCOUNT, user.id)
    db.session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- staff accounts, as administrators manage them ---------------------------------------------


def active_administrators() -> int:
    """Administrators who can log in (activated and not disabled)."""
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.role == Role.ADMINISTRATEUR,
            User.active.is_(True),
            User.password_hash != UNUSABLE_PASSWORD,
        )
    )


def invite_staff(email: str, nom: str, role: Role, by: User) -> User:
    """Invite a staff member: the account, its audit entry and the invitation mail. Flushes."""
    user, token = invite(email, nom, role)
    audit.log(
        by,
        Action.INVITATION,
        Subject.USER_ACCOUNT,
        user.id,
        {"email": [None, user.email], "role": [None, user.role.value]},
    )
    mail.queue(
        user.email,
        "ATO — votre compte dans l'équipe de l'annuaire",
        render_template(
            "auth/mail_invitation.txt",
            user=user,
            by=by,
            link=external_url("auth.activation", token=token),
        ),
    )
    db.session.flush()
    return user


def change_activity(user: User, active: bool, by: User) -> None:
    """Disable or re-enable an account. Nobody disables their own account, and at least
    one active administrator always remains. Flushes."""
    if user.id == by.id:
        raise DomainError("Vous ne pouvez pas désactiver votre propre compte.")
    if not active and user.is_admin and user.active and active_administrators() <= 1:
        raise DomainError("Il doit rester au moins un administrateur actif.")
    audit.log(
        by,
        Action.COMPTE_REACTIVER if active else Action.COMPTE_DESACTIVER,
        Subject.USER_ACCOUNT,
        user.id,
        {"active": [user.active, active]},
    )
    set_active(user, active)


def record_login(user: User | None, email: str) -> None:
    """The journal's line for a login, successful or not.

    A failed attempt names the account only when the address typed is one:
    what people type in the address field by mistake (often their password)
    never reaches the journal that every moderator reads.
    """
    key = login_key(email)
    account = user or db.session.scalar(select(User).where(User.email == key))
    audit.log(
        user,
        Action.CONNEXION if user else Action.CONNEXION_ECHOUEE,
        Subject.USER_ACCOUNT,
        account.id if account else None,
        {"email": [None, account.email if account else "(adresse inconnue)"]},
    )


def activate(user: User, password: str) -> None:
    """An invited member chooses a password (the invitation link then stops working)."""
    set_password(user, password)
    audit.log(user, Action.ACTIVATION_COMPTE, Subject.USER_ACCOUNT, user.id)


# --- passwords: change and reset ----------------------------------------------------------------

RESET_MAX_AGE = 3600  # seconds a reset link stays valid


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is this account's (one Argon2 verification)."""
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(user: User, current: str, new: str) -> None:
    """The member changes their own password; every session of the account ends. Flushes."""
    if not check_password(user, current):
        raise DomainError("Le mot de passe actuel n'est pas le bon : rien n'a changé.")
    set_password(user, new)
    audit.log(user, Action.CHANGEMENT_MOT_DE_PASSE, Subject.USER_ACCOUNT, user.id)


def _resets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ato-reinitialisation")


def send_reset_link(email: str) -> None:
    """Mail a reset link to an active account with that address; nothing otherwise. Flushes.

    The answer to the person is the same either way (no account enumeration).
    The link works once (it is bound to the current password hash) and for
    :data:`RESET_MAX_AGE` seconds.
    """
    user = db.session.scalar(select(User).where(User.email == login_key(email)))
    if user is None or not user.active or user.password_hash == UNUSABLE_PASSWORD:
        return
    token = _resets().dumps({"u": user.id, "h": _fingerprint(user)})
    mail.queue(
        user.email,
        "ATO — choisir un nouveau mot de passe",
        render_template(
            "auth/mail_reinitialisation.txt",
            user=user,
            link=external_url("auth.reset", token=token),
            minutes=RESET_MAX_AGE // 60,
        ),
    )
    db.session.flush()


def user_from_reset(token: str) -> User | None:
    return _user_from_link(_resets(), token, RESET_MAX_AGE)


def reset_password(user: User, new: str) -> None:
    """A new password from a reset link: the link and every session stop working. Flushes."""
    set_password(user, new)
    audit.log(user, Action.REINITIALISATION_MOT_DE_PASSE, Subject.USER_ACCOUNT, user.id)


# --- second factor (TOTP) ----------------------------------------------------------------------

TOTP_ISSUER = "ATO Occitanie"
RECOVERY_CODES = 10


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (typed or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _totp_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time step a 6-digit code belongs to (this one or a neighbour), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = at or utcnow()
    for offset in (0, -1, 1):  # a phone's clock may be thirty seconds off
        moment = now + timedelta(seconds=30 * offset)
        if secrets.compare_digest(totp.at(moment), code):
            return totp.timecode(moment)
    return None


def enable_totp(user: User, secret: str, code: str) -> list[str]:
    """Turn the second factor on once a code proves the app has the secret. Flushes.

    Returns the recovery codes, to show once (only their hashes are kept).
    """
    step = _totp_step(secret, code)
    if step is None:
        raise DomainError("Ce code ne correspond pas : vérifiez l'heure du téléphone et réessayez.")
    user.totp_secret, user.totp_last_step = secret, step
    codes = new_recovery_codes(user)
    audit.log(
        user,
        Action.DOUBLE_AUTHENTIFICATION,
        Subject.USER_ACCOUNT,
        user.id,
        {"active": [False, True]},
    )
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with fresh ones; returns them. Flushes."""
    db.session.execute(sql_delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_token_hash(c)) for c in codes)
    db.session.flush()
    return codes


def check_second_factor(user: User, code: str) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then spent). Flushes."""
    if not user.totp_secret:
        return True
    step = _totp_step(user.totp_secret, code)
    if step is not None and step > (user.totp_last_step or -1):
        user.totp_last_step = step
        db.session.flush()
        return True
    recovery = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _token_hash(code.strip().lower()),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    audit.log(user, Action.CODE_DE_SECOURS, Subject.USER_ACCOUNT, user.id)
    db.session.flush()
    return True


def record_failed_code(user: User, ip: str) -> None:
    """A wrong second-factor code counts like a wrong password (same throttle). Flushes."""
    db.session.add(LoginAttempt(email=user.email, ip=ip[:64], success=False))
    audit.log(
        None,
        Action.CONNEXION_ECHOUEE,
        Subject.USER_ACCOUNT,
        user.id,
        {"etape": [None, "code"]},
        actor_label=user.email,
    )
    db.session.flush()
