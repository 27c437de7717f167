#!/usr/bin/env bash
# The "cell and compile" workloads (bench/README.md, that section), each
# against its peer in the same run, as ratios:
#   - wb compile --emit json and wb compile (table) of a 100,000-statement
#     program vs luac5.4 -o /dev/null of the same program in Lua;
#   - wb run --engine cell vs the interpreter on a logistic-map scalar loop
#     and on a 10,000,000-element stream (one input set).
# WB=path/to/wb picks the binary (default: target/release/wb); N scales the
# program (default 100000), ITER the loop (default 10000000).
set -euo pipefail
cd "$(dirname "$0")/.."
WB=${WB:-target/release/wb}
N=${N:-100000}
ITER=${ITER:-10000000}
dir=target/bench/cell_compile
mkdir -p "$dir"
python3 bench/gen.py program "$N" wb "$dir/p.wb"
python3 bench/gen.py program "$N" lua "$dir/p.lua"
python3 bench/gen.py stream 10000000 "$dir/s.txt"
printf 'board 2\nwrite x = 0.5\nrepeat %s {\n  write x = 3.9 * x * (1 - x)\n}\nread x\n' "$ITER" >"$dir/logistic.wb"
printf 'board 2\nstream s = [0]\nwrite t = 0\neach s {\n  write t = t + s\n}\nread t\n' >"$dir/sum.wb"

# Seconds and peak KB of a command, best of three.
measure() {
  local best="" kb=0
  for _ in 1 2 3; do
    local out
    /usr/bin/time -o "$dir/time" -f "%e %M" "$@" >/dev/null 2>/dev/null || true
    out=$(tail -1 "$dir/time")
    local s=${out% *} m=${out#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
    kb=$m
  done
  echo "$best $kb"
}
ratio() { awk "BEGIN{printf \"%.2f\", ($1) / ($2 > 0 ? $2 : 0.01)}"; }
row() { # name, goal, wb seconds+kb, peer seconds+kb
  local ws=${3% *} wk=${3#* } ps=${4% *} pk=${4#* }
  local r; r=$(ratio "$ws" "$ps")
  local flag=""; awk "BEGIN{exit !($r > $2)}" && flag="  GOAL MISSED (≤ $2×)"
  printf '%-34s %6ss %8s KB   peer %6ss %8s KB   %s×%s\n' "$1" "$ws" "$wk" "$ps" "$pk" "$r" "$flag"
}
luac=$(measure luac5.4 -o /dev/null "$dir/p.lua")
row "compile --emit json vs luac" 3 "$(measure "$WB" compile --emit json "$dir/p.wb")" "$luac"
row "compile (table) vs luac" 2 "$(measure "$WB" compile "$dir/p.wb")" "$luac"
row "logistic: cell vs interpreter" 1.2 "$(measure "$WB" run --engine cell "$dir/logistic.wb")" "$(measure "$WB" run "$dir/logistic.wb")"
row "10M stream: cell vs interpreter" 1.2 "$(measure "$WB" run --engine cell "$dir/sum.wb" --stream "s=@$dir/s.txt")" "$(measure "$WB" run "$dir/sum.wb" --stream "s=@$dir/s.txt")"
