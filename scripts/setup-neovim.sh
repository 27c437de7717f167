#!/bin/sh
# Installs Neovim (Debian's package), which tests/lsp_nvim.rs uses to drive
# `wb lsp` from a real editor. Idempotent: quick when nvim is already there.
# Run as root (it uses apt-get); non-interactive.
set -eu
if command -v "${WB_NVIM:-nvim}" >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends neovim >/dev/null
command -v nvim
