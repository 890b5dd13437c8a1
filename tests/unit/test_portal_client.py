"""PortalClient maps every failure to the error tree of kiosk.sync.api (httpx.MockTransport)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.model import CheckMethod, DocumentType, Employee, Registration, WidCheck
from kiosk.sync.api import (
    PortalAuthError,
    PortalBusy,
    PortalError,
    PortalRejected,
    PortalUnreachable,
)
from kiosk.sync.client import PortalClient, parse_retry_after

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
REG_ID = uuid.UUID("4b0c7a52-2b8e-4d8e-9a43-3b7e0f0e6b11")


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> PortalClient:
    return PortalClient(
        "https://portal.test/", transport=httpx.MockTransport(handler), clock=lambda: NOW
    )


def answer(status: int, body: object = None, headers: dict[str, str] | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(status, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


def registration() -> Registration:
    return Registration(
        organisation_id="org-1",
        employee=Employee("Anna", "Eriksson", date(1974, 8, 12)),
        wid_check=WidCheck(
            DocumentType.ID_CARD,
            "NLD",
            "SPECI2014",
            date(2031, 3, 9),
            CheckMethod.MRZ_TYPED,
            None,
            True,
            NOW,
            "demo-beheerder",
        ),
        registration_id=REG_ID,
    )


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.RemoteProtocolError("reset"),
        httpx.ReadError("reset by peer"),
    ],
)
def test_transport_failures_are_unreachable(exc: Exception):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with client_for(handler) as client:
        with pytest.raises(PortalUnreachable):
            client.get_registration("t", REG_ID)
        # Outside the raises block, or it would never run: health() reports, never raises.
        assert client.health() is False


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_transient_statuses_are_busy_with_retry_after(status: int):
    with (
        client_for(answer(status, {"error": "x", "detail": "y"}, {"Retry-After": "17"})) as client,
        pytest.raises(PortalBusy) as busy,
    ):
        client.put_registration("t", registration())
    assert busy.value.status == status
    assert busy.value.retry_after == 17.0


def test_retry_after_as_http_date_and_garbage():
    assert parse_retry_after("Sat, 28 Nov 2026 10:01:30 GMT", NOW) == 90.0
    assert parse_retry_after("Sat, 28 Nov 2026 09:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    with (
        client_for(answer(503, headers={"Retry-After": "Sat, 28 Nov 2026 10:00:05 GMT"})) as c,
        pytest.raises(PortalBusy) as busy,
    ):
        c.get_registration("t", REG_ID)
    assert busy.value.retry_after == 5.0


@pytest.mark.parametrize("status", [401, 403])
def test_auth_statuses(status: int):
    with (
        client_for(answer(status, {"error": "unauthorised", "detail": "no"})) as client,
        pytest.raises(PortalAuthError) as auth,
    ):
        client.reserve_codes("t", 2)
    assert auth.value.status == status


@pytest.mark.parametrize("status", [400, 404, 409, 410, 422])
def test_permanent_statuses_are_rejected_with_reason(status: int):
    body = {"error": "invalid", "detail": "employee.bsn: unknown field"}
    with client_for(answer(status, body)) as client, pytest.raises(PortalRejected) as rejected:
        client.put_registration("t", registration())
    assert rejected.value.status == status
    assert rejected.value.reason == "employee.bsn: unknown field"


def test_rejected_without_json_body_uses_the_status_phrase():
    with (
        client_for(lambda r: httpx.Response(404, content=b"<html>")) as client,
        pytest.raises(PortalRejected) as rejected,
    ):
        client.get_registration("t", REG_ID)
    assert rejected.value.reason == "Not Found"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"registration_id": "nope", "status": "pending_enrollment", "enrollment": null}',
        b'{"registration_id": "4b0c7a52-2b8e-4d8e-9a43-3b7e0f0e6b11", "status": "lost"}',
        b'{"registration_id": "4b0c7a52-2b8e-4d8e-9a43-3b7e0f0e6b11", "status": "enrolled",'
        b' "enrollment": {"code": "A", "qr_payload": "q", "expires_at": "tomorrow"}}',
        b'{"registration_id": "4b0c7a52-2b8e-4d8e-9a43-3b7e0f0e6b11", "status": "enrolled",'
        b' "enrollment": null, "enrolled_at": "2026-11-28T10:00:00"}',
    ],
)
def test_malformed_answers_are_protocol_errors(body: bytes):
    with (
        client_for(lambda r: httpx.Response(200, content=body)) as client,
        pytest.raises(PortalError),
    ):
        client.get_registration("t", REG_ID)


def test_unexpected_success_status_is_a_protocol_error():
    with (
        client_for(answer(302, headers={"Location": "/elsewhere"})) as client,
        pytest.raises(PortalError),
    ):
        client.get_registration("t", REG_ID)


def test_requests_carry_bearer_token_and_contract_body():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201,
            json={
                "registration_id": str(REG_ID),
                "status": "pending_enrollment",
                "enrollment": {
                    "code": "ABCD-EFGH-JKMN-PQRS",
                    "qr_payload": "zorgid-enroll:v1:ABCD-EFGH-JKMN-PQRS",
                    "expires_at": "2026-11-28T10:15:00Z",
                },
            },
        )

    with client_for(handler) as client:
        state = client.put_registration("device-token", registration())
    request = seen[0]
    assert request.method == "PUT"
    assert request.url.path == f"/v1/registrations/{REG_ID}"
    assert request.headers["Authorization"] == "Bearer device-token"
    assert json.loads(request.content) == registration().to_contract()
    assert state.enrollment is not None
    assert state.enrollment.expires_at == datetime(2026, 11, 28, 10, 15, tzinfo=UTC)
    assert state.enrolled_at is None


def test_session_shape_is_checked():
    good = {
        "access_token": "tok",
        "token_type": "bearer",
        "expires_in": 60,
        "beheerder": {"id": "b", "name": "B"},
        "organisations": [{"id": "org-1", "name": "Oost"}],
    }
    with client_for(answer(200, good)) as client:
        session = client.sign_in("u", "p")
    assert session.expires_at == datetime(2026, 11, 28, 10, 1, tzinfo=UTC)
    for broken in (
        {**good, "token_type": "mac"},
        {**good, "expires_in": "60"},
        {**good, "expires_in": 10**30},
        {**good, "organisations": [{"id": "x"}]},
    ):
        with client_for(answer(200, broken)) as client, pytest.raises(PortalError):
            client.sign_in("u", "p")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "registration_id",
                    "status",
                    "enrollment",
                    "enrolled_at",
                    "code",
                    "qr_payload",
                    "expires_at",
                    "codes",
                    "access_token",
                    "token_type",
                    "expires_in",
                    "beheerder",
                    "organisations",
                    "id",
                    "name",
                    "display_name",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_200_body_is_parsed_or_a_protocol_error(value: object):
    content = json.dumps(value).encode()
    with client_for(lambda r: httpx.Response(200, content=content)) as client:
        for call in (
            lambda: client.get_registration("t", REG_ID),
            lambda: client.sign_in("u", "p"),
            lambda: client.app_enroll("q", "k"),
        ):
            with contextlib.suppress(PortalError):
                call()
