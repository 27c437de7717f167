#!/usr/bin/env bash
# Every test of wb, on a fresh machine too (the README's test command).
#
# The tests that need more than Rust (a browser, a Python runtime for the
# exported models, an editor driving the language server) get their tools
# from the `scripts/setup-*.sh` beside this file: each is idempotent and
# returns at once when its tool is already there. Then `cargo test` runs with
# CI=true unless the caller set CI, so that a missing tool fails its tests
# instead of skipping them: this command runs everything or says why not.
# (`cargo test` alone runs every test that needs only Rust and skips, with a
# message, the ones whose tools are missing.)
set -euo pipefail
cd "$(dirname "$0")/.."
for setup in scripts/setup-*.sh; do
    [ -e "$setup" ] || continue
    echo "test-all: $setup" >&2
    bash "$setup"
done
export CI="${CI:-true}"
exec cargo test --locked "$@"
