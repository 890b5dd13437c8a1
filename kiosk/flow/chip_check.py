"""The chip check of step 2, headless: access key, read, evidence, verdicts, comparison.

The step-2 chip page (``ui/step2/chip.py``) is a passive view of this module:

* :class:`AccessKeyFields` holds what the beheerder typed and knows the access-key rules:
  a 6-digit CAN (PACE, 9303 part 11 section 4.4), the eDL's one-line MRZ (BAP, ISO/IEC
  18013-3) or document number + date of birth + date of expiry as printed (BAC/PACE with
  the MRZ information, 9303 part 11 section 4.3).
* :class:`ChipCheck` reads the chip through the reader port
  (:class:`kiosk.devices.ports.CardReaderPort`, whose one worker thread owns the device)
  with :func:`kiosk.emrtd.reader.read_document`, and hands the outcome to a callback.
* :func:`outcome_of` turns a :class:`~kiosk.emrtd.reader.ChipReadResult` into a
  :class:`ChipOutcome`: the step-2 evidence (DG1; for an eDL its DG1's names as printed),
  the verdicts to show and the comparison with step 1 through the one engine
  (:func:`kiosk.flow.evidence.compare_evidence`).

Fail closed: a chip that does not verify (passive authentication or clone check) yields no
evidence for step 2 (``ChipOutcome.genuine`` is False).

Privacy (DESIGN.md section 7): the outcome holds the face image bytes in memory only;
nothing here logs or writes document data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from kiosk.devices.ports import REJOIN_S, CardChannel, CardReaderPort
from kiosk.emrtd.access import CanSecret
from kiosk.emrtd.reader import AccessPin, ChipReadResult, ReadStep, read_document, warm_up
from kiosk.emrtd.trust import TrustStore
from kiosk.errors import InputError, KioskError
from kiosk.flow.evidence import VerificationItem, WidEvidence, compare_evidence, evidence_from_mrz
from kiosk.model import CheckMethod, CloneCheck, DocumentType, Employee, PassiveAuth
from kiosk.mrz import AccessKey, MrzFormat, MrzResult, parse_mrz
from kiosk.mrz.compare import MrzComparison

#: The secret that opens the chip: the MRZ information (or the eDL MRZ) or a CAN.
Secret = AccessKey | CanSecret
#: ``read_document`` or a stand-in with its signature (tests of the orchestration).
ReadFunction = Callable[..., ChipReadResult]
ProgressListener = Callable[[ReadStep, float], None]
DoneListener = Callable[["ChipOutcome | None", "BaseException | None"], None]


@dataclass(frozen=True, slots=True)
class AccessKeyFields:
    """The access-key fields as typed; the first one filled decides the key (CAN, eDL MRZ,
    then the three MRZ fields)."""

    can: str = field(default="", repr=False)
    edl_mrz: str = field(default="", repr=False)
    document_number: str = field(default="", repr=False)
    birth_date: str = field(default="", repr=False)
    expiry_date: str = field(default="", repr=False)

    def complete(self) -> bool:
        """True when the chosen key is typed in full (read as soon as a card arrives)."""
        if self.edl_mrz.strip():
            return len(self.edl_mrz.strip()) == 30
        if self.can.strip():
            return len(self.can.strip()) == 6
        return all(f.strip() for f in (self.document_number, self.birth_date, self.expiry_date))

    def secret(self) -> Secret:
        """The chip's access key; raises :class:`~kiosk.errors.InputError` when unusable."""
        can = self.can.strip()
        if can:
            if not (can.isdigit() and len(can) == 6):
                raise InputError("chip_reader.error.can_digits")
            return CanSecret(can)
        edl = self.edl_mrz.strip().upper()
        if edl:
            # A driving licence opens with BAP from its one-line MRZ (ISO/IEC 18013-3).
            parsed = parse_mrz(edl)
            if parsed.access_key is None or not parsed.valid:
                raise InputError("chip_reader.error.mrz_invalid")
            return parsed.access_key
        fields = (self.document_number, self.birth_date, self.expiry_date)
        if not all(f.strip() for f in fields):
            raise InputError("chip_reader.error.doc_fields")
        try:
            return AccessKey.from_fields(*fields)
        except ValueError as exc:
            raise InputError("chip_reader.error.doc_fields") from exc


@dataclass(frozen=True, slots=True)
class ChipOutcome:
    """What a finished chip read means for step 2.

    ``verifications`` are the three verdicts (access, authenticity, clone check);
    ``evidence`` is None when the document data cannot serve (``error`` says why);
    ``comparison`` compares the evidence with step 1 when step 1 is known; ``photo`` is the
    encoded face (JPEG or JPEG 2000, DG2 or the eDL's DG6), memory only.
    """

    genuine: bool
    verifications: tuple[VerificationItem, ...]
    evidence: WidEvidence | None = field(default=None, repr=False)
    error: KioskError | None = None
    comparison: MrzComparison | None = field(default=None, repr=False)
    photo: bytes | None = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        """True when the evidence may go to step 2: genuine chip, usable document data."""
        return self.genuine and self.evidence is not None


