#!/usr/bin/env bash
# Install Debian's headless browser for the book's browser tests: chromium + chromium-driver.
# Idempotent: does nothing when /usr/bin/chromium and /usr/bin/chromedriver already exist.
# Runs apt-get directly as root, through sudo otherwise (when sudo is available).
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-browser: not root and no sudo; install the Debian packages 'chromium chromium-driver' by hand" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
echo "install-browser: installed $(/usr/bin/chromium --version)"
