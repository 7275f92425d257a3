#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, on a fresh Debian machine:
#   - Debian's chromium (dashboard browser tests drive it with playwright-core)
#   - the Bicep CLI from NuGet (infra build and lint)
#   - PowerShell 7 from NuGet (the doctor runs browsers' "Copy as PowerShell" snippets with it)
#   - unzip (the deployable-package test), openssl (the Log Analytics stand-in's test certificate),
#     curl (the doctor runs "Copy as cURL" commands with it), and the Azure SDK for Python's Storage
#     library and the Azure CLI, Debian's (the doctor reads what they log against Azurite), and Apache
#     Avro's Python library (the tests write Event Hubs Capture files with it)
# Idempotent: re-running skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the dashboard's browser tests; unzip: the package test unpacks the deployable zip with an
# independent reader; openssl: the Log Analytics stand-in makes a throw-away TLS certificate.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# Debian's own Python, where Debian's python3-azure packages install (not a pyenv or venv python).
/usr/bin/python3 -c "import azure.storage.blob" >/dev/null 2>&1 || missing+=(python3-azure-storage)
# Apache Avro's own library: the tests write Event Hubs Capture files with it and read them back.
/usr/bin/python3 -c "import avro.datafile" >/dev/null 2>&1 || missing+=(python3-avro)
command -v az >/dev/null 2>&1 || missing+=(azure-cli)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (Debian packages)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f tools/bicep/bicep.csproj ]; then
  bash tools/bicep/restore.sh
fi
bash tools/pwsh/restore.sh
echo "setup: done" >&2
