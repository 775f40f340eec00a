#!/usr/bin/env bash
# Installs everything the demo and the tests need, from the pinned package lists.
# Safe to re-run: each step is skipped while its inputs are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! cmp -s requirements.txt .venv/requirements.installed; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/requirements.installed
fi

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! command -v npm >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if ! cmp -s package-lock.json node_modules/.package-lock.installed; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.installed
fi

# Chromium drives the UI tests and the benchmark's page figures; Valgrind
# counts the benchmark's device instructions; the MQTT tests run against
# Debian's mosquitto broker. Only the targets that use them ask.
packages=""
for flag in "$@"; do
  case "$flag" in
    --with-browser) [ -x /usr/bin/chromium ] || packages="$packages chromium" ;;
    --with-valgrind) command -v valgrind >/dev/null || packages="$packages valgrind" ;;
    --with-broker) [ -x /usr/sbin/mosquitto ] || packages="$packages mosquitto" ;;
    *) echo "setup.sh: unknown option $flag" >&2; exit 2 ;;
  esac
done
if [ -n "$packages" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $packages >/dev/null
fi
