"""Check a screenshot of the cage session: the desk's sign-in page fills the output.

Run by test-cage-session.sh (with the build machine's Python; the session itself has none):

    python check_screenshot.py SHOT.png

Exit 0 when the picture shows the desk: not blank; the header band in the theme's blue
(resources/styles/desk.qss ``QFrame#header``) across the top; the light page background
below it; and dark text in the sign-in form's region (title, labels, fields) in the middle.
"""

from __future__ import annotations

import sys

import cv2
import numpy as np

HEADER_BGR = (0x8A, 0x4F, 0x0B)  # #0b4f8a
PAGE_BGR = (0xFA, 0xF7, 0xF5)  # #f5f7fa


def near(image: np.ndarray, bgr: tuple[int, int, int], tol: int = 12) -> float:
    """Fraction of ``image``'s pixels within ``tol`` of ``bgr`` on every channel."""
    diff = np.abs(image.astype(np.int16) - np.array(bgr, dtype=np.int16))
    return float(np.mean(np.all(diff <= tol, axis=2)))


def check(path: str) -> list[str]:
    """Return the problems with the screenshot at ``path`` (empty: it passes)."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        return [f"{path}: not an image"]
    height, width = image.shape[:2]
    problems = []
    if float(image.std()) < 10:
        problems.append(f"blank (std {image.std():.1f})")
    header = image[: max(8, height // 40)]
    if near(header, HEADER_BGR) < 0.6:
        problems.append(f"no header band ({near(header, HEADER_BGR):.0%} header blue)")
    body = image[height // 5 : height * 4 // 5]
    if near(body, PAGE_BGR) < 0.3:
        problems.append(f"no page background ({near(body, PAGE_BGR):.0%})")
    # The sign-in form sits top left below the header: title, intro, two labelled fields.
    form = image[height // 12 : height * 11 // 20, : width * 2 // 3]
    gray = cv2.cvtColor(form, cv2.COLOR_BGR2GRAY)
    dark = float(np.mean(gray < 110))
    if not 0.005 < dark < 0.3:
        problems.append(f"no text in the sign-in form region ({dark:.2%} dark pixels)")
    # The title "Inloggen"/"Sign in" in the theme's blue, at the top left of the form.
    title = image[height // 12 : height // 6, : width // 4]
    if near(title, HEADER_BGR, tol=40) < 0.02:
        problems.append("no page title in the header blue at the top left")
    print(f"{path}: {width}x{height}, std {image.std():.0f}, header {near(header, HEADER_BGR):.0%},"
          f" page {near(body, PAGE_BGR):.0%}, text {dark:.2%}", file=sys.stderr)
    return problems


if __name__ == "__main__":
    found = check(sys.argv[1])
    for problem in found:
        print(f"{sys.argv[1]}: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)
