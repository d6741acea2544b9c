#!/usr/bin/env bash
# Installs everything kubeforge, its checkers and its lab need on a fresh Debian 12 machine (root).
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (apt-get, network namespaces, the lab)" >&2
  exit 1
fi

# Daemons we install only as config checkers (haproxy, corosync, dnsmasq...) must not start on
# this host: a policy-rc.d returning 101 tells Debian's maintainer scripts not to start them.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT

packages=$(sed -e 's/#.*//' scripts/apt-packages.txt | xargs)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=""
for p in $packages; do installed "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "== apt-get install:$missing"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

bash scripts/install-containerd2.sh  # containerd 2 as a config checker (Debian 12 has 1.6)

if [ ! -x .venv/bin/python ]; then
  echo "== python venv"
  python3 -m venv .venv
fi
echo "== pip install -e .[test]"
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
