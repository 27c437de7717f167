"""whiteboard_batch.py: examples/whiteboard.wb over every row of a CSV with
pandas and numpy, as `wb run examples/whiteboard.wb --batch` does it: read
the inputs, compute `ad + ac(bd + a)` column-wise, write a CSV with one
column per read and an `error` column (empty: this program cannot fail on
finite inputs, and a non-finite result is reported as wb reports it).

    python3 whiteboard_batch.py rows.csv out.csv
"""
import sys

import numpy as np
import pandas as pd

rows = pd.read_csv(sys.argv[1], dtype=np.float64)
a, b, c, d = (rows[k].to_numpy() for k in ("a", "b", "c", "d"))
ac = a * c
bd = b * d
bd_a = bd + a
p = ac * bd_a
ad = a * d
result = ad + p
finite = np.isfinite(result)
out = pd.DataFrame(
    {
        "result": np.where(finite, result, np.nan),
        "error": np.where(finite, "", "wb::not_finite"),
    }
)
out.to_csv(sys.argv[2], index=False)
