"""Configuration: defaults, overridden by the environment.

Every setting can be given as an environment variable (``ATO_<NAME>``, or
``DATABASE_URL`` for the database). Outside development and tests the app
refuses to start without a real secret key: a forged session cookie would
otherwise be one guess away.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import click

DEV_SECRET = "dev-only-secret-not-for-production"  # noqa: S105 - refused outside dev/test
ENVIRONMENTS = ("development", "test", "production")
# Argon2 cost of password hashing: argon2-cffi's defaults, or its cheapest valid
# parameters, which only the test suite uses (each hash otherwise costs 64 MiB
# and tens of milliseconds). Hashes carry their parameters, so both verify.
ARGON2_PROFILES = ("default", "cheapest")


SMTP_SECURITY = ("starttls", "tls", "none")
LEGAL_SETTINGS = {
    "ATO_LEGAL_PUBLISHER": "l'éditeur : forme juridique, adresse du siège, numéro SIREN",
    "ATO_LEGAL_DIRECTOR": "le nom du directeur ou de la directrice de la publication",
    "ATO_LEGAL_HOST": "l'hébergeur : nom, adresse, téléphone (certification HDS s'il y a lieu)",
    "ATO_LEGAL_BASIS": "la base légale du traitement (confirmée par le DPO)",
    "ATO_LEGAL_DPO": "l'adresse du délégué à la protection des données",
    "ATO_ACCESSIBILITY_STATUS": (
        "le dernier audit RGAA : « AAAA-MM-JJ taux » (ex. « 2026-10-15 87,5 »), "
        "ou « aucun » tant qu'aucun audit n'a été réalisé"
    ),
}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class ConfigError(click.ClickException):
    """Raised at start-up when the configuration cannot be used safely.

    A ``ClickException``: a ``flask …`` command stops with the French message and
    what to do, never with a traceback; gunicorn refuses to start with the same
    message in its log.
    """

    def format_message(self) -> str:
        return (
            f"{self.message}\nPour essayer ATO sur ce poste : export ATO_ENV=development "
            "(la configuration de production est décrite dans le README)."
        )


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration mapping for one application instance.

    ``overrides`` (the factory's ``config`` argument, used by tests) wins over
    the environment, which wins over the defaults.
    """
    env = os.environ
    overrides = dict(overrides or {})
    ato_env = overrides.get("ATO_ENV") or env.get("ATO_ENV", "production")
    if ato_env not in ENVIRONMENTS:
        raise ConfigError(
            f"ATO_ENV vaut {ato_env!r} : indiquez l'une de ces valeurs : {', '.join(ENVIRONMENTS)}."
        )

    default_db = "sqlite:///" + str(Path(instance_path) / "ato.sqlite3")
    config: dict[str, Any] = {
        "ATO_ENV": ato_env,
        "SECRET_KEY": env.get("ATO_SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": _database_url(env.get("DATABASE_URL", default_db)),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "ATO_SQLITE_BUSY_TIMEOUT_MS": int(env.get("ATO_SQLITE_BUSY_TIMEOUT_MS", "15000")),
        "ATO_HSTS": _bool(env.get("ATO_HSTS", "false" if ato_env != "production" else "true")),
        "ATO_SITE_NAME": env.get("ATO_SITE_NAME", "ATO — Annuaire de Télé-expertise d'Occitanie"),
        "ATO_CONTACT_EMAIL": env.get("ATO_CONTACT_EMAIL", "contact@ato.invalid"),
        # What the legal notice and the accessibility statement say (required in production).
        **{key: env.get(key, "") for key in LEGAL_SETTINGS},
        # The multi-year accessibility plan and this year's action plan: a web address or a
        # short text (optional: the statement says when there is none yet).
        "ATO_ACCESSIBILITY_PLAN": env.get("ATO_ACCESSIBILITY_PLAN", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": ato_env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        "ATO_SEARCH_INDEX_PATH": env.get(
            "ATO_SEARCH_INDEX_PATH", str(Path(instance_path) / "search")
        ),
        "ATO_SEARCH_LOCK_TIMEOUT": float(env.get("ATO_SEARCH_LOCK_TIMEOUT", "10")),
        # How long a search waits for a background rebuild before SQL answers instead.
        "ATO_SEARCH_REBUILD_WAIT": float(
            env.get("ATO_SEARCH_REBUILD_WAIT", "30" if ato_env == "test" else "1")
        ),
        # Links in mails are built on this address, never on the request's Host header.
        "ATO_BASE_URL": env.get("ATO_BASE_URL", "").rstrip("/"),
        # Number of reverse proxies in front of gunicorn whose X-Forwarded-* headers to trust.
        "ATO_PROXY_COUNT": int(env.get("ATO_PROXY_COUNT", "0")),
        "ATO_MAIL_FROM": env.get("ATO_MAIL_FROM", "ATO <ne-pas-repondre@ato.invalid>"),
        "ATO_MAIL_DOMAIN": env.get("ATO_MAIL_DOMAIN", "ato.invalid"),
        "ATO_STAFF_EMAIL": env.get("ATO_STAFF_EMAIL", "equipe@ato.invalid"),
        "ATO_CONFIRMATION_DAYS": int(env.get("ATO_CONFIRMATION_DAYS", "30")),
        # No SMTP host: each mail is written as a .eml file in the instance folder.
        "ATO_SMTP_HOST": env.get("ATO_SMTP_HOST", ""),
        "ATO_SMTP_PORT": int(env.get("ATO_SMTP_PORT", "25")),
        # starttls (default), tls (implicit, port 465) or none; certificates are always verified.
        "ATO_SMTP_SECURITY": env.get("ATO_SMTP_SECURITY", "starttls").strip().lower(),
        "ATO_SMTP_CA_FILE": env.get("ATO_SMTP_CA_FILE", ""),  # a CA bundle, else the system's
        "ATO_SMTP_ALLOW_PLAINTEXT": _bool(env.get("ATO_SMTP_ALLOW_PLAINTEXT", "false")),
        "ATO_SMTP_USER": env.get("ATO_SMTP_USER", ""),
        "ATO_SMTP_PASSWORD": env.get("ATO_SMTP_PASSWORD", ""),
        "ATO_SMTP_TIMEOUT": float(env.get("ATO_SMTP_TIMEOUT", "10")),
        "ATO_SUBMISSION_RATE_LIMIT": env.get("ATO_SUBMISSION_RATE_LIMIT", "20 per hour"),
        "ATO_ARGON2_PROFILE": env.get(
            "ATO_ARGON2_PROFILE", "cheapest" if ato_env == "test" else "default"
        ),
        "ATO_LOGIN_MAX_PER_ACCOUNT": int(env.get("ATO_LOGIN_MAX_PER_ACCOUNT", "5")),
        "ATO_LOGIN_MAX_PER_IP": int(env.get("ATO_LOGIN_MAX_PER_IP", "20")),
        "ATO_SESSION_IDLE_MINUTES": int(env.get("ATO_SESSION_IDLE_MINUTES", "30")),
        "ATO_SESSION_MAX_HOURS": int(env.get("ATO_SESSION_MAX_HOURS", "10")),
        "RATELIMIT_STORAGE_URI": env.get("ATO_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": env.get("ATO_RATELIMIT_KEY_PREFIX", "ato"),
        # Every POST of the public (valid or not) counts, per address, across all its forms.
        "ATO_PUBLIC_POST_RATE_LIMIT": env.get("ATO_PUBLIC_POST_RATE_LIMIT", "60 per hour"),
        "ATO_SEARCH_RATE_LIMIT": env.get("ATO_SEARCH_RATE_LIMIT", "120 per minute"),
        # Requests to /api/v1/ allowed per address (a full sync takes a few dozen).
        "ATO_API_RATE_LIMIT": env.get("ATO_API_RATE_LIMIT", "300 per minute"),
        # Shapes of published entries kept per worker for the API and FHIR (0: none)
        "ATO_PUBLIC_CACHE_SIZE": int(env.get("ATO_PUBLIC_CACHE_SIZE", "5000")),
        # Distinct zero-result queries kept for staff (beyond, only known ones are counted).
        "ATO_SEARCH_MISSES_MAX": int(env.get("ATO_SEARCH_MISSES_MAX", "10000")),
        # Link checks (flask ato liens verifier): per-connection and per-read timeout, parallel
        # connections, redirects followed, failures in a row before the contact is told.
        "ATO_LINKS_TIMEOUT": float(env.get("ATO_LINKS_TIMEOUT", "5")),
        "ATO_LINKS_CONCURRENCY": int(env.get("ATO_LINKS_CONCURRENCY", "16")),
        "ATO_LINKS_MAX_REDIRECTS": int(env.get("ATO_LINKS_MAX_REDIRECTS", "5")),
        "ATO_LINKS_FAILURES_BEFORE_NOTICE": int(env.get("ATO_LINKS_FAILURES_BEFORE_NOTICE", "3")),
        "ATO_LINKS_CA_FILE": env.get("ATO_LINKS_CA_FILE", ""),
        # Reach private, loopback… addresses (a local test server only): refused in production.
        "ATO_LINKS_ALLOW_PRIVATE": _bool(env.get("ATO_LINKS_ALLOW_PRIVATE", "false")),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "TEMPLATES_AUTO_RELOAD": ato_env == "development",
    }
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = _database_url(config["SQLALCHEMY_DATABASE_URI"])

    if config["ATO_ENV"] == "production" and not config["ATO_BASE_URL"].startswith("https://"):
        raise ConfigError(
            "ATO_BASE_URL (https://…) est obligatoire en production : les liens "
            "envoyés par courriel sont construits dessus."
        )
    if config["ATO_ARGON2_PROFILE"] not in ARGON2_PROFILES:
        raise ConfigError(
            f"ATO_ARGON2_PROFILE must be one of {', '.join(ARGON2_PROFILES)}, "
            f"not {config['ATO_ARGON2_PROFILE']!r}"
        )
    if config["ATO_ENV"] == "production" and config["RATELIMIT_STORAGE_URI"].startswith(
        "memory://"
    ):
        raise ConfigError(
            "ATO_RATELIMIT_STORAGE_URI est obligatoire en production : en mémoire, chaque "
            "worker compterait pour lui seul et les limites seraient multipliées. Indiquez le "
            "Redis de la machine, par exemple redis://127.0.0.1:6379/0."
        )
    if config["ATO_SMTP_SECURITY"] not in SMTP_SECURITY:
        raise ConfigError(
            f"ATO_SMTP_SECURITY vaut {config['ATO_SMTP_SECURITY']!r} : indiquez starttls, "
            "tls ou none."
        )
    if (
        config["ATO_ENV"] == "production"
        and config["ATO_SMTP_HOST"]
        and config["ATO_SMTP_SECURITY"] == "none"
        and config["ATO_SMTP_HOST"] not in LOCAL_HOSTS
        and not config["ATO_SMTP_ALLOW_PLAINTEXT"]
    ):
        raise ConfigError(
            f"Le serveur de courriel {config['ATO_SMTP_HOST']} serait joint sans chiffrement "
            "(ATO_SMTP_SECURITY=none) : choisissez starttls ou tls, ou, si le réseau entre les "
            "deux est sûr, ATO_SMTP_ALLOW_PLAINTEXT=1."
        )
    if config["ATO_ENV"] == "production" and config["ATO_LINKS_ALLOW_PRIVATE"]:
        raise ConfigError(
            "ATO_LINKS_ALLOW_PRIVATE est réservé aux tests : en production, la vérification "
            "des liens ne doit jamais joindre une adresse privée ou locale."
        )
    if (
        config["ATO_LINKS_TIMEOUT"] <= 0
        or config["ATO_LINKS_CONCURRENCY"] < 1
        or config["ATO_LINKS_MAX_REDIRECTS"] < 0
        or config["ATO_LINKS_FAILURES_BEFORE_NOTICE"] < 1
    ):
        raise ConfigError(
            "Vérification des liens : ATO_LINKS_TIMEOUT doit être positif, "
            "ATO_LINKS_CONCURRENCY et ATO_LINKS_FAILURES_BEFORE_NOTICE au moins 1, "
            "ATO_LINKS_MAX_REDIRECTS au moins 0."
        )
    if config["ATO_ENV"] == "production" and config["ATO_ARGON2_PROFILE"] != "default":
        raise ConfigError(
            "ATO_ARGON2_PROFILE=cheapest est réservé aux tests : en production, les mots "
            "de passe sont hachés avec les paramètres par défaut d'argon2."
        )
    if not config["SECRET_KEY"]:
        if config["ATO_ENV"] == "production":
            raise ConfigError(
                "ATO_SECRET_KEY est obligatoire en production "
                "(ex. : python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        config["SECRET_KEY"] = DEV_SECRET
    elif config["ATO_ENV"] == "production" and (
        config["SECRET_KEY"] == DEV_SECRET
        or len(config["SECRET_KEY"]) < 32
        or len(set(config["SECRET_KEY"])) < 12  # "aaaa…" or "abab…" is long, not random
    ):
        raise ConfigError("ATO_SECRET_KEY doit être une valeur aléatoire d'au moins 32 caractères.")
    accessibility_audit(config["ATO_ACCESSIBILITY_STATUS"])  # a malformed value stops here
    missing = [key for key in LEGAL_SETTINGS if not config[key].strip()]
    if config["ATO_ENV"] == "production" and missing:
        raise ConfigError(
            "Les mentions légales et la déclaration d'accessibilité ne peuvent pas être "
            "publiées incomplètes. Indiquez : "
            + " ; ".join(f"{key} ({LEGAL_SETTINGS[key]})" for key in missing)
            + "."
        )
    return config


def accessibility_audit(value: str) -> tuple[date, float] | None:
    """``ATO_ACCESSIBILITY_STATUS`` read: the date and the rate (percentage of RGAA criteria
    met) of the last audit, or None for « aucun » (or unset: no audit, the site is then
    « non conforme » by the RGAA's own rule). Anything else stops the start-up: the
    statement must never show a status nobody can check."""
    text = value.strip()
    if not text or text.lower() == "aucun":
        return None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[\s;,]+(\d{1,3}(?:[.,]\d+)?)\s*%?", text)
    try:
        if match is None:
            raise ValueError(text)
        audit = date.fromisoformat(match.group(1))
        rate = float(match.group(2).replace(",", "."))
        if not 0 <= rate <= 100:
            raise ValueError(text)
    except ValueError:
        raise ConfigError(
            f"ATO_ACCESSIBILITY_STATUS vaut {value!r} : indiquez "
            + LEGAL_SETTINGS["ATO_ACCESSIBILITY_STATUS"]
            + "."
        ) from None
    return audit, rate


def _database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
