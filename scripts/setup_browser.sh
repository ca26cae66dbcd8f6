#!/usr/bin/env bash
# Browser for the portal widget's end-to-end test (tests/e2e): Debian's chromium, CJK fonts for
# readable screenshots, and Playwright for Python driving that chromium. Playwright's own browser
# download (`playwright install`) is never used: the test passes executable_path=/usr/bin/chromium.
# Idempotent; needs root (or sudo) only when a Debian package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PLAYWRIGHT_VERSION=1.65.2  # its driver speaks to Debian bookworm's chromium 156

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
# Without a CJK font every Chinese character in a screenshot is a box.
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if ! .venv/bin/python -c "import playwright, importlib.metadata as m; \
    raise SystemExit(m.version('playwright') != '$PLAYWRIGHT_VERSION')" 2>/dev/null; then
  .venv/bin/pip install --quiet "playwright==$PLAYWRIGHT_VERSION"
fi
echo "browser ready: $(/usr/bin/chromium --version 2>/dev/null), playwright $PLAYWRIGHT_VERSION"
