#!/usr/bin/env bash
# Installs and starts what the machine needs beyond Node and npm, idempotently. Safe to run again.
# Each family adds its own needs here (Debian packages, services) as it lands.
set -euo pipefail

need_node_major=20
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" -lt "$need_node_major" ]; then
  echo "setup: Node.js >= $need_node_major is required (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Debian packages the project needs at run time or in tests; none yet for the core.
packages=()
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
