"""stream_stats.py: the same loop as examples/stream_stats.wb, for CPython:
running mean, variance (Welford) and maximum of the numbers in the file
sys.argv[1], read one line at a time."""
import sys

n, mean, m2, hi = 0, 0.0, 0.0, float("-inf")
with open(sys.argv[1]) as f:
    for line in f:
        x = float(line)
        n += 1
        delta = x - mean
        mean += delta / n
        m2 += delta * (x - mean)
        if x > hi:
            hi = x
print(f"n = {n}\nmean = {mean!r}\nvariance = {m2 / n!r}\nhi = {hi!r}")
