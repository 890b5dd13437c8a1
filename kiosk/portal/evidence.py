"""The portal checks the WID evidence itself, instead of trusting the kiosk's word.

:func:`evidence_problems` runs on a registration body that passed
:func:`kiosk.portal.validation.validate_registration` (well-formed) and returns a 422
problem for every claim that cannot be true or that the portal will not accept:

* ``photo_compared`` false: the face-to-face comparison is the point of the desk (step 2);
* the document had expired at ``checked_at`` (a WID is valid through its expiry date);
* ``checked_at`` in the future (beyond :data:`CLOCK_SKEW`) or older than
  :data:`MAX_CHECK_AGE`, the longest an offline queue may take to deliver (the same 72 h as a
  check grant, :data:`kiosk.portal.authz.CHECK_GRANT_TTL`, for the same reasons);
* chip verdicts the kiosk itself would not accept (:attr:`kiosk.emrtd.reader.ChipReadResult.
  genuine`): passive authentication other than ``valid`` (ICAO 9303-11 section 5.1), a clone
  check other than ``valid``/``not_supported`` (9303-11 sections 6.1, 6.2);
* a method that cannot yield the evidence claimed: an MRZ method with a chip block, the chip
  method without one, BAP (ISO/IEC 18013-3, driving licences only) for any other document,
  BAC for a driving licence (an eDL has BAP or PACE, never BAC).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from kiosk.model import CheckMethod, ChipAccess, CloneCheck, DocumentType, PassiveAuth
from kiosk.portal.authz import CHECK_GRANT_TTL
from kiosk.portal.validation import Problem

MAX_CHECK_AGE = CHECK_GRANT_TTL
"""How old ``checked_at`` may be when the registration reaches the portal."""
CLOCK_SKEW = timedelta(minutes=5)
"""How far a kiosk's clock may run ahead of the portal's."""
_ACCEPTED_CLONE = frozenset({CloneCheck.VALID.value, CloneCheck.NOT_SUPPORTED.value})


def evidence_problems(wid: dict[str, Any], now: datetime) -> list[Problem]:
    """Every reason the portal refuses this (well-formed) ``wid_check`` at ``now``."""
    problems: list[Problem] = []
    if wid["photo_compared"] is not True:
        problems.append(Problem("wid_check.photo_compared", "the photo was not compared"))
    checked_at = datetime.fromisoformat(wid["checked_at"].replace("Z", "+00:00"))
    if checked_at > now + CLOCK_SKEW:
        problems.append(Problem("wid_check.checked_at", "lies in the future"))
    elif checked_at < now - MAX_CHECK_AGE:
        hours = int(MAX_CHECK_AGE.total_seconds() // 3600)
        problems.append(
            Problem("wid_check.checked_at", f"older than {hours} hours: check the WID again")
        )
    if date.fromisoformat(wid["expiry_date"]) < checked_at.date():
        problems.append(Problem("wid_check.expiry_date", "the document had expired at checked_at"))
    problems += _method_problems(wid)
    return problems


def _method_problems(wid: dict[str, Any]) -> list[Problem]:
    chip = wid["chip"]
    method = wid["method"]
    if method != CheckMethod.CHIP.value:
        if chip is not None:
            return [Problem("wid_check.chip", f"method {method} cannot read a chip")]
        return []
    if chip is None:
        return [Problem("wid_check.chip", "required when method is chip")]
    problems: list[Problem] = []
    if chip["passive_auth"] != PassiveAuth.VALID.value:
        problems.append(
            Problem("wid_check.chip.passive_auth", f"{chip['passive_auth']}: not a genuine chip")
        )
    if chip["clone_check"] not in _ACCEPTED_CLONE:
        problems.append(
            Problem("wid_check.chip.clone_check", f"{chip['clone_check']}: possibly a clone")
        )
    licence = wid["document_type"] == DocumentType.DRIVING_LICENCE.value
    if chip["access"] == ChipAccess.BAP.value and not licence:
        problems.append(Problem("wid_check.chip.access", "BAP is only for driving licences"))
    if chip["access"] == ChipAccess.BAC.value and licence:
        problems.append(Problem("wid_check.chip.access", "a driving licence has no BAC"))
    return problems
