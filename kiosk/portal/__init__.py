"""The reference portal: contract v1 (DESIGN.md section 5) as a real HTTP server.

Used by the tests, ``kiosk demo`` and ``kiosk portal serve``; integrators can read it as the
executable form of ``resources/openapi/portal-v1.json``.
"""

from kiosk.portal.server import ROUTES, PortalServer, Route
from kiosk.portal.store import QR_PREFIX, PortalStore

__all__ = ["QR_PREFIX", "ROUTES", "PortalServer", "PortalStore", "Route"]
