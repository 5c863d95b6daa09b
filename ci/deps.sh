#!/usr/bin/env bash
# ci/deps.sh - install the Debian packages cmkctl needs, skipping what is present.
# Sourced by ci/test.sh and ci/quickstart.sh; safe to run again.
set -euo pipefail

CMK_PACKAGES=(build-essential cmake pkg-config clang libclang-rt-14-dev
  libyaml-dev libcurl4-openssl-dev libcjson-dev libgit2-dev libmicrohttpd-dev
  libcmocka-dev libssl-dev openssl git ca-certificates curl jq python3
  python3-jsonschema python3-yaml openssh-server openssh-client)

missing=()
for p in "${CMK_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/deps.sh: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
