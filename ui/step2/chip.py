"""Step-2 method "Chip lezen": read the document chip through the PC/SC reader.

The page asks the beheerder to place the document on the reader, takes the access key (the
CAN, or document number + date of birth + date of expiry as printed), reads and verifies the
chip with :func:`kiosk.emrtd.reader.read_document`, shows the photo large for the face-to-face
comparison and each verification in plain Dutch: toegang (PACE/BAC), echtheid (passive
authentication) and kopie-controle (chip or active authentication). Differences with step 1
are highlighted (:func:`kiosk.mrz.compare_with_employee`).

Threads (DESIGN.md section 9): the card device runs on its own thread
(:class:`kiosk.devices.card.PcscCardReader`); its events and the read's progress and outcome
arrive here through queued Qt signals. The widget never touches PC/SC itself and never polls.

Privacy (DESIGN.md section 7): the photo exists only in this widget's memory (a QPixmap and
the evidence handed to the page) while the page is shown; :meth:`clear` drops both. Nothing
is written to disk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import ReaderConfig, load_config
from kiosk.devices.ports import CardChannel, CardEvent, CardEventKind, CardReaderPort
from kiosk.errors import InputError, KioskError
from kiosk.flow.evidence import VerificationItem, WidEvidence, evidence_from_mrz
from kiosk.i18n import tr
from kiosk.model import CheckMethod, CloneCheck, DocumentType, Employee, PassiveAuth
from kiosk.mrz import MrzFormat, MrzResult
from ui.step2.base import WidMethodWidget
from ui.widgets import label

DeviceFactory = Callable[[ReaderConfig], CardReaderPort]
PHOTO_SIZE = (300, 385)  # ICAO 35x45 mm portrait proportions, large enough to compare


def decode_photo(image: bytes) -> QImage | None:
    """Decode a JPEG or JPEG 2000 face with OpenCV into a QImage (None if unreadable).

    Qt has no JPEG 2000 plugin by default; OpenCV decodes both (and returns None on truncated
    data, DESIGN.md section 10).
    """
    array = np.frombuffer(image, dtype=np.uint8)
    decoded = cv2.imdecode(array, cv2.IMREAD_COLOR)
    if decoded is None:
        return None
    rgb = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    height, width, _ = rgb.shape
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def _default_device(config: ReaderConfig) -> CardReaderPort:
    from kiosk.devices.card import PcscCardReader

    return PcscCardReader(config).start()


def _default_trust_store() -> Any:
    from kiosk.config import load_config
    from kiosk.emrtd import trust

    return trust.TrustStore.for_config(load_config())


class _Bridge(QObject):
    """Carries device-thread callbacks into the Qt thread (queued connections)."""

    card = Signal(object)
    progress = Signal(str, float)
    finished = Signal(object, object)


class ChipMethod(WidMethodWidget):
    """Read the chip: instruction, access key, progress, photo and verification results."""

    method_id = CheckMethod.CHIP

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        reader_config: ReaderConfig | None = None,
        device_factory: DeviceFactory | None = None,
        trust_store: Any = None,
        employee: Callable[[], Employee | None] | None = None,
        now: Callable[[], datetime] | None = None,
        standalone: bool = True,
    ) -> None:
        super().__init__(parent)
        # Inside the desk (standalone=False) the step-2 evidence panel shows a genuine chip's
        # photo, verdicts and comparison with step 1; this widget then shows only the key
        # fields, progress and status, plus the verdicts of a chip that did NOT verify.
        self._standalone = standalone
        self._config = reader_config
        self._device_factory = device_factory or _default_device
        self._trust_store = trust_store
        self._employee = employee or (lambda: None)
        self._now = now or (lambda: datetime.now(UTC))
        self._device: CardReaderPort | None = None
        self._unlisten: Callable[[], None] | None = None
        self._reading: Future[Any] | None = None
        self._card_present = False
        self.evidence: WidEvidence | None = None
        # What is on screen, kept to re-render it in another language (cleared with it).
        self._status: tuple[str, dict[str, Any]] | None = None
        self._items: tuple[Any, ...] = ()
        self._document: Any = None
        self._bridge = _Bridge()
        self._bridge.card.connect(self._on_card)
        self._bridge.progress.connect(self._on_progress)
        self._bridge.finished.connect(self._on_finished)
        self._build()
        self.retranslate()

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(20)
        left = QVBoxLayout()
        left.setSpacing(6)
        self.instruction = label("chipInstruction")
        font = self.instruction.font()
        font.setPointSize(16)
        font.setBold(True)
        self.instruction.setFont(font)
        left.addWidget(self.instruction)
        # Captions above their fields (as on the other desk forms): the short key fields sit
        # side by side, so the form stays narrow enough for the step-2 column at 1366x768.
        form = QGridLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(4)
        self.can = QLineEdit()
        self.can.setObjectName("chipCan")
        self.can.setMaxLength(6)
        self.doc_number = QLineEdit()
        self.doc_number.setObjectName("chipDocumentNumber")
        self.doc_number.setMaxLength(9)
        self.birth = QLineEdit()
        self.birth.setObjectName("chipBirthDate")
        self.birth.setMaxLength(6)
        self.expiry = QLineEdit()
        self.expiry.setObjectName("chipExpiryDate")
        self.expiry.setMaxLength(6)
        self.edl_mrz = QLineEdit()
        self.edl_mrz.setObjectName("chipEdlMrz")
        self.edl_mrz.setMaxLength(30)
        self.edl_caption = QLabel()
        self.can_caption = QLabel()
        self.doc_caption = QLabel()
        self.birth_caption = QLabel()
        self.expiry_caption = QLabel()
        for caption in (
            self.can_caption,
            self.doc_caption,
            self.birth_caption,
            self.expiry_caption,
            self.edl_caption,
        ):
            caption.setWordWrap(True)
        form.addWidget(self.can_caption, 0, 0, 1, 3)
        form.addWidget(self.can, 1, 0)
        form.addWidget(self.doc_caption, 2, 0)
        form.addWidget(self.birth_caption, 2, 1)
        form.addWidget(self.expiry_caption, 2, 2)
        form.addWidget(self.doc_number, 3, 0)
        form.addWidget(self.birth, 3, 1)
        form.addWidget(self.expiry, 3, 2)
        form.addWidget(self.edl_caption, 4, 0, 1, 3)
        form.addWidget(self.edl_mrz, 5, 0, 1, 3)
        form.setColumnStretch(0, 3)
        form.setColumnStretch(1, 2)
        form.setColumnStretch(2, 2)
        left.addLayout(form)
        self.read_button = QPushButton()
        self.read_button.setObjectName("chipRead")
        self.read_button.clicked.connect(self.read_now)
        self.progress = QProgressBar()
        self.progress.setObjectName("chipProgress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        # Button and progress share a row: the verdicts below must stay above the fold.
        action = QHBoxLayout()
        action.setSpacing(12)
        action.addWidget(self.read_button)
        action.addWidget(self.progress, 1)
        left.addLayout(action)
        self.status = label("fieldHint")
        self.status.setObjectName("chipStatus")
        left.addWidget(self.status)
        # One label per verification: access, authenticity (PA), clone check (CA/AA).
        self.result_labels: list[QLabel] = []
        for name in ("chipAccess", "chipPassiveAuth", "chipCloneCheck"):
            line = QLabel()
            line.setObjectName(name)
            line.setTextFormat(Qt.TextFormat.RichText)
            line.setWordWrap(True)
            self.result_labels.append(line)
            left.addWidget(line)
        self.differences = QLabel()
        self.differences.setObjectName("chipDifferences")
        self.differences.setTextFormat(Qt.TextFormat.RichText)
        self.differences.setWordWrap(True)
        left.addWidget(self.differences)
        left.addStretch(1)
        layout.addLayout(left, 1)
        self.photo = QLabel()
        self.photo.setObjectName("chipPhoto")
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setMinimumSize(*PHOTO_SIZE)
        self.photo.setStyleSheet("QLabel#chipPhoto { border: 1px solid #9aa5b1; }")
        layout.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        self.photo.setVisible(self._standalone)

    def title(self) -> str:
        """Translated name for the method chooser."""
        return tr("chip_reader.ui.title")

    def _status_tr(self, key: str | None, /, **params: Any) -> str:
        """Show a status message by key (kept, so a language switch re-renders it)."""
        self._status = (key, dict(params)) if key else None
        text = tr(key, **params) if key else ""
        self.status.setText(text)
        return text

    def _status_error(self, error: BaseException) -> str:
        """Show a typed error (or 'unexpected') as the status; return its text."""
        if isinstance(error, KioskError):
            return self._status_tr(error.message_key, **error.params)
        return self._status_tr("error.unexpected")

    def retranslate(self) -> None:
        """Re-apply every text in the current language."""
        if self._status is not None:
            key, params = self._status
            self.status.setText(tr(key, **params))
        for line, item in zip(self.result_labels, self._items, strict=False):
            line.setText(_item_html(item))
        if self._document is not None:
            self._show_differences(self._document)
        self.instruction.setText(tr("chip_reader.ui.place_document"))
        self.can_caption.setText(tr("chip_reader.ui.can"))
        self.doc_caption.setText(tr("chip_reader.ui.document_number"))
        self.birth_caption.setText(tr("chip_reader.ui.birth_date"))
        self.expiry_caption.setText(tr("chip_reader.ui.expiry_date"))
        self.edl_caption.setText(tr("chip_reader.ui.edl_mrz"))
        self.read_button.setText(tr("chip_reader.ui.read"))
        if self.photo.pixmap().isNull():
            self.photo.setText(tr("chip_reader.ui.photo_placeholder"))

    # -- device lifecycle -----------------------------------------------------------------
    def available(self) -> bool:
        """The chip method needs pyscard (always installed); readers may come later."""
        return True

    def start(self) -> None:
        """Open the reader device and listen for documents."""
        if self._device is not None:
            return
        config = self._config or load_config().reader
        try:
            self._device = self._device_factory(config)
        except KioskError as exc:
            self.failed.emit(self._status_error(exc))
            return
        self._unlisten = self._device.add_listener(self._bridge.card.emit)
        from kiosk.emrtd.reader import warm_up

        # Build the PACE tables now, on the device thread, while nobody waits for a read.
        self._device.call(warm_up)
        self._status_tr("chip_reader.ui.waiting")

    def stop(self) -> None:
        """Stop listening, release the reader and drop the photo (it lives only on screen)."""
        self.evidence = None
        self._document = None
        self.photo.clear()
        self.photo.setText(tr("chip_reader.ui.photo_placeholder"))
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._device is not None:
            self._device.close()
            self._device = None
        self._card_present = False

    def clear(self) -> None:
        """Wipe the photo, the document data, the access key and every result text."""
        self.evidence = None
        self.photo.clear()
        self.photo.setText(tr("chip_reader.ui.photo_placeholder"))
        for field in (self.can, self.doc_number, self.birth, self.expiry, self.edl_mrz):
            field.clear()
        for line in self.result_labels:
            line.clear()
        self.differences.clear()
        self._status_tr(None)
        self._items = ()
        self._document = None
        self.progress.setValue(0)

    # -- reading --------------------------------------------------------------------------
    def _secret(self) -> Any:
        from kiosk.emrtd import access
        from kiosk.mrz import AccessKey

        can = self.can.text().strip()
        if can:
            if not (can.isdigit() and len(can) == 6):
                raise InputError("chip_reader.error.can_digits")
            return access.CanSecret(can)
        edl = self.edl_mrz.text().strip().upper()
        if edl:
            # A driving licence opens with BAP from its one-line MRZ (ISO/IEC 18013-3).
            from kiosk.mrz import parse_mrz

            parsed = parse_mrz(edl)
            if parsed.access_key is None or not parsed.valid:
                raise InputError("chip_reader.error.mrz_invalid")
            return parsed.access_key
        fields = (self.doc_number.text(), self.birth.text(), self.expiry.text())
        if not all(f.strip() for f in fields):
            raise InputError("chip_reader.error.doc_fields")
        try:
            return AccessKey.from_fields(*fields)
        except ValueError as exc:
            raise InputError("chip_reader.error.doc_fields") from exc

    def _on_card(self, event: CardEvent) -> None:
        if event.kind is CardEventKind.CARD_INSERTED:
            self._card_present = True
            self._status_tr("chip_reader.ui.card_present")
            if self._key_complete():
                self.read_now()
        elif event.kind is CardEventKind.CARD_REMOVED:
            self._card_present = False
            if self._reading is None:
                self._status_tr("chip_reader.ui.waiting")
        elif event.kind is CardEventKind.SERVICE_LOST and event.error is not None:
            self._status_error(event.error)

    def _key_complete(self) -> bool:
        if self.edl_mrz.text().strip():
            return len(self.edl_mrz.text().strip()) == 30
        if self.can.text().strip():
            return len(self.can.text().strip()) == 6
        return all(f.text().strip() for f in (self.doc_number, self.birth, self.expiry))

    def read_now(self) -> None:
        """Read the chip on the reader with the access key typed in."""
        if self._device is None or self._reading is not None:
            return
        try:
            secret = self._secret()
            store = self._trust_store or _default_trust_store()
        except KioskError as exc:
            self._status_error(exc)
            return
        from kiosk.emrtd.reader import read_document

        self.progress.setValue(0)
        for line in self.result_labels:
            line.clear()
        self.differences.clear()
        self._status_tr("chip_reader.ui.reading")
        now = self._now()
        progress = self._bridge.progress.emit

        def job(channel: CardChannel) -> Any:
            return read_document(
                channel.transmit,
                secret,
                extended=channel.extended_length,
                trust_store=store,
                now=now,
                progress=lambda step, fraction: progress(step.value, fraction),
            )

        self._reading = self._device.submit(job)
        self._reading.add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        # Device thread: hand the outcome to the Qt thread.
        error = future.exception()
        self._bridge.finished.emit(None if error else future.result(), error)

    def _on_progress(self, step: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))
        self._status_tr(f"chip_reader.ui.step.{step}")

    def _on_finished(self, result: Any, error: BaseException | None) -> None:
        self._reading = None
        if error is not None:
            self.progress.setValue(0)
            self.failed.emit(self._status_error(error))
            return
        self.progress.setValue(100)
        self._show(result)

    def _show(self, result: Any) -> None:
        image = decode_photo(result.face.image) if result.face is not None else None
        if image is not None:
            self.photo.setPixmap(
                QPixmap.fromImage(image).scaled(
                    self.photo.minimumSize(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.photo.setText(tr("chip_reader.ui.no_photo"))
        items = verification_items(result)
        self._items = tuple(items)
        for line, item in zip(self.result_labels, items, strict=True):
            line.setText(_item_html(item))
        try:
            evidence = _evidence(result.document)
        except KioskError as exc:
            self.failed.emit(self._status_error(exc))
            return
        self.evidence = dataclasses.replace(
            evidence,
            chip=result.evidence,
            photo=_png(image),
            verifications=tuple(items),
        )
        self._document = result.document
        self._show_differences(result.document)
        layout = self.layout()
        if layout is not None:
            layout.activate()  # size the new texts now, not on the next layout pass
        shown_by_panel = result.genuine and not self._standalone
        for line in (*self.result_labels, self.differences):
            line.setVisible(not shown_by_panel)
        if result.genuine:
            self._status_tr("chip_reader.ui.done")
            self.evidenceReady.emit(self.evidence)
        else:
            # Fail closed: a chip that did not verify is no evidence for step 2.
            self.failed.emit(self._status_tr("chip_reader.ui.not_genuine"))

    def _show_differences(self, document: Any) -> None:
        """Compare DG1 with step 1 (names in MRZ form, 9303 part 3) and highlight each field."""
        employee = self._employee()
        if employee is None:
            self.differences.clear()
            return
        if document.format is MrzFormat.EDL and self.evidence is not None:
            # The eDL's names come from its DG1, not from an MRZ: compare the evidence.
            from kiosk.flow.evidence import compare_with_employee as compare_evidence

            found = compare_evidence(self.evidence, employee)
            self.differences.setText(
                "<br>".join(
                    _html(tr(d.message_key, **d.params), "#b00020", bold=True)
                    for d in found.differences
                )
                or _html(tr("chip_reader.ui.matches_step1"), "#1e7b34")
            )
            return
        from kiosk.mrz import compare_with_employee

        comparison = compare_with_employee(document, employee)
        lines = [
            _html(
                tr(d.message_key, **d.params),
                "#555555" if d.accepted else "#b00020",
                bold=not d.accepted,
            )
            for d in comparison.differences
        ]
        if comparison.matches:
            lines.insert(0, _html(tr("chip_reader.ui.matches_step1"), "#1e7b34"))
        self.differences.setText("<br>".join(lines))


def _evidence(document: MrzResult) -> WidEvidence:
    """Step-2 evidence from the chip's document data (DG1; for an eDL, MRZ + DG1)."""
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


def verification_items(result: Any) -> list[VerificationItem]:
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


def _html(text: str, colour: str, *, bold: bool = False) -> str:
    from html import escape

    weight = "font-weight:600;" if bold else ""
    return f'<span style="color:{colour};{weight}">{escape(text)}</span>'


def _item_html(item: VerificationItem) -> str:
    mark, colour = {True: ("✔", "#1e7b34"), False: ("✘", "#b00020"), None: ("–", "#555555")}[
        item.ok
    ]
    return _html(f"{mark} {tr(item.message_key, **item.params_dict())}", colour, bold=not item.ok)


def _png(image: QImage | None) -> bytes | None:
    """Re-encode the decoded face as PNG in memory, so the page can show JPEG 2000 too."""
    if image is None:
        return None
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


__all__ = ["ChipMethod", "decode_photo", "verification_items"]
