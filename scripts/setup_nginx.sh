#!/usr/bin/env bash
# nginx for the production profile (scripts/run_prod.sh): Debian's nginx-light, run by us as an
# ordinary process with a config generated under VAR_DIR, never as the system service.
# Idempotent; needs root (or sudo) only when the package is missing.
set -euo pipefail

if [ ! -x /usr/sbin/nginx ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # Debian's package starts no service here when policy-rc.d forbids it; run_prod.sh starts its own.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light
fi
echo "nginx ready: $(/usr/sbin/nginx -v 2>&1)"
