#!/usr/bin/env bash
# Makes sure the browser and official-client tests can run: Debian's Chromium (or CHROMIUM_PATH), Node.js,
# and playwright-core and stripe (stripe-node) from tests/browser/package-lock.json. Installs what is missing
# when it can; otherwise stops with a message saying exactly what to install. It never lets a test be skipped.
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
# Each package pinned in tests/browser/package.json, at its pinned version (an older node_modules, from before
# a package was added or bumped, is refreshed).
stale="$(cd tests/browser && node -e '
  const fs = require("fs");
  const wanted = JSON.parse(fs.readFileSync("package.json", "utf8")).dependencies;
  const stale = Object.entries(wanted).filter(([name, version]) => {
    try { return JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version !== version; }
    catch { return true; }
  });
  console.log(stale.map(([name, version]) => `${name}@${version}`).join(" "));
')"
if [ -n "$stale" ]; then
  say "installing $stale for the browser and official-client tests (npm ci in tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) ||
    { say "npm could not install $stale (is the npm registry reachable?)"; exit 1; }
fi
