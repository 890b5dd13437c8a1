"""What a step-2 method found on the document: the plug-in contract of the WID check.

Every way of reading the WID (typed MRZ, keyboard-wedge MRZ reader, camera OCR, chip) is a
*method*: a widget in ``ui/step2/`` derived from ``ui.step2.base.WidMethodWidget`` that emits
one :class:`WidEvidence` when it has read a document. The wizard only sees the evidence, so a
new method plugs in without touching the flow.

Privacy (DESIGN.md section 7): a :class:`WidEvidence` lives in memory only while step 2 and the
review are on screen. It deliberately has no field for the raw MRZ, data groups, a BSN or
optional data. ``photo`` (the decoded chip photo for the face-to-face comparison) is never
persisted: :meth:`WidEvidence.to_wid_check` keeps only what data minimisation allows.
``repr`` masks the document number and omits the photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from kiosk.errors import InputError
from kiosk.log import mask_document_number
from kiosk.model import (
    CheckMethod,
    ChipEvidence,
    DocumentType,
    Employee,
    WidCheck,
)
from kiosk.mrz.compare import DocumentHolder, MrzComparison, compare_holder
from kiosk.mrz.result import MrzFormat, MrzResult


@dataclass(frozen=True, slots=True)
class VerificationItem:
    """One human-readable verification result of a method, e.g. "passive authentication: ok".

    ``message_key`` names a text in the i18n catalogues (owned by the method that emits it);
    ``ok`` is True (passed), False (failed) or None (not performed / not applicable), which the
    UI shows as a green tick, a red cross or a grey dash.
    """

    message_key: str
    ok: bool | None
    params: tuple[tuple[str, str], ...] = ()

    def params_dict(self) -> dict[str, str]:
        """Return ``params`` as keyword arguments for ``kiosk.i18n.tr``."""
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class WidEvidence:
    """The data a step-2 method read from the WID, as shown to the beheerder.

    Names are as printed in the MRZ or DG1 (upper case, ``<`` already turned into spaces;
    an eDL's DG1 as printed); ``name_truncated`` says the MRZ name field was full, so the
    name may have been cut (9303 part 3 section 4.6); ``birth_date`` and ``expiry_date`` are
    full dates (the method resolves the century).
    ``chip`` is None unless the chip was read; ``verifications`` lists what the method checked
    (check digits, access control, passive authentication, clone check...) for display.
    """

    method: CheckMethod
    document_type: DocumentType
    issuing_country: str
    document_number: str = field(repr=False)
    surname: str = field(repr=False)
    given_names: str = field(repr=False)
    birth_date: date = field(repr=False)
    expiry_date: date
    name_truncated: bool = field(default=False, repr=False)
    chip: ChipEvidence | None = None
    photo: bytes | None = field(default=None, repr=False, compare=False)
    verifications: tuple[VerificationItem, ...] = ()

    def __repr__(self) -> str:
        return (
            f"WidEvidence(method={self.method.value}, document_type={self.document_type.value}, "
            f"issuing_country={self.issuing_country}, "
            f"document_number={mask_document_number(self.document_number)}, "
            f"chip={self.chip!r}, photo={'yes' if self.photo else 'no'})"
        )

    def holder(self) -> DocumentHolder:
        """What the document says about its holder, for :func:`compare_evidence`."""
        return DocumentHolder(
            surname=self.surname,
            given_names=self.given_names,
            birth_date=self.birth_date,
            name_truncated=self.name_truncated,
        )

    def is_expired(self, today: date) -> bool:
        """True when the document's expiry date has passed (valid through the expiry date)."""
        return self.expiry_date < today

    def to_wid_check(
        self,
        *,
        photo_compared: bool,
        checked_at: datetime,
        checked_by: str,
        check_grant: str | None = None,
    ) -> WidCheck:
        """Return the minimised :class:`~kiosk.model.WidCheck` that is queued and sent
        (``check_grant``: the portal's proof that ``checked_by`` signed in on this kiosk)."""
        return WidCheck(
            document_type=self.document_type,
            issuing_country=self.issuing_country,
            document_number=self.document_number,
            expiry_date=self.expiry_date,
            method=self.method,
            chip=self.chip,
            photo_compared=photo_compared,
            checked_at=checked_at,
            checked_by=checked_by,
            check_grant=check_grant,
        )


def compare_evidence(evidence: WidEvidence, employee: Employee) -> MrzComparison:
    """Compare step 2's evidence with step 1 through the one engine,
    :func:`kiosk.mrz.compare.compare_holder` (9303 part 3 transliteration, particles,
    truncation, given names, birth date). The flow state keeps the result
    (:meth:`kiosk.flow.wizard.FlowState.set_evidence`); every page renders that one."""
    return compare_holder(evidence.holder(), employee)


class EvidenceRejected(InputError):
    """What a method read cannot serve as evidence; ``problems`` lists each reason."""

    message_key = "flow.error.evidence_rejected"

    def __init__(self, problems: list[InputError]) -> None:
        super().__init__()
        self.problems = problems


def evidence_from_mrz(
    result: MrzResult, method: CheckMethod, document_type: DocumentType | None = None
) -> WidEvidence:
    """Turn a parsed MRZ (typed, wedge reader or camera) into step-2 evidence.

    ``document_type`` is what the beheerder chose; it must agree with the MRZ's document code
    when the code names a type. Raises :class:`EvidenceRejected` when a check digit fails
    (9303 part 3 section 4.9), a date is impossible, the correction was ambiguous, or the MRZ
    lacks what step 2 compares (the eDL one-line MRZ carries no name or birth date: read the
    chip instead).
    """
    problems: list[InputError] = [InputError(key, **params) for key, params in result.problems()]
    if result.format is MrzFormat.EDL:
        problems.append(InputError("flow.error.mrz_without_names"))
    kind = result.document_type or document_type
    if kind is None:
        problems.append(InputError("flow.error.document_type_unknown"))
    elif document_type is not None and result.document_type not in (None, document_type):
        problems.append(InputError("flow.error.document_type_mismatch"))
    if not result.valid and not problems:
        problems.append(InputError("flow.error.mrz_invalid"))
    if problems or kind is None or result.birth_date is None or result.expiry_date is None:
        raise EvidenceRejected(problems or [InputError("flow.error.mrz_invalid")])
    verifications = [VerificationItem("flow.verify.check_digits", True)]
    if result.corrections:
        verifications.append(
            VerificationItem(
                "flow.verify.corrected", None, (("count", str(len(result.corrections))),)
            )
        )
    return WidEvidence(
        method=method,
        document_type=kind,
        issuing_country=result.issuing_country,
        document_number=result.document_number,
        surname=result.surname,
        given_names=result.given_names,
        birth_date=result.birth_date,
        expiry_date=result.expiry_date,
        name_truncated=result.name_truncated,
        verifications=tuple(verifications),
    )
