#!/bin/sh
# Installs Debian's `chromium` for the picture tests (tests/pictures_browser.rs).
# Idempotent and quick when already set up: does nothing if the browser the tests
# use ($WB_CHROMIUM, else /usr/bin/chromium) is already there. Non-interactive;
# needs root (apt-get). Runs `apt-get update` only when the package is unknown.
set -eu

browser="${WB_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-chromium: $browser is missing and installing it needs root (apt-get)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
    apt-get update -q
fi
apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core

if [ ! -x "$browser" ]; then
    echo "setup-chromium: installed chromium but $browser is still missing" >&2
    exit 1
fi
