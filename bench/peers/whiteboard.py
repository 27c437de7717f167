"""whiteboard.py: examples/whiteboard.wb in Python, for the start-up workload."""
a, b, c, d = 1.0, 3.0, 5.0, 11.0
ac = a * c
bd = b * d
bd_a = bd + a
p = ac * bd_a
ad = a * d
result = ad + p
print(f"result = {result:g}")
