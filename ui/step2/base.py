"""The plug-in interface of step 2: one widget per way of reading the WID.

A method (typed MRZ, MRZ reader, camera OCR, chip) is a :class:`WidMethodWidget`. The step-2
page lists the registered methods, shows the chosen one and calls :meth:`start` when it
becomes visible and :meth:`stop` when it is left. When the method has read a document it
emits :attr:`evidenceReady` with a :class:`kiosk.flow.evidence.WidEvidence`; the page then
compares it with step 1 and shows it. A failure a person should see is emitted as
:attr:`failed` with an already translated text (use ``KioskError.translated()``).

Contract for implementers:

* ``method_id`` (a :class:`kiosk.model.CheckMethod`) and :meth:`title` (translated) identify
  the method in the method chooser; :meth:`available` may return False (no reader attached).
* :meth:`start` begins reading (open the device, focus the first field); :meth:`stop` ends it
  and releases the device. Both may be called repeatedly.
* :meth:`clear` wipes every trace of the person: field texts, labels, images, and any data
  held in Python attributes. The wizard calls it on cancel, done and idle timeout, and a test
  walks every child widget afterwards looking for personal text.
* :meth:`retranslate` re-applies every visible text after a language switch.
* Device work runs in the method's own worker thread (DESIGN.md section 9); results reach the
  widget through queued signals, never by touching widgets from another thread.
* :meth:`show_comparison` receives the comparison with step 1 that the flow state holds for
  this method's evidence (one engine, :mod:`kiosk.mrz.compare`); a method that shows
  differences renders that one instead of comparing by itself.
* Registration: a factory (usually the class) in :func:`ui.step2.registry.default_factories`,
  called as ``factory(parent, **context)``. The registry binds what the composition root
  gives it (config, trust store); the page passes, by keyword and only when the factory's
  signature names them, ``employee`` (a callable returning step 1's
  :class:`kiosk.model.Employee` or None) and ``now`` (the desk's clock). A method never
  loads configuration or trust anchors itself.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from kiosk.model import CheckMethod
from kiosk.mrz.compare import MrzComparison


class WidMethodWidget(QWidget):
    """Base class of a step-2 method; subclasses override the methods below."""

    #: Emitted with a :class:`kiosk.flow.evidence.WidEvidence` when the document was read.
    evidenceReady = Signal(object)
    #: Emitted with a translated, person-readable message when reading failed.
    failed = Signal(str)

    method_id: CheckMethod = CheckMethod.MRZ_TYPED

    def title(self) -> str:
        """Return the translated name shown in the method chooser."""
        raise NotImplementedError

    def available(self) -> bool:
        """Return False when the method cannot work here (e.g. no reader attached)."""
        return True

    def start(self) -> None:
        """Begin reading; called when the method is shown."""

    def stop(self) -> None:
        """Stop reading and release devices; called when the method is hidden or left."""

    def clear(self) -> None:
        """Wipe every personal text and image from this widget and its state."""
        raise NotImplementedError

    def show_comparison(self, comparison: MrzComparison | None) -> None:
        """Show the flow state's comparison of this method's evidence (default: nothing)."""

    def retranslate(self) -> None:
        """Re-apply every text after a language switch."""
        raise NotImplementedError
