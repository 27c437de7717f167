#!/usr/bin/env python3
"""The numpy peer of `cargo bench --bench cell`: examples/whiteboard.wb's
arithmetic, `ad + ac(bd + a)` step by step, on 1 000 000 rows of inputs in
[1, 11), with the cell's every-result-finite check (and without it).

Run: python3 bench/cell_peer.py        (needs numpy: pip install numpy)
Prints the best time of several runs per variant, in milliseconds.
"""

import sys
import time

try:
    import numpy as np
except ImportError:
    sys.exit("numpy is missing: pip install numpy")

ROWS = 1_000_000
REPEATS = 20


def checked(a, b, c, d, out):
    ok = np.ones(ROWS, dtype=bool)
    ac = a * c
    ok &= np.isfinite(ac)
    bd = b * d
    ok &= np.isfinite(bd)
    bd_a = bd + a
    ok &= np.isfinite(bd_a)
    p = ac * bd_a
    ok &= np.isfinite(p)
    ad = a * d
    ok &= np.isfinite(ad)
    np.add(ad, p, out=out)
    ok &= np.isfinite(out)
    return ok


def unchecked(a, b, c, d, out):
    ac = a * c
    bd_a = b * d + a
    np.add(a * d, ac * bd_a, out=out)


def best(f, *args):
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def main():
    rng = np.random.default_rng(1)
    a, b, c, d = (1.0 + 10.0 * rng.random(ROWS) for _ in range(4))
    out = np.empty(ROWS)
    ok = checked(a, b, c, d, out)
    assert ok.all()
    ref = a * d + a * c * (b * d + a)
    assert np.allclose(out, ref)
    print(f"numpy_checked    {best(checked, a, b, c, d, out):8.3f} ms")
    print(f"numpy_unchecked  {best(unchecked, a, b, c, d, out):8.3f} ms")


if __name__ == "__main__":
    main()
