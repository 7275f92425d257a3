#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, on a fresh Debian machine:
#   - Debian's chromium (dashboard browser tests drive it with playwright-core)
#   - the Bicep CLI from NuGet (infra build and lint)
#   - unzip (the deployable-package test)
# Idempotent: re-running skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian chromium" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# unzip: the package test unpacks the deployable zip with an independent reader.
if ! command -v unzip >/dev/null 2>&1; then
  echo "setup: installing unzip" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq unzip >/dev/null
fi

if [ -f tools/bicep/bicep.csproj ]; then
  bash tools/bicep/restore.sh
fi
echo "setup: done" >&2
