#!/usr/bin/env bash
# System packages Boost runs with: nginx (the gateway). Installed with apt when missing
# and we are root; otherwise we say exactly what to install.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${need[*]} with apt…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Boost needs: ${need[*]}. Install them, e.g. sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
