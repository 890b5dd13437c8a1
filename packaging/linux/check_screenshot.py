"""Check a screenshot of the cage session: the desk's sign-in page fills the output.

Run by test-cage-session.sh (with the build machine's Python; the session itself has none):

    python check_screenshot.py [--size WxH] SHOT.png

Exit 0 when the picture shows the desk: not blank; the header band in the theme's blue
(resources/styles/desk.qss ``QFrame#header``) across the top; the light page background
below it; and dark text in the sign-in form's region (title, labels, fields) in the middle.
With ``--size WxH`` the picture must be exactly that size and the whole page must be on it:
the dark status bar along the bottom edge with light text (the version) at its right end,
and the sign-in button in the theme's blue at the bottom right.
"""

from __future__ import annotations

import sys

import cv2
import numpy as np

HEADER_BGR = (0x8A, 0x4F, 0x0B)  # #0b4f8a
PAGE_BGR = (0xFA, 0xF7, 0xF5)  # #f5f7fa
STATUS_MAX = 60  # the status bar along the bottom is near-black (#1c2330-ish): every channel below


def near(image: np.ndarray, bgr: tuple[int, int, int], tol: int = 12) -> float:
    """Fraction of ``image``'s pixels within ``tol`` of ``bgr`` on every channel."""
    diff = np.abs(image.astype(np.int16) - np.array(bgr, dtype=np.int16))
    return float(np.mean(np.all(diff <= tol, axis=2)))


def check(path: str, size: tuple[int, int] | None = None) -> list[str]:
    """Return the problems with the screenshot at ``path`` (empty: it passes)."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        return [f"{path}: not an image"]
    height, width = image.shape[:2]
    problems = []
    if size is not None:
        if (width, height) != size:
            problems.append(f"size {width}x{height}, expected {size[0]}x{size[1]}")
        # The status bar: the bottom 12 px, dark across the whole width ...
        bar = image[height - 12 :]
        dark_bar = float(np.mean(np.all(bar < STATUS_MAX, axis=2)))
        if dark_bar < 0.8:
            problems.append(f"no status bar along the bottom edge ({dark_bar:.0%} dark)")
        # ... with light text (the version) in its right-most fifth, up to the edge.
        bar_right = cv2.cvtColor(image[height - 24 :, width * 4 // 5 :], cv2.COLOR_BGR2GRAY)
        if float(np.mean(bar_right > 180)) < 0.01:
            problems.append("no version text at the right end of the status bar")
        # The sign-in button in the header blue at the bottom right, above the status bar.
        button = image[height - 110 : height - 30, width - 260 :]
        if near(button, HEADER_BGR, tol=40) < 0.2:
            problems.append("no sign-in button at the bottom right (right edge cut?)")
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
    args = sys.argv[1:]
    want = None
    if args[:1] == ["--size"]:
        w, h = args[1].split("x")
        want = (int(w), int(h))
        args = args[2:]
    found = check(args[0], want)
    for problem in found:
        print(f"{args[0]}: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)
