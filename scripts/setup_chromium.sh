#!/usr/bin/env bash
# Chromium for the dashboard's browser tests (tests/browser/chromium.ts drives it with playwright-core; no browser
# download: the machines have no network beyond package registries). `deno task test` runs this before the broker
# starts, as scripts/kafka/broker.sh fetches Kafka:
#
#   - Chromium at EDDY_CHROMIUM (default /usr/bin/chromium): nothing to do;
#   - otherwise, as root or with password-less sudo on Debian: installs Debian's `chromium` with apt-get;
#   - otherwise: stops, naming the command that installs it, before any test runs.
set -euo pipefail

chromium=${EDDY_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] && exit 0

die() {
  echo "setup_chromium.sh: $*" >&2
  echo "setup_chromium.sh: the dashboard's browser tests need Chromium: install it with" \
    "\`sudo apt-get install -y chromium\` (Debian), or point EDDY_CHROMIUM at a Chromium binary" >&2
  exit 1
}

[ -n "${EDDY_CHROMIUM:-}" ] && die "EDDY_CHROMIUM names $chromium, which is not an executable file"
command -v apt-get >/dev/null || die "Chromium is not installed at $chromium and apt-get is not available here"
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  die "Chromium is not installed at $chromium, and installing it needs root (no password-less sudo here)"
fi

echo "setup_chromium.sh: installing Debian's chromium with apt-get (once; the dashboard's browser tests drive it)" >&2
"${sudo[@]}" apt-get update -q >/dev/null || die "apt-get update failed"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q chromium >/dev/null ||
  die "apt-get install chromium failed"
[ -x "$chromium" ] || die "apt-get installed chromium, but $chromium is still missing"
echo "setup_chromium.sh: $("$chromium" --version 2>/dev/null || echo chromium) installed" >&2
