#!/usr/bin/env bash
# The benchmark suite in one command: installs the peers it needs (Lua 5.4,
# LuaJIT, hyperfine, GNU time from Debian's packages; numpy and pandas from
# PyPI), builds wb in release mode, then runs bench/bench.py, which
# generates the inputs (under target/bench/) and prints medians, ratios and
# peak memory. See bench/README.md.
#
#   bench/run.sh                      # everything, as bench/README.md reports it
#   bench/run.sh --only stream        # one workload (stream, batch, parse, startup,
#                                     # warnings, clean, names, loop)
#   bench/run.sh --scale 0.01         # small inputs: a quick try of the suite
#   bench/run.sh --no-install ...     # use what is installed; skip missing peers
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
args=()
for a in "$@"; do
  if [ "$a" = "--no-install" ]; then install=0; else args+=("$a"); fi
done

if [ "$install" = 1 ]; then
  missing=()
  command -v lua5.4 >/dev/null || missing+=(lua5.4)
  command -v luajit >/dev/null || missing+=(luajit)
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  [ -x /usr/bin/time ] || missing+=(time)
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "bench: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" >&2
  fi
  if ! python3 -c "import numpy, pandas" 2>/dev/null; then
    echo "bench: installing numpy and pandas" >&2
    python3 -m pip install --quiet numpy pandas >&2 ||
      python3 -m pip install --quiet --break-system-packages numpy pandas >&2
  fi
fi

cargo build --release --quiet
exec python3 bench/bench.py "${args[@]+"${args[@]}"}"
