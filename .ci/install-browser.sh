#!/usr/bin/env bash
# Install Debian's Chromium for the report tests that open report.html in a real headless
# browser (tests/test_report_html.py; they skip, saying why, without it).
# Usage: bash .ci/install-browser.sh   (as root; a no-op when chromium is already there)
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(chromium --version 2>/dev/null || true)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q chromium
chromium --version || true
