"""Settings read the environment and refuse unsafe production configurations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tracker.settings import BASE_DIR, database_from_url, email_from_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "a-long-random-looking-production-secret-key-0123456789-abcdefghij"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with a clean environment (no pytest, no TESTING)."""
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secret_key_refuses_to_start():
    result = manage("check")

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "SECRET_KEY is not set" in last_line
    assert "DEBUG=1" in last_line


def test_development_starts_without_secret_key():
    result = manage("check", DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings_over_https():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=PRODUCTION_SECRET,
        SECURE_SSL="1",
        ALLOWED_HOSTS="tracker.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout


def test_deploy_check_warns_when_https_is_not_declared():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=PRODUCTION_SECRET,
        ALLOWED_HOSTS="tracker.example.com",
    )

    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr


def test_empty_database_url_means_sqlite_next_to_manage_py():
    assert database_from_url("") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }


def test_sqlite_url_with_absolute_path():
    config = database_from_url("sqlite:////tmp/some%20dir/tracker.sqlite3")

    assert config == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/tmp/some dir/tracker.sqlite3",
    }


def test_postgres_url_with_credentials_host_and_port():
    config = database_from_url("postgres://tracker:p%40ss%2Fword@db.internal:6543/tracker_prod")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "tracker_prod"
    assert config["USER"] == "tracker"
    assert config["PASSWORD"] == "p@ss/word"
    assert config["HOST"] == "db.internal"
    assert config["PORT"] == "6543"


def test_postgres_url_keeps_connections_and_checks_them_before_reuse():
    config = database_from_url("postgresql://postgres@127.0.0.1/tracker")

    assert config["PORT"] == ""
    assert config["CONN_MAX_AGE"] > 0
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["OPTIONS"]["connect_timeout"] > 0


def test_conn_max_age_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONN_MAX_AGE", "0")

    assert database_from_url("postgres://postgres@127.0.0.1/tracker")["CONN_MAX_AGE"] == 0


def test_unsupported_database_url_scheme_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://root@localhost/tracker")


def test_sqlite_url_with_relative_path_and_in_memory():
    assert database_from_url("sqlite:///tracker.sqlite3")["NAME"] == "tracker.sqlite3"
    assert database_from_url("sqlite://")["NAME"] == ":memory:"


def test_tests_run_on_the_database_that_database_url_names(db):
    """Guards CI: a PostgreSQL run that silently fell back to SQLite would prove nothing."""
    from django.db import connection

    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


def test_email_url_with_starttls_credentials_and_port():
    assert email_from_url("smtp://mailer:s%40cret@smtp.example.com:587") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "s@cret",
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": True,
    }


def test_email_url_smtps_uses_implicit_tls_on_465():
    settings = email_from_url("smtps://mailer:pw@smtp.example.com")

    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_SSL"], settings["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )


def test_email_url_console_prints_emails():
    assert email_from_url("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


def test_unsupported_email_url_scheme_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="imap"):
        email_from_url("imap://mail.example.com")


def test_development_prints_emails_to_the_console():
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)", DEBUG="1"
    )

    assert result.stdout.strip().endswith("django.core.mail.backends.console.EmailBackend")
