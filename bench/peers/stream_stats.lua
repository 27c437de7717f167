-- stream_stats.lua: the same loop as examples/stream_stats.wb, for Lua 5.4
-- and LuaJIT: running mean, variance (Welford) and maximum of the numbers in
-- the file arg[1], read one at a time.
local n, mean, m2, hi = 0, 0.0, 0.0, -math.huge
for x in io.lines(arg[1], "n") do
  n = n + 1
  local delta = x - mean
  mean = mean + delta / n
  m2 = m2 + delta * (x - mean)
  if x > hi then hi = x end
end
print(string.format("n = %d\nmean = %.17g\nvariance = %.17g\nhi = %.17g", n, mean, m2 / n, hi))
