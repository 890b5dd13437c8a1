"""The wizard's pages: one per :class:`kiosk.flow.wizard.Step`, passive views of the state."""
