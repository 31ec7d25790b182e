#!/usr/bin/env bash
# Makes sure the browser test can run: Debian's Chromium (or CHROMIUM_PATH), Node.js, and playwright-core
# from tests/browser/package-lock.json. Installs what is missing when it can; otherwise stops with a message
# saying exactly what to install. It never lets the test be skipped.
set -euo pipefail
say() { echo "ensure-browser: $*" >&2; }
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "$1 is missing and cannot be installed here (needs root and apt-get): run 'sudo apt-get install -y $2', then make test again."
    exit 1
  fi
  say "installing $2 from Debian's packages (one time)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; } ||
    { say "apt-get could not install $2; install it yourself, then make test again."; exit 1; }
}

[ -x "$chromium" ] || apt_install "Chromium ($chromium)" chromium
command -v node >/dev/null || apt_install "Node.js" nodejs
command -v npm >/dev/null || apt_install "npm" npm
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  say "installing playwright-core for the browser test (npm ci in tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) ||
    { say "npm could not install playwright-core (is the npm registry reachable?)"; exit 1; }
fi
