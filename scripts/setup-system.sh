#!/usr/bin/env bash
# System packages the tests and `make run` use (from Debian's archive): socat (pty pairs for the serial
# tests), mosquitto (a real MQTT broker for the bridge tests), chromium (the dashboard's browser tests).
# Installs only what is missing; needs root or sudo for apt-get. Prints what it did.
set -euo pipefail
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "setup-system: installing ${need[*]} (Debian packages)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-system: need root (or sudo) to install: ${need[*]}; install them and run again" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "setup-system: apt-get update failed; trying the install anyway" >&2
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
# the Debian package starts a broker on port 1883 where systemd runs; tests start their own on free ports
