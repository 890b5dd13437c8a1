"""App simulator: does what the ZORG-ID app does in steps 5-6 of the seed procedure.

It decodes the enrollment QR from pixels (OpenCV), makes a device key pair (EC P-256, as a
phone keeps in its secure hardware), posts ``POST /v1/app/enroll`` and returns the name the
app shows under 'ID'. End-to-end tests use it to close the loop from the customer display's
pixels to the portal's ``enrolled`` status; ``kiosk app-sim`` offers it on the command line.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from numpy.typing import NDArray

from kiosk.errors import InputError
from kiosk.sync.api import PortalBusy, PortalRejected, PortalUnreachable
from kiosk.sync.client import PortalClient

Pixels = NDArray[Any]
"""An OpenCV image: BGR, BGRA or grayscale, 8 bits per channel."""


class QrNotFound(InputError):
    """No QR code could be decoded from the image."""

    message_key = "app_sim.error.no_qr"


class ImageUnreadable(InputError):
    """The image file could not be read."""

    message_key = "app_sim.error.image"


class Outcome(IntEnum):
    """What the app would show, as the ``kiosk app-sim`` exit code."""

    ENROLLED = 0
    REFUSED = 1  # 404 unknown, 410 used/expired/cancelled, or any other refusal
    NO_QR_OR_UNREACHABLE = 2
    NOT_YET_ACTIVE = 3  # 425: a pool code whose registration has not reached the portal


@dataclass(frozen=True, slots=True)
class EnrollResult:
    """The outcome of one enroll attempt."""

    outcome: Outcome
    display_name: str | None = None
    status: int | None = None
    reason: str = ""


def _to_gray(image: Pixels) -> Pixels:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _variants(gray: Pixels) -> list[Pixels]:
    """The image as given, then the retries that rescue real screenshots and photos."""
    variants = [gray]
    # A quiet zone of at least 4 modules is part of the symbol (ISO/IEC 18004 section 6.3.8);
    # crops and screenshots often lack it, and the detector then misses the finder patterns.
    border = max(16, min(gray.shape) // 10)
    padded = cv2.copyMakeBorder(
        gray, border, border, border, border, cv2.BORDER_CONSTANT, value=255
    )
    variants.append(padded)
    _, otsu = cv2.threshold(padded, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    variants.append(otsu)
    height, width = padded.shape
    if max(height, width) < 1000:
        # Tiny renderings: upscale without smoothing so module edges stay sharp.
        variants.append(cv2.resize(otsu, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST))
    if max(height, width) > 1600:
        variants.append(cv2.resize(otsu, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    return variants


def decode_qr(image: Pixels) -> str:
    """Return the text of the QR code in ``image`` (BGR, BGRA or grayscale pixels).

    Raises :class:`QrNotFound` when neither the image nor its padded, binarised and
    rescaled variants decode.
    """
    variants = _variants(_to_gray(np.ascontiguousarray(image)))
    # The classic detector is fast and enough for screens; the ArUco-based one (OpenCV >= 4.8)
    # finds finder patterns in noisy, low-contrast photos where the classic one gives up.
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        for variant in variants:
            text, points, _ = detector.detectAndDecode(variant)
            if points is not None and text:
                return str(text)
    raise QrNotFound()


def decode_qr_file(path: str | Path) -> str:
    """Decode the QR code in an image file (PNG, JPEG, ...)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:  # OpenCV returns None rather than raising (DESIGN.md section 10)
        raise ImageUnreadable(path=str(path))
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    return decode_qr(image)


def device_public_key() -> str:
    """A fresh P-256 device key, public half as the app sends it (base64 DER SPKI)."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def enroll(
    portal_url: str,
    qr_payload: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 10.0,
) -> EnrollResult:
    """Enroll like the ZORG-ID app: post the scanned payload with a new device key."""
    with PortalClient(portal_url, transport=transport, timeout=timeout) as client:
        try:
            name = client.app_enroll(qr_payload, device_public_key())
        except PortalRejected as refused:
            return EnrollResult(Outcome.REFUSED, status=refused.status, reason=refused.reason)
        except PortalBusy as busy:
            if busy.status == 425:
                return EnrollResult(Outcome.NOT_YET_ACTIVE, status=425)
            return EnrollResult(Outcome.NO_QR_OR_UNREACHABLE, status=busy.status)
        except PortalUnreachable:
            return EnrollResult(Outcome.NO_QR_OR_UNREACHABLE)
    return EnrollResult(Outcome.ENROLLED, display_name=name, status=200)
