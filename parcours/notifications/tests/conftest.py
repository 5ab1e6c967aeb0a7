"""Fixtures of the outbox tests: a real SMTP server on 127.0.0.1 (aiosmtpd) and a throw-away SMS log."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings


def free_port() -> int:
    """A port nobody listens on (the "server down" case points there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    """What the server received, and how it answers: set ``answer_data``/``answer_rcpt`` to an SMTP reply
    ("451 4.3.0 Try again later") to refuse, back to None to accept."""

    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    answer_data: str | None = None
    answer_rcpt: str | None = None

    def down(self) -> Any:
        """Settings pointing the SMTP backend at a port where nothing listens."""
        return override_settings(EMAIL_PORT=free_port())


class _Handler:
    def __init__(self, state: SmtpServer) -> None:
        self.state = state

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.state.answer_rcpt:
            return self.state.answer_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.state.answer_data:
            return self.state.answer_data
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.state.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server; Django's SMTP backend points at it for the test."""
    state = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(
        _Handler(state), hostname=state.host, port=state.port, server_hostname="smtp.test", ready_timeout=5
    )
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=state.host,
            EMAIL_PORT=state.port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=5,
            DEFAULT_FROM_EMAIL="Parcours <parcours@had.example.org>",
        ):
            yield state
    finally:
        controller.stop()


@pytest.fixture
def sms_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "sms"
    with override_settings(
        PARCOURS_SMS_DIR=directory, PARCOURS_SMS_GATEWAY="parcours.notifications.channels.LogSmsGateway"
    ):
        yield directory
