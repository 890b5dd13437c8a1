"""Step-2 method "Chip lezen": the view of the headless chip check.

The page asks the beheerder to place the document on the reader and to type the access key
(the CAN, the eDL's MRZ, or document number + date of birth + date of expiry as printed);
:class:`kiosk.flow.chip_check.ChipCheck` reads and verifies the chip through the reader port
and turns the read into evidence, verdicts and the comparison with step 1. This widget only
shows them: the photo large for the face-to-face comparison, each verification in plain
Dutch (toegang, echtheid, kopie-controle) and the differences with step 1. Inside the desk
the step-2 page hands it the comparison the flow state holds (:meth:`show_comparison`).

Composition (DESIGN.md section 2): the reader settings, the trust store and the device
factory come from the composition root (``ui/app.py`` through ``ui/step2/registry.py``);
the widget loads nothing itself.

Threads (DESIGN.md section 9): the card device runs on its own thread; its events and the
read's progress and outcome arrive here through queued Qt signals. The widget never touches
PC/SC itself and never polls.

Privacy (DESIGN.md section 7): the photo exists only in this widget's memory (a QPixmap and
the evidence handed to the page) while the page is shown; :meth:`clear` drops both. Nothing
is written to disk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
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

from kiosk.config import ReaderConfig
from kiosk.devices.ports import CardEvent, CardEventKind, CardReaderPort
from kiosk.emrtd.reader import ReadStep
from kiosk.emrtd.trust import TrustStore
from kiosk.errors import KioskError
from kiosk.flow.chip_check import AccessKeyFields, ChipCheck, ChipOutcome
from kiosk.flow.evidence import VerificationItem, WidEvidence
from kiosk.i18n import tr
from kiosk.model import CheckMethod, Employee
from kiosk.mrz.compare import MrzComparison
from ui.step2.base import WidMethodWidget
from ui.step2.render import COLOURS, coloured_html, photo_pixmap, verdict_html
from ui.widgets import label

DeviceFactory = Callable[[ReaderConfig], CardReaderPort]
PHOTO_SIZE = (300, 385)  # ICAO 35x45 mm portrait proportions, large enough to compare


def pcsc_device(config: ReaderConfig) -> CardReaderPort:
    """The PC/SC reader of ``config``, started (its own device thread)."""
    from kiosk.devices.card import PcscCardReader

    return PcscCardReader(config).start()


def pcsc_readers_present() -> bool:
    """True when PC/SC lists at least one reader (False without pcscd or pyscard).

    One ``SCardListReaders`` call through pyscard: milliseconds, so the step-2 page can ask
    on the Qt thread when it opens."""
    try:
        from smartcard.System import readers
    except ImportError:
        return False
    try:
        return bool(readers())
    except Exception:  # EstablishContextException without pcscd (DESIGN 10)
        return False


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
        trust_store: TrustStore | None = None,
        employee: Callable[[], Employee | None] | None = None,
        now: Callable[[], datetime] | None = None,
        standalone: bool = True,
        readers_present: Callable[[], bool] | None = None,
    ) -> None:
        """``reader_config`` and ``trust_store`` come from the composition root; without a
        trust store no chip verifies (fail closed). ``employee`` gives step 1 for a
        comparison of the widget's own (standalone use); in the desk the page hands in the
        flow state's comparison instead. ``readers_present`` says whether this desk has a
        card reader now (default: ask PC/SC, :func:`pcsc_readers_present`)."""
        super().__init__(parent)
        # Inside the desk (standalone=False) the step-2 evidence panel shows a genuine chip's
        # photo, verdicts and comparison with step 1; this widget then shows only the key
        # fields, progress and status, plus the verdicts of a chip that did NOT verify.
        self._standalone = standalone
        self._reader_config = reader_config or ReaderConfig()
        self._device_factory = device_factory or pcsc_device
        self._readers_present = readers_present or pcsc_readers_present
        self._trust_store = trust_store if trust_store is not None else TrustStore()
        self._employee = employee or (lambda: None)
        self._now = now or (lambda: datetime.now(UTC))
        self._check: ChipCheck | None = None
        self._unlisten: Callable[[], None] | None = None
        self._card_present = False
        self.evidence: WidEvidence | None = None
        # What is on screen, kept to re-render it in another language (cleared with it).
        self._status: tuple[str, dict[str, Any]] | None = None
        self._items: tuple[VerificationItem, ...] = ()
        self._comparison: MrzComparison | None = None
        self._bridge = _Bridge()
        self._bridge.card.connect(self._on_card)
        self._bridge.progress.connect(self._on_progress)
        self._bridge.finished.connect(self._on_finished)
        self._build()
        self.retranslate()

    @property
    def reader_config(self) -> ReaderConfig:
        """The reader settings this method opens its reader with."""
        return self._reader_config

    @property
    def trust_store(self) -> TrustStore:
        """The CSCA trust store chips are verified against."""
        return self._trust_store

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
            line.hide()  # shown after a read (empty lines would still take room)
            self.result_labels.append(line)
            left.addWidget(line)
        self.differences = QLabel()
        self.differences.setObjectName("chipDifferences")
        self.differences.setTextFormat(Qt.TextFormat.RichText)
        self.differences.setWordWrap(True)
        left.addWidget(self.differences)
        # In the desk the step-2 panel shows the comparison next to the fields: once is
        # enough on a screen that must hold everything at 1366x768.
        self.differences.setVisible(self._standalone)
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
        self._render_comparison()
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
        """True when this desk has a card reader now (pcscd running and a reader known);
        the step-2 page asks again every time it opens, so a reader plugged in later counts."""
        try:
            return self._readers_present()
        except Exception:  # a probe that fails means: no reader to offer
            return False

    def start(self) -> None:
        """Open the reader device and listen for documents."""
        if self._check is not None:
            return
        try:
            device = self._device_factory(self._reader_config)
        except KioskError as exc:
            self.failed.emit(self._status_error(exc))
            return
        self._check = ChipCheck(device, self._trust_store, now=self._now)
        self._unlisten = device.add_listener(self._bridge.card.emit)
        self._check.warm_up()
        self._status_tr("chip_reader.ui.waiting")

    def stop(self) -> None:
        """Stop listening, release the reader and drop the photo (it lives only on screen)."""
        self.evidence = None
        self._comparison = None
        self.photo.clear()
        self.photo.setText(tr("chip_reader.ui.photo_placeholder"))
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._check is not None:
            self._check.close()
            self._check = None
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
            line.hide()
        self.differences.clear()
        self.differences.setVisible(self._standalone)
        self._status_tr(None)
        self._items = ()
        self._comparison = None
        self.progress.setValue(0)

    def show_comparison(self, comparison: MrzComparison | None) -> None:
        """Show the flow state's comparison of this method's evidence with step 1."""
        if comparison is not None:
            self._comparison = comparison
            self._render_comparison()

    # -- reading --------------------------------------------------------------------------
    def _key(self) -> AccessKeyFields:
        return AccessKeyFields(
            can=self.can.text(),
            edl_mrz=self.edl_mrz.text(),
            document_number=self.doc_number.text(),
            birth_date=self.birth.text(),
            expiry_date=self.expiry.text(),
        )

    def _on_card(self, event: CardEvent) -> None:
        if event.kind is CardEventKind.CARD_INSERTED:
            self._card_present = True
            self._status_tr("chip_reader.ui.card_present")
            if self._key().complete():
                self.read_now()
        elif event.kind is CardEventKind.CARD_REMOVED:
            self._card_present = False
            if self._check is None or not self._check.reading:
                self._status_tr("chip_reader.ui.waiting")
        elif event.kind is CardEventKind.SERVICE_LOST and event.error is not None:
            self._status_error(event.error)

    def read_now(self) -> None:
        """Read the chip on the reader with the access key typed in."""
        check = self._check
        if check is None or check.reading:
            return
        try:
            secret = self._key().secret()
        except KioskError as exc:
            self._status_error(exc)
            return
        self.progress.setValue(0)
        for line in self.result_labels:
            line.clear()
            line.hide()
        self.differences.clear()
        self.differences.setVisible(self._standalone)
        self._comparison = None
        self._status_tr("chip_reader.ui.reading")
        progress = self._bridge.progress.emit

        def on_progress(step: ReadStep, fraction: float) -> None:
            progress(step.value, fraction)  # device thread: queued into the Qt thread

        check.read(
            secret,
            employee=self._employee(),
            on_progress=on_progress,
            on_done=self._bridge.finished.emit,
        )

    def _on_progress(self, step: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))
        self._status_tr(f"chip_reader.ui.step.{step}")

    def _on_finished(self, outcome: ChipOutcome | None, error: BaseException | None) -> None:
        if outcome is None:
            self.progress.setValue(0)
            self.failed.emit(self._status_error(error or KioskError("error.unexpected")))
            return
        self.progress.setValue(100)
        self._show(outcome)

    def _show(self, outcome: ChipOutcome) -> None:
        pixmap = photo_pixmap(outcome.photo, self.photo.minimumSize()) if outcome.photo else None
        if pixmap is not None:
            self.photo.setPixmap(pixmap)
        else:
            self.photo.setText(tr("chip_reader.ui.no_photo"))
        self._items = outcome.verifications
        for line, item in zip(self.result_labels, self._items, strict=True):
            line.setText(_item_html(item))
        if outcome.evidence is None:
            self.failed.emit(self._status_error(outcome.error or KioskError("error.unexpected")))
            return
        self.evidence = outcome.evidence
        self._comparison = outcome.comparison
        self._render_comparison()
        layout = self.layout()
        if layout is not None:
            layout.activate()  # size the new texts now, not on the next layout pass
        shown_by_panel = outcome.genuine and not self._standalone
        for line in (*self.result_labels, self.differences):
            line.setVisible(not shown_by_panel)
        if outcome.genuine:
            self._status_tr("chip_reader.ui.done")
            self.evidenceReady.emit(self.evidence)
        else:
            # Fail closed: a chip that did not verify is no evidence for step 2.
            self.failed.emit(self._status_tr("chip_reader.ui.not_genuine"))

    def _render_comparison(self) -> None:
        """Highlight each field that differs from step 1 (accepted ones in grey)."""
        comparison = self._comparison
        if comparison is None:
            self.differences.clear()
            return
        lines = [
            coloured_html(
                tr(d.message_key, **d.params),
                COLOURS[None] if d.accepted else COLOURS[False],
                bold=not d.accepted,
            )
            for d in comparison.differences
        ]
        if comparison.matches:
            lines.insert(0, coloured_html(tr("chip_reader.ui.matches_step1"), COLOURS[True]))
        self.differences.setText("<br>".join(lines))


def _item_html(item: VerificationItem) -> str:
    return verdict_html(item.ok, tr(item.message_key, **item.params_dict()))


__all__ = ["ChipMethod", "pcsc_device"]
