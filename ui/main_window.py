"""The desk window: header with progress and language switch, the wizard's pages, the
navigation bar (cancel, back, primary) and a status bar with the portal and queue state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import i18n, version_string
from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.display import content_for
from kiosk.flow.wizard import Delivery, FlowBlocked, Step, Wizard
from kiosk.i18n import tr
from kiosk.model import Enrollment, RegistrationStatus
from ui.customer_display import CustomerDisplay
from ui.handovers import (
    HandoverPanel,
    LetterPathChooser,
    ask_letter_path,
    confirm_stop,
    save_letter,
)
from ui.pages.base import Page
from ui.pages.employee import EmployeePage
from ui.pages.organisation import OrganisationPage
from ui.pages.progress import DonePage, HandoverPage, RegisterPage
from ui.pages.review import ReviewPage
from ui.pages.sign_in import SignInPage
from ui.pages.wid_check import WidCheckPage
from ui.step2.registry import MethodFactory
from ui.tasks import Task
from ui.widgets import label, set_tone

#: The progress crumbs in the header: (i18n key, steps that light it up).
CRUMBS = (
    ("ui.crumb.employee", (Step.EMPLOYEE,)),
    ("ui.crumb.wid_check", (Step.WID_CHECK,)),
    ("ui.crumb.review", (Step.REVIEW,)),
    ("ui.crumb.register", (Step.REGISTER,)),
    ("ui.crumb.handover", (Step.HANDOVER,)),
    ("ui.crumb.done", (Step.DONE,)),
)

_ACTIVITY = (
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
)


class MainWindow(QMainWindow):
    """Renders ``desk.wizard``; every button calls the desk session.

    Built by the composition root (``ui/app.py``), which hands in the session and the step-2
    ``method_factories`` already bound to the desk's configuration and trust store."""

    def __init__(
        self,
        desk: DeskSession,
        *,
        idle_timeout_s: float = 180,
        method_factories: list[MethodFactory],
        customer_display: CustomerDisplay | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.setObjectName("deskWindow")
        self.customer = customer_display or CustomerDisplay(now=desk.now, desk_window=self)
        self._wipes = desk.state.wipe_count
        central = QWidget()
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_header())
        root.addWidget(self._build_crumbs())
        self.stack = QStackedWidget()
        root.addWidget(self.stack, 1)
        root.addWidget(self._build_nav())
        self.setCentralWidget(central)
        self.pages: dict[Step, Page] = {}
        self.scrolls: dict[Step, QScrollArea] = {}
        organisation = OrganisationPage(desk)
        organisation.list.itemDoubleClicked.connect(lambda _item: self.primary())
        for page in (
            SignInPage(desk),
            organisation,
            EmployeePage(desk),
            WidCheckPage(desk, factories=method_factories),
            ReviewPage(desk),
            RegisterPage(desk),
            HandoverPage(desk),
            DonePage(desk),
        ):
            self.pages[page.step] = page
            # Each page scrolls when a small screen cannot hold it; the stack's minimum size
            # then no longer grows with the largest page.
            scroll = QScrollArea()
            scroll.setObjectName("pageScroll")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(page)
            self.scrolls[page.step] = scroll
            self.stack.addWidget(scroll)
            page.changed.connect(self._sync_nav)
        self.portal_status = label("portalStatus", wrap=False)
        self.queue_status = label("queueStatus", wrap=False)
        self.statusBar().addWidget(self.portal_status)
        # Issue 11: a waiting queue can be retried now; open handovers are one click away.
        self.retry_button = QPushButton()
        self.retry_button.setObjectName("retryButton")
        self.retry_button.clicked.connect(self.retry_now)
        self.retry_button.hide()
        self.handovers_button = QPushButton()
        self.handovers_button.setObjectName("handoversButton")
        self.handovers_button.clicked.connect(self.show_handovers)
        self.statusBar().addPermanentWidget(self.handovers_button)
        self.statusBar().addPermanentWidget(self.queue_status)
        self.statusBar().addPermanentWidget(self.retry_button)
        # The version in the footer: what a help desk asks for first (docs/release.md).
        self.version_status = label("versionStatus", wrap=False)
        self.statusBar().addPermanentWidget(self.version_status)
        self.statusBar().setSizeGripEnabled(False)
        #: Set by the composition root: asks the sync worker to deliver now.
        self.on_retry: Callable[[], None] | None = None
        #: Where a letter goes (the save dialog; tests inject their own).
        self.choose_letter_path: LetterPathChooser = ask_letter_path
        self.handover_panel: HandoverPanel | None = None
        self.stop_confirm: QMessageBox | None = None
        handover = self.pages[Step.HANDOVER]
        if isinstance(handover, HandoverPage):
            handover.show_again_requested.connect(self.customer.reshow)
            handover.print_requested.connect(self.print_current_letter)
        self._unwatch_book = (
            desk.handovers.subscribe(lambda _book: self._render_status())
            if desk.handovers is not None
            else (lambda: None)
        )
        self._online: bool | None = None
        self._background: list[Task[None]] = []
        self._shut_down = False
        self._pending = 0
        self._dead = 0
        # Idle timeout: any key, click or touch anywhere restarts it (DESIGN.md section 7).
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(int(idle_timeout_s * 1000))
        self.idle.timeout.connect(self._idle_timeout)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        # The countdowns.
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._tick)
        self.clock.start()
        self._unsubscribe = desk.wizard.subscribe(self._wizard_changed)
        self._unlisten = i18n.on_language_changed(lambda _lang: self.retranslate())
        self.retranslate()
        self._focused_once = False
        self._wizard_changed(desk.wizard)
        self.idle.start()

    def showEvent(self, event: QShowEvent) -> None:
        """On the first show, give the current page its focus (the user name at sign-in)."""
        super().showEvent(event)
        if not self._focused_once:
            self._focused_once = True
            # A hidden window's widgets cannot take focus: the page asked for it too early.
            self.pages[self.desk.wizard.current].entered()

    # -- construction -----------------------------------------------------------------
    def _build_header(self) -> QFrame:
        header = QFrame()
        header.setObjectName("header")
        row = QHBoxLayout(header)
        row.setContentsMargins(28, 12, 20, 12)
        row.setSpacing(10)
        self.app_title = label("appTitle", wrap=False)
        row.addWidget(self.app_title)
        row.addStretch(1)
        self.who = label("fieldHint", wrap=False)
        self.who.setObjectName("who")
        row.addWidget(self.who)
        self.language_button = QPushButton()
        self.language_button.setObjectName("languageButton")
        self.language_button.clicked.connect(self.toggle_language)
        self.sign_out_button = QPushButton()
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.clicked.connect(self.sign_out)
        row.addWidget(self.language_button)
        row.addWidget(self.sign_out_button)
        return header

    def _build_crumbs(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("crumbBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(40, 6, 40, 6)
        row.setSpacing(6)
        self.crumbs: list[QLabel] = []
        for index, (_key, _steps) in enumerate(CRUMBS):
            if index:
                arrow = label("crumbArrow", "›", wrap=False)
                row.addWidget(arrow)
            crumb = label("stepCrumb", wrap=False)
            self.crumbs.append(crumb)
            row.addWidget(crumb)
        row.addStretch(1)
        self.crumb_bar = bar
        return bar

    def _build_nav(self) -> QFrame:
        nav = QFrame()
        nav.setObjectName("navBar")
        row = QHBoxLayout(nav)
        row.setContentsMargins(48, 12, 48, 12)
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("danger")
        self.back_button = QPushButton()
        self.back_button.setObjectName("backButton")
        self.primary_button = QPushButton()
        self.primary_button.setObjectName("primary")
        for button in (self.cancel_button, self.back_button, self.primary_button):
            button.setAutoDefault(True)  # Enter on a focused button presses that button
        self.cancel_button.clicked.connect(self.cancel)
        self.back_button.clicked.connect(self.back)
        self.primary_button.clicked.connect(self.primary)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.back_button)
        row.addSpacing(12)
        row.addWidget(self.primary_button)
        return nav

    # -- rendering ------------------------------------------------------------------
    @property
    def page(self) -> Page:
        """The current page."""
        return self.pages[self.desk.step]

    def retranslate(self) -> None:
        """Re-apply every text (language switch)."""
        self.setWindowTitle(tr("ui.window_title"))
        self.app_title.setText(tr("ui.app_title"))
        for crumb, (key, _steps) in zip(self.crumbs, CRUMBS, strict=True):
            crumb.setText(tr(key))
        other = "en" if i18n.language() == "nl" else "nl"
        self.language_button.setText(tr(f"language.{other}"))
        self.language_button.setToolTip(tr("ui.language.switch"))
        self.sign_out_button.setText(tr("ui.nav.sign_out"))
        self.cancel_button.setText(tr("ui.nav.cancel"))
        self.back_button.setText(tr("ui.nav.back"))
        self.retry_button.setText(tr("ui.status.retry"))
        if self.handover_panel is not None:
            self.handover_panel.retranslate()
        for page in self.pages.values():
            page.retranslate()
            page.retranslate_messages()
        self.customer.retranslate()
        self._render_status()
        self._sync_nav()

    def _wizard_changed(self, wizard: Wizard) -> None:
        state = wizard.state
        if state.wipe_count != self._wipes:
            self._wipes = state.wipe_count
            self.wipe_widgets()
        page = self.pages[wizard.current]
        scroll = self.scrolls[wizard.current]
        if self.stack.currentWidget() is not scroll:
            wid = self.pages[Step.WID_CHECK]
            if isinstance(wid, WidCheckPage) and wizard.current is not Step.WID_CHECK:
                wid.left_page()
            self.stack.setCurrentWidget(scroll)
            scroll.verticalScrollBar().setValue(0)  # a page opens at its top
            page.show_error("")
            page.refresh()
            page.entered()
        else:
            page.refresh()
        self._sync_customer()
        self._sync_nav()

    def wipe_widgets(self) -> None:
        """Wipe the person from every page (cancel, done, idle, after saving)."""
        for page in self.pages.values():
            if page.step is not self.desk.step or page.step in (Step.EMPLOYEE, Step.WID_CHECK):
                page.clear()
        if self.desk.step is Step.SIGN_IN:
            self.pages[Step.SIGN_IN].clear()

    def _sync_nav(self) -> None:
        step = self.desk.step
        page = self.pages[step]
        signed_in = self.desk.state.session is not None
        text = page.primary_text()
        self.primary_button.setText(text)
        self.primary_button.setVisible(bool(text))
        self.primary_button.setEnabled(page.primary_enabled())
        self.back_button.setVisible(self._back_allowed())
        saved = step in (Step.REGISTER, Step.HANDOVER)
        # Once saved there is nothing to cancel, only to stop watching; and when the page
        # offers "next employee" that is the one way on.
        self.cancel_button.setVisible(
            step not in (Step.SIGN_IN, Step.DONE, Step.ORGANISATION)
            and not (step is Step.REGISTER and bool(text))
        )
        self.cancel_button.setText(tr("ui.nav.stop_handover") if saved else tr("ui.nav.cancel"))
        self.sign_out_button.setVisible(signed_in)
        self.crumb_bar.setVisible(signed_in)
        self._render_handovers_button()
        for crumb, (_key, steps) in zip(self.crumbs, CRUMBS, strict=True):
            set_tone(crumb, "current", "true" if step in steps else "false")
        session, org = self.desk.state.session, self.desk.state.organisation
        organisations = self.pages[Step.ORGANISATION]
        if step is Step.ORGANISATION and isinstance(organisations, OrganisationPage):
            org = organisations.selected()  # the choice on screen, never a silent one
        if session is None:
            self.who.setText("")
        else:
            self.who.setText(
                tr("ui.header.who", name=session.beheerder_name, organisation=org.name)
                if org
                else session.beheerder_name
            )

    def _sync_customer(self) -> None:
        # What the customer sees is decided headless (kiosk.flow.display); this only feeds it.
        self.customer.follow(content_for(self.desk.step, self.desk.state, self.desk.now()))

    def _tick(self) -> None:
        if self.desk.step is Step.HANDOVER:
            self.page.refresh()
            self._sync_customer()
            self._sync_nav()

    # -- status bar -----------------------------------------------------------------
    def set_portal_status(self, online: bool | None, pending: int = 0, dead: int = 0) -> None:
        """Show whether the portal is reachable and how many registrations wait."""
        self._online, self._pending, self._dead = online, pending, dead
        self._render_status()

    def _render_status(self) -> None:
        if self._online is None:
            self.portal_status.setText(tr("ui.status.portal_unknown"))
        else:
            self.portal_status.setText(
                tr("ui.status.portal_online") if self._online else tr("ui.status.portal_offline")
            )
        set_tone(self.portal_status, "online", "false" if self._online is False else "true")
        text = tr("ui.status.queue", pending=self._pending)
        if self._dead:
            text += "  ·  " + tr("ui.status.dead", dead=self._dead)
        self.queue_status.setText(text)
        self.retry_button.setVisible(self.on_retry is not None and self._pending > 0)
        self._render_handovers_button()
        self.version_status.setText(tr("ui.status.version", version=version_string()))

    def _render_handovers_button(self) -> None:
        # The list names people: only for a signed-in beheerder.
        if not hasattr(self, "handovers_button"):
            return
        signed_in = self.desk.state.session is not None
        self.handovers_button.setVisible(signed_in and self.desk.handovers is not None)
        if signed_in:
            count = len(self.desk.open_handovers())
            self.handovers_button.setText(tr("ui.status.handovers", count=count))
        if not signed_in and self.handover_panel is not None:
            self.handover_panel.close()

    # -- open handovers, retry, letter (issue 11) ---------------------------------------
    def retry_now(self) -> None:
        """ "Nu opnieuw proberen": the worker tries the waiting queue now."""
        if self.on_retry is not None:
            self.on_retry()

    def show_handovers(self) -> HandoverPanel:
        """Open "Openstaande overdrachten" (made once, kept in step with the store)."""
        if self.handover_panel is None:
            self.handover_panel = HandoverPanel(
                self.desk,
                self,
                print_letter=self._save_letter,
                run_background=self._run_background,
            )
        self.handover_panel.refresh()
        self.handover_panel.show()
        if QApplication.platformName() not in ("offscreen", "minimal"):
            self.handover_panel.raise_()  # those platforms have no window stack to raise in
        return self.handover_panel

    def _save_letter(self, enrollment: Enrollment, activates_later: bool) -> Path | None:
        try:
            return save_letter(
                self,
                enrollment,
                activates_later,
                choose=self.choose_letter_path,
                now=self.desk.now,
            )
        except OSError:
            self.page.show_error(tr("ui.handovers.print_failed", path=""))
            return None

    def print_current_letter(self) -> Path | None:
        """The letter of the QR on screen (handover page)."""
        state = self.desk.state
        if state.enrollment is None:
            return None
        return self._save_letter(state.enrollment, state.delivery is not Delivery.DELIVERED)

    def _run_background(self, call: Callable[[], None]) -> None:
        task = Task(call)
        self._background.append(task)
        task.start(self._background_done, self._background_done)

    # -- actions --------------------------------------------------------------------
    def primary(self) -> None:
        """The primary button or Enter: the page's action."""
        page = self.page
        if self.primary_button.isHidden() or not self.primary_button.isEnabled():
            return
        try:
            page.submit()
        except FlowBlocked as exc:
            page.show_problems(exc.problems)
        except KioskError as exc:
            page.show_problems([exc])
        self._sync_nav()

    def _back_allowed(self) -> bool:
        # Back to the sign-in page would sign out: that has its own button.
        wizard = self.desk.wizard
        return wizard.can_go_back() and wizard.history[-1] is not Step.SIGN_IN

    def back(self) -> None:
        """One step back."""
        if self._back_allowed():
            self.desk.back()

    def cancel(self) -> None:
        """Abandon this person (wipes every widget); a live QR code is killed at the portal
        in the background, after a confirmation ("Stoppen" kills a code being scanned)."""
        state = self.desk.state
        if (
            self.desk.step is Step.HANDOVER
            and state.enrollment is not None
            and state.status is not RegistrationStatus.ENROLLED
        ):
            self.stop_confirm = confirm_stop(self, self._stop_confirmed)
            return
        self._stop_confirmed()

    def _stop_confirmed(self) -> None:
        kill_code = self.desk.stop_handover()
        if kill_code is not None:
            self._run_background(kill_code)

    def _background_done(self, _result: object) -> None:
        # Best effort: an unused code also dies at its expiry.
        self._background = [t for t in self._background if t.running()]

    def sign_out(self) -> None:
        """Sign out and wipe everything."""
        self.desk.sign_out()

    def toggle_language(self) -> None:
        """Switch between Dutch and English at runtime."""
        i18n.set_language("en" if i18n.language() == "nl" else "nl")

    def _idle_timeout(self) -> None:
        if self.desk.idle_timeout() is None:
            self.idle.start()  # a live handover: look again later

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Restart the idle timer on any user activity in the application."""
        if event.type() in _ACTIVITY and not self._shut_down:
            self.idle.start()  # (re)start: after a timeout the next person's first key counts
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter = the primary action; Escape = back."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.primary()
            return
        if event.key() == Qt.Key.Key_Escape and self._back_allowed():
            self.back()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Wipe, stop listening and close the customer display with the desk."""
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Detach from the wizard, the language and the application (idempotent)."""
        self._shut_down = True
        self._unsubscribe()
        self._unlisten()
        self._unwatch_book()
        if self.handover_panel is not None:
            self.handover_panel.detach()
            self.handover_panel.close()
        self.idle.stop()
        self.clock.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.customer.reset()
        self.customer.close()
