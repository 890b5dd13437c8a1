"""Fleet tools: many simulated kiosks against one portal (``kiosk fleet-sim``).

:mod:`kiosk.fleet.sim` runs N kiosks in one process, each with its own store file, device
credential and :class:`kiosk.sync.worker.SyncWorker`; :mod:`kiosk.fleet.faults` is the
loopback proxy that drops, resets, delays and fails requests between them and the portal.
"""
