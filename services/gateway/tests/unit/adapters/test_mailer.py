"""The SMTP mailer sends through the relay the settings name, and never shows its password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clashtor_common.embedded import free_port
from clashtor_common.errors import ApiError
from clashtor_common.mailsink import SmtpSink
from gateway.adapters.mailer import SmtpMailer, SmtpRelay, email_change_notice
from gateway.bootstrap import mailer_from
from gateway.settings import GatewaySettings


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


async def test_a_configured_relay_gets_the_mail_from_the_configured_sender(sink: SmtpSink) -> None:
    settings = GatewaySettings(smtp_host="127.0.0.1", smtp_port=sink.port)
    mailer = mailer_from(settings)
    assert isinstance(mailer, SmtpMailer)
    await mailer.send(email_change_notice(to="pat@example.com", new_email="new@example.com"))
    [mail] = sink.to("pat@example.com")
    assert mail.message["From"] == settings.mail_from
    assert "new@example.com" in mail.body


async def test_an_unreachable_relay_is_a_503_to_try_again() -> None:
    mailer = SmtpMailer(SmtpRelay("127.0.0.1", free_port(), timeout=2), sender="a@example.com")
    with pytest.raises(ApiError) as caught:
        await mailer.send(email_change_notice(to="pat@example.com", new_email="n@example.com"))
    assert caught.value.status == 503


def test_the_relay_password_is_not_in_its_repr() -> None:
    relay = SmtpRelay("smtp.example.com", 587, username="clashtor", password="hunter2")
    assert "hunter2" not in repr(relay)
