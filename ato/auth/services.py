"""Accounts, passwords and the login throttle. Functions flush; callers commit."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from ato.auth.models import LoginAttempt, Role, User
from ato.directory.models import utcnow
from ato.extensions import db

MIN_LENGTH = 12
THROTTLE_WINDOW = timedelta(minutes=15)
COMMON_PASSWORDS = Path(__file__).resolve().parents[2] / "seed" / "common_passwords.txt"

_hasher = PasswordHasher()


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problems(password: str, email: str = "") -> list[str]:
    """French reasons why a password is refused (length and common passwords, no rules)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    lowered = password.lower()
    local = email.split("@")[0].lower()
    if lowered in _common() or len(set(lowered)) <= 2 or (len(local) >= 3 and local in lowered):
        problems.append("Ce mot de passe est trop courant ou trop facile à deviner.")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(email: str, nom: str, role: Role, password: str) -> User:
    problems = password_problems(password, email)
    if problems:
        raise ValueError(" ".join(problems))
    user = User(
        email=email.strip().lower(),
        nom=nom.strip(),
        role=role,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def is_throttled(email: str, ip: str) -> bool:
    """Too many recent failures for this account or this address (shared by all workers)."""
    since = utcnow() - THROTTLE_WINDOW
    config = current_app.config
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.success.is_(False), LoginAttempt.created_at >= since)
    )
    by_account = db.session.scalar(failures.where(LoginAttempt.email == email.lower()))
    by_ip = db.session.scalar(failures.where(LoginAttempt.ip == ip))
    return (by_account or 0) >= config["ATO_LOGIN_MAX_PER_ACCOUNT"] or (by_ip or 0) >= config[
        "ATO_LOGIN_MAX_PER_IP"
    ]


def authenticate(email: str, password: str, ip: str) -> User | None:
    """The active user with these credentials, or None. Records the attempt. Flushes."""
    email = email.strip().lower()[:254]
    user = db.session.scalar(select(User).where(User.email == email))
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    else:
        _hasher.hash(password)  # same cost whether the account exists or not
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
