"""The desk wizard as data (DESIGN.md section 2, Electrum style): no Qt, tested headless.

* :mod:`kiosk.flow.evidence` -- :class:`WidEvidence`, what a step-2 method (typed MRZ, MRZ
  reader, camera, chip) hands to the wizard, and its comparison with step 1.
* :mod:`kiosk.flow.wizard` -- the steps, transitions, guards and back-stack.
* :mod:`kiosk.flow.desk` -- the desk session: the wizard plus the actions (sign in, enqueue,
  follow delivery and enrollment) through injected ports.
"""
