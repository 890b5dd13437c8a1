"""Sign-in failures are typed, so the desk tells wrong credentials, a blocked account, too
many attempts (with the wait) and an unreachable portal apart (issue 11 item 3)."""

from __future__ import annotations

import httpx
import pytest

from kiosk import i18n
from kiosk.sync.api import (
    PortalAuthError,
    PortalBusy,
    PortalUnreachable,
    SignInLocked,
    SignInRefused,
    SignInThrottled,
    SignInUnreachable,
)
from kiosk.sync.client import PortalClient


def client_answering(status: int, body: dict, headers: dict | None = None) -> PortalClient:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers or {})

    return PortalClient("https://portal.test", transport=httpx.MockTransport(handler))


def test_wrong_credentials():
    client = client_answering(401, {"error": "invalid_credentials"})
    with pytest.raises(SignInRefused) as info:
        client.sign_in("demo", "wrong")
    assert isinstance(info.value, PortalAuthError)  # the generic handling still applies
    assert info.value.translated() == i18n.tr("portal.sign_in.invalid_credentials")


def test_too_many_attempts_names_the_wait():
    client = client_answering(429, {"error": "too_many_attempts"}, {"Retry-After": "30"})
    with pytest.raises(SignInThrottled) as info:
        client.sign_in("demo", "wrong")
    assert isinstance(info.value, PortalBusy) and info.value.retry_after == 30
    for lang in ("nl", "en"):
        i18n.set_language(lang)
        assert "30" in info.value.translated()
    i18n.set_language("nl")
    assert (
        info.value.translated()
        == "Te veel mislukte pogingen om in te loggen. Probeer het over 30 seconden opnieuw."
    )


def test_too_many_attempts_without_a_wait():
    client = client_answering(429, {"error": "too_many_attempts"})
    with pytest.raises(SignInThrottled) as info:
        client.sign_in("demo", "wrong")
    assert info.value.translated() == i18n.tr("portal.sign_in.too_many_attempts")


def test_blocked_account():
    client = client_answering(403, {"error": "account_locked"})
    with pytest.raises(SignInLocked) as info:
        client.sign_in("demo", "demo")
    assert info.value.translated() == i18n.tr("portal.sign_in.locked")


def test_unreachable_portal():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = PortalClient("https://portal.test", transport=httpx.MockTransport(handler))
    with pytest.raises(SignInUnreachable) as info:
        client.sign_in("demo", "demo")
    assert isinstance(info.value, PortalUnreachable)


def test_each_sign_in_text_is_its_own_and_never_speaks_of_a_registration():
    keys = [
        "portal.sign_in.invalid_credentials",
        "portal.sign_in.locked",
        "portal.sign_in.too_many_attempts",
        "portal.sign_in.too_many_attempts_wait",
        "portal.sign_in.unreachable",
    ]
    for lang, word in (("nl", "registratie"), ("en", "registration")):
        texts = [i18n.catalog(lang)[k] for k in keys]
        assert len(set(texts)) == len(texts)
        assert not [t for t in texts if word in t.lower()]


def test_a_busy_portal_during_sign_in_stays_generic():
    client = client_answering(503, {"error": "unavailable"})
    with pytest.raises(PortalBusy) as info:
        client.sign_in("demo", "demo")
    assert not isinstance(info.value, SignInThrottled)
