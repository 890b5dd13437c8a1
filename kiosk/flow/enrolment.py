"""When the kiosk enrols itself: its own device credential, obtained at the first sign-in.

The sync worker authenticates as the kiosk, not as a beheerder, so queued work syncs with
nobody signed in (DESIGN.md section 6). A fresh kiosk has no device credential; the first
beheerder session obtains one (``POST /v1/kiosks`` with the beheerder's token).

:class:`KioskEnrolment` is the policy, without threads: :meth:`~KioskEnrolment.request`
answers "enrol now?" with the blocking portal call to run, or None; the caller runs it where
it may block (the desk: off the Qt thread) and reports back with
:meth:`~KioskEnrolment.succeeded` or :meth:`~KioskEnrolment.failed`.
:meth:`~KioskEnrolment.enrol` does all three in one blocking call.

The rules:

* enrol only while a beheerder is signed in and the store holds no device credential;
* one enrolment at a time: no second request while one is under way;
* a failed enrolment is retried on the next request (the next change of the desk's state);
* once closed (the desk shut down) nothing is requested and a late answer is dropped;
* a credential that cannot be stored is logged and dropped: the next sign-in tries again;
* once stored, ``on_enrolled`` runs (the desk resumes the sync worker, which may have paused
  for lack of a credential), and ``on_check_grant(grant, beheerder_id)`` hands the desk the
  enrolling beheerder's check grant (a session signed in before the kiosk had an id has none).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from kiosk.errors import KioskError
from kiosk.model import DeviceCredential
from kiosk.sync.api import Session

log = logging.getLogger(__name__)


class EnrolmentPortal(Protocol):
    """The portal call enrolment needs (a part of :class:`kiosk.sync.api.PortalApi`)."""

    def enroll_kiosk(self, token: str, name: str) -> DeviceCredential:
        """``POST /v1/kiosks`` with a beheerder token."""
        ...


class CredentialStore(Protocol):
    """Where the kiosk keeps its device credential (:class:`kiosk.store.Store`)."""

    def device_token(self) -> str | None:
        """The stored device token, or None before enrolment."""
        ...

    def set_device_credential(self, credential: DeviceCredential) -> None:
        """Keep ``credential`` (raises :class:`~kiosk.errors.KioskError` when it cannot)."""
        ...


class KioskEnrolment:
    """The kiosk's enrolment policy (see the module docstring for the rules)."""

    def __init__(
        self,
        portal: EnrolmentPortal,
        store: CredentialStore,
        kiosk_name: str,
        *,
        on_enrolled: Callable[[], None] | None = None,
        on_check_grant: Callable[[str, str], object] | None = None,
    ) -> None:
        self.portal = portal
        self.store = store
        self.kiosk_name = kiosk_name
        self.on_enrolled = on_enrolled
        self.on_check_grant = on_check_grant
        self._requested_by: str | None = None
        #: An enrolment call was handed out and has not been answered yet.
        self.in_flight = False
        #: The desk closed: nothing more is requested, late answers are dropped.
        self.closed = False

    def close(self) -> None:
        """Stop: no further enrolment; an answer that arrives after this is ignored."""
        self.closed = True

    def due(self, session: Session | None) -> bool:
        """Whether an enrolment should start now, with ``session`` signed in (or nobody)."""
        if self.closed or session is None or self.in_flight:
            return False
        return self.store.device_token() is None

    def request(self, session: Session | None) -> Callable[[], DeviceCredential] | None:
        """The blocking portal call that enrols the kiosk now, or None when none is due.

        Handing it out marks an enrolment under way until :meth:`succeeded` or
        :meth:`failed` is called."""
        if session is None or not self.due(session):
            return None
        self.in_flight = True
        self._requested_by = session.beheerder_id
        token, name, portal = session.access_token, self.kiosk_name, self.portal
        return lambda: portal.enroll_kiosk(token, name)

    def succeeded(self, credential: DeviceCredential) -> bool:
        """The portal issued ``credential``: store it and run ``on_enrolled``. True when the
        kiosk is now enrolled (False when closed meanwhile or the store refused)."""
        self.in_flight = False
        if self.closed:
            return False
        try:
            self.store.set_device_credential(credential)
        except KioskError as exc:
            log.warning("kiosk credential not stored", extra={"error": exc.message_key})
            return False
        log.info("kiosk enrolled", extra={"kiosk_id": credential.kiosk_id})
        if self.on_enrolled is not None:
            self.on_enrolled()
        if credential.check_grant and self.on_check_grant and self._requested_by:
            self.on_check_grant(credential.check_grant, self._requested_by)
        return True

    def failed(self, error: Exception) -> None:
        """The enrolment call raised ``error``; the next :meth:`request` tries again."""
        self.in_flight = False
        log.warning("kiosk enrollment failed", extra={"error": str(error)})

    def enrol(self, session: Session | None) -> bool:
        """Enrol now if due, blocking: :meth:`request`, the call, then :meth:`succeeded` or
        :meth:`failed`. True when the kiosk was enrolled by this call. The portal's typed
        errors count as a failed enrolment; anything else is a bug and propagates."""
        call = self.request(session)
        if call is None:
            return False
        try:
            credential = call()
        except KioskError as exc:
            self.failed(exc)
            return False
        except BaseException:
            self.in_flight = False  # not an answer, but the next request may try again
            raise
        return self.succeeded(credential)
