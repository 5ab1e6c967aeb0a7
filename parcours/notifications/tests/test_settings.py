"""The EMAIL_* block of config/settings/base.py: strict parsing of PARCOURS_SMTP_* and PARCOURS_MAIL_FROM."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import base

VARS = ("HOST", "PORT", "USER", "PASSWORD", "PASSWORD_FILE", "TLS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARS:
        monkeypatch.delenv(f"PARCOURS_SMTP_{name}", raising=False)
    monkeypatch.delenv("PARCOURS_MAIL_FROM", raising=False)


def test_without_an_smtp_host_mail_is_written_to_files() -> None:
    cfg = base._email()
    assert cfg.backend == "django.core.mail.backends.filebased.EmailBackend"
    assert cfg.from_email == "Parcours <ne-pas-repondre@parcours.localhost>"


def test_an_smtp_host_selects_the_smtp_backend_with_starttls_on_587_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("PARCOURS_SMTP_HOST", "smtp.chu.example.fr")
    monkeypatch.setenv("PARCOURS_SMTP_USER", "parcours")
    monkeypatch.setenv("PARCOURS_SMTP_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("PARCOURS_MAIL_FROM", "HAD Parcours <had@chu.example.fr>")
    cfg = base._email()
    assert cfg == base._Email(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host="smtp.chu.example.fr",
        port=587,
        user="parcours",
        password="s3cret",
        use_tls=True,
        use_ssl=False,
        from_email="HAD Parcours <had@chu.example.fr>",
    )


@pytest.mark.parametrize(
    ("tls", "port", "use_tls", "use_ssl"), [("ssl", 465, False, True), ("none", 25, False, False)]
)
def test_the_tls_mode_decides_the_default_port(
    monkeypatch: pytest.MonkeyPatch, tls: str, port: int, use_tls: bool, use_ssl: bool
) -> None:
    monkeypatch.setenv("PARCOURS_SMTP_HOST", "relay.chu.local")
    monkeypatch.setenv("PARCOURS_SMTP_TLS", tls)
    cfg = base._email()
    assert (cfg.port, cfg.use_tls, cfg.use_ssl) == (port, use_tls, use_ssl)
    monkeypatch.setenv("PARCOURS_SMTP_PORT", "2525")
    assert base._email().port == 2525


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PARCOURS_SMTP_HOST": "h", "PARCOURS_SMTP_PORT": "smtp"}, "PARCOURS_SMTP_PORT"),
        ({"PARCOURS_SMTP_HOST": "h", "PARCOURS_SMTP_PORT": "70000"}, "PARCOURS_SMTP_PORT"),
        ({"PARCOURS_SMTP_HOST": "h", "PARCOURS_SMTP_TLS": "yes"}, "PARCOURS_SMTP_TLS"),
        ({"PARCOURS_SMTP_HOST": "h", "PARCOURS_SMTP_USER": "u"}, "PARCOURS_SMTP_PASSWORD"),
        ({"PARCOURS_SMTP_USER": "u", "PARCOURS_SMTP_PASSWORD": "p"}, "PARCOURS_SMTP_HOST"),
        ({"PARCOURS_MAIL_FROM": "pas une adresse"}, "PARCOURS_MAIL_FROM"),
        ({"PARCOURS_SMTP_PASSWORD_FILE": "/nonexistent/secret"}, "PARCOURS_SMTP_PASSWORD_FILE"),
    ],
)
def test_bad_values_stop_start_up_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        base._email()
