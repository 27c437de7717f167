-- whiteboard.lua: examples/whiteboard.wb in Lua, for the start-up workload.
local a, b, c, d = 1, 3, 5, 11
local ac = a * c
local bd = b * d
local bd_a = bd + a
local p = ac * bd_a
local ad = a * d
local result = ad + p
print("result = " .. string.format("%.17g", result))
