#!/usr/bin/env bash
# Installs the Debian packages ctdl needs, only those missing, and says what it installs.
# Usage: install-deps.sh build|test
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(g++ cmake ninja-build pkg-config ca-certificates python3
  libcurl4-openssl-dev libssl-dev libsimdjson-dev libsqlite3-dev zlib1g-dev libdeflate-dev
  libisal-dev libzstd-dev libcli11-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev)
test_pkgs=(awscli clang libclang-rt-14-dev certspotter curl prometheus nginx-light openssl strace)

want=("${build_pkgs[@]}")
[ "${1:-build}" = test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
# Node.js + npm (for the local DynamoDB/S3 test servers); nodesource's nodejs bundles npm.
if [ "${1:-build}" = test ] && ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" </dev/null; then
    $sudo apt-get update </dev/null
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
  fi
fi

if [ "${1:-build}" = test ] && [ -f tests/servers/package-lock.json ]; then
  if [ ! -d tests/servers/node_modules ] ||
     [ tests/servers/package-lock.json -nt tests/servers/node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci in tests/servers (dynalite, s3rver, @duckdb/node-api)"
    (cd tests/servers && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  fi
fi