def verification_items(result: ChipReadResult) -> list[VerificationItem]:
    """Each verification of a chip read as a displayable item (plain Dutch via i18n)."""
    pa_key = f"chip_reader.ui.pa.{result.passive_auth.value}"
    clone_key = f"chip_reader.ui.clone.{result.clone_check.value}"
    return [
        VerificationItem("chip_reader.ui.access", True, (("protocol", result.access.value),)),
        VerificationItem(
            pa_key,
            result.passive_auth is PassiveAuth.VALID
            if result.passive_auth is not PassiveAuth.NOT_PERFORMED
            else None,
        ),
        VerificationItem(
            clone_key,
            {CloneCheck.VALID: True, CloneCheck.INVALID: False}.get(result.clone_check),
            (("method", result.clone_method or "-"),),
        ),
    ]


def evidence_from_document(document: MrzResult) -> WidEvidence:
    """Step-2 evidence from the chip's document data (DG1; for an eDL, MRZ + DG1).

    A passport or ID card's DG1 is its MRZ (9303 part 10 section 4.7.1); an eDL's one-line
    MRZ has no names, so they come from its DG1 (ISO/IEC 18013-2), as printed.
    """
    if document.format is not MrzFormat.EDL:
        return evidence_from_mrz(document, CheckMethod.CHIP)
    if document.birth_date is None or document.expiry_date is None or not document.surname:
        raise InputError("chip_reader.error.edl_incomplete")
    return WidEvidence(
        method=CheckMethod.CHIP,
        document_type=DocumentType.DRIVING_LICENCE,
        issuing_country=document.issuing_country,
        document_number=document.document_number,
        surname=document.surname,
        given_names=document.given_names,
        birth_date=document.birth_date,
        expiry_date=document.expiry_date,
    )


def outcome_of(result: ChipReadResult, employee: Employee | None = None) -> ChipOutcome:
    """Evidence, verdicts and comparison with step 1 (when known) of a finished read."""
    items = tuple(verification_items(result))
    photo = result.face.image if result.face is not None else None
    try:
        evidence = evidence_from_document(result.document)
    except KioskError as exc:
        return ChipOutcome(result.genuine, items, error=exc, photo=photo)
    evidence = dataclasses.replace(evidence, chip=result.evidence, photo=photo, verifications=items)
    comparison = compare_evidence(evidence, employee) if employee is not None else None
    return ChipOutcome(result.genuine, items, evidence, None, comparison, photo)


class ChipCheck:
    """One chip check on a reader port: warm up, read with a key, report the outcome.

    Callbacks run on the device thread (the port's worker); a UI marshals them to its own
    thread. Only one read runs at a time.
    """

    def __init__(
        self,
        device: CardReaderPort,
        trust_store: TrustStore,
        *,
        now: Callable[[], datetime],
        read: ReadFunction = read_document,
    ) -> None:
        self.device = device
        self._trust_store = trust_store
        self._now = now
        self._read = read
        self._reading: Future[ChipReadResult] | None = None

    @property
    def reading(self) -> bool:
        """True while a read is under way."""
        return self._reading is not None

    def warm_up(self) -> Future[None]:
        """Build the PACE tables on the device thread while nobody waits for a read."""
        return self.device.call(warm_up)

    def read(
        self,
        secret: Secret,
        *,
        employee: Employee | None = None,
        on_progress: ProgressListener | None = None,
        on_done: DoneListener,
    ) -> bool:
        """Start reading the card on the reader with ``secret``; False when a read runs.

        ``on_done(outcome, None)`` follows a finished read, ``on_done(None, error)`` a
        failed one (wrong key, card removed, PC/SC lost: typed errors from the read).
        """
        if self._reading is not None:
            return False
        now = self._now()
        store = self._trust_store
        read = self._read
        # One access decision across a re-read after a field drop: PACE seen once is PACE
        # again, never BAC (9303-11 section 4.2, the no-downgrade rule).
        pin = AccessPin()

        def job(channel: CardChannel) -> ChipReadResult:
            return read(
                channel.transmit,
                secret,
                extended=channel.extended_length,
                trust_store=store,
                now=now,
                progress=on_progress,
                pin=pin,
            )

        def done(future: Future[ChipReadResult]) -> None:
            self._reading = None
            error = future.exception()
            if error is not None:
                on_done(None, error)
                return
            try:
                outcome = outcome_of(future.result(), employee)
            except Exception as exc:  # a bug in the outcome: report it, don't lose it
                on_done(None, exc)
                return
            on_done(outcome, None)

        # A document shifted on the reader mid-read is read again from the start once it
        # is back (the session keys died with the field, 9303-11 section 9.8).
        self._reading = self.device.submit(job, rejoin_s=REJOIN_S)
        self._reading.add_done_callback(done)
        return True

    def close(self) -> None:
        """Release the reader (stops its thread)."""
        self.device.close()
