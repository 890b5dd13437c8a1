"""The one classifier from portal error to queue action (kiosk.sync.worker.classify)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from kiosk.errors import StorageFailure
from kiosk.sync.api import (
    PortalAuthError,
    PortalBusy,
    PortalError,
    PortalRejected,
    PortalUnreachable,
)
from kiosk.sync.client import PortalClient
from kiosk.sync.worker import PORTAL_ERRORS, PortalOutcome, QueueAction, classify

REG_ID = uuid.UUID("4b0c7a52-2b8e-4d8e-9a43-3b7e0f0e6b11")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_rejected_is_dead_and_the_portal_answered() -> None:
    outcome = classify(PortalRejected(409, "duplicate"))
    assert outcome == PortalOutcome(QueueAction.DEAD, "portal.error.rejected", True, 409)


def test_auth_error_pauses_the_queue() -> None:
    outcome = classify(PortalAuthError(403))
    assert outcome == PortalOutcome(QueueAction.PAUSE, "portal.error.auth", True, 403)


def test_busy_retries_with_the_portals_retry_after() -> None:
    outcome = classify(PortalBusy(429, retry_after=17.0))
    assert outcome == PortalOutcome(QueueAction.RETRY, "portal.error.busy", True, 429, 17.0)


def test_unreachable_retries_and_the_portal_is_offline() -> None:
    outcome = classify(PortalUnreachable())
    assert outcome == PortalOutcome(QueueAction.RETRY, "portal.error.unreachable", False)


def test_a_contract_breach_is_retried_never_dropped() -> None:
    outcome = classify(PortalError())
    assert outcome == PortalOutcome(QueueAction.RETRY, "portal.error.protocol", False)


def test_an_error_that_is_not_the_portals_is_a_bug() -> None:
    with pytest.raises(TypeError):
        classify(StorageFailure())


def test_every_portal_error_is_classified() -> None:
    examples = [PortalRejected(400), PortalAuthError(401), PortalBusy(503), PortalUnreachable()]
    examples.append(PortalError())
    assert {type(e) for e in examples} == set(PORTAL_ERRORS)
    assert all(isinstance(classify(e), PortalOutcome) for e in examples)


def _status(status: int) -> httpx.Response:
    return httpx.Response(status, json={"error": "x", "detail": "y"})


# DESIGN.md section 6, from the wire to the action: what the client raises for each answer,
# and what the queue then does with it.
@pytest.mark.parametrize(
    ("answer", "action"),
    [
        *[(_status(s), QueueAction.DEAD) for s in (400, 404, 409, 410, 422)],
        *[(_status(s), QueueAction.PAUSE) for s in (401, 403)],
        *[(_status(s), QueueAction.RETRY) for s in (408, 425, 429, 500, 502, 503, 504)],
        (httpx.ConnectError("refused"), QueueAction.RETRY),
        (httpx.ReadTimeout("slow"), QueueAction.RETRY),
        (httpx.ReadError("reset by peer"), QueueAction.RETRY),
    ],
)
def test_design_table_from_http_answer_to_queue_action(
    answer: httpx.Response | Exception, action: QueueAction
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = PortalClient(
        "https://portal.test/", transport=httpx.MockTransport(handler), clock=lambda: NOW
    )
    with client, pytest.raises(PORTAL_ERRORS) as raised:
        client.get_registration("device-token", REG_ID)
    assert classify(raised.value).action is action
