"""PACE compute time per curve (issue 4 item 10): terminal side, in memory, no I/O.

Run with ``./dev bench`` or ``pytest tests/benchmarks/test_pace_curves.py -s``. The
chip side runs in the same process (kiosk.emrtd.pace.ChipPace); its time is measured
separately and subtracted, so ``terminal`` is what the kiosk spends per PACE.
"""

from __future__ import annotations

import statistics
import time

import pytest

from kiosk.emrtd import ec, pace

MRZ_INFO = "L898902C<369080619406236"
RUNS = 5


def _one_pace(curve: ec.Curve) -> tuple[float, float]:
    params = pace.PaceParams.from_oid("0.4.0.127.0.7.2.2.4.2.4", curve.param_id)
    password = pace.mrz_password(MRZ_INFO)
    chip = pace.ChipPace({1: password.key}, [params])
    from kiosk.emrtd.apdu import CommandApdu

    chip_time = 0.0

    def transport(raw: bytes) -> bytes:
        nonlocal chip_time
        start = time.perf_counter()
        answer = chip.handle(CommandApdu.decode(raw)).encode()
        chip_time += time.perf_counter() - start
        return answer

    start = time.perf_counter()
    pace.perform_pace(transport, params, password)
    total = time.perf_counter() - start
    assert chip.session is not None
    return (total - chip_time) * 1000, chip_time * 1000


def pace_compute_ms(curve_name: str) -> float:
    """Median terminal-side compute time of one PACE-GM/AES-256 on ``curve_name``, in ms.

    Fixed-base tables are built before timing (the kiosk warms them at start-up).
    """
    curve = ec.BY_NAME[curve_name]
    curve.precompute()
    _one_pace(curve)
    return statistics.median(_one_pace(curve)[0] for _ in range(RUNS))


@pytest.mark.benchmark
def test_pace_compute_time_per_curve(capsys):
    rows = []
    for curve in ec.CURVES:
        start = time.perf_counter()
        curve.precompute()
        warm = (time.perf_counter() - start) * 1000
        terminal = pace_compute_ms(curve.name)
        chip = statistics.median(_one_pace(curve)[1] for _ in range(RUNS))
        rows.append((curve.name, terminal, chip, warm))
    with capsys.disabled():
        print("\nPACE-GM AES-256 compute time (median of 5, ms)")
        print(f"{'curve':18} {'terminal':>9} {'chip':>7} {'table build':>12}")
        for name, terminal, chip, warm in rows:
            print(f"{name:18} {terminal:9.1f} {chip:7.1f} {warm:12.1f}")
    by_name = {name: terminal for name, terminal, _, _ in rows}
    # issue 4 target: a whole read incl. PACE on brainpoolP320r1 within 150 ms
    assert by_name["brainpoolP320r1"] < 60
