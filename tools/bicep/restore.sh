#!/usr/bin/env bash
# Restores the Bicep CLI (NuGet package Azure.Bicep.CommandLine.linux-x64, pinned in bicep.csproj) with
# `dotnet restore`, checks that it runs, and writes its absolute path to .tools/bicep-path so tests and
# scripts find it without guessing. Idempotent; fails loudly when the compiler cannot be had.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo_root"

package_id="azure.bicep.commandline.linux-x64"
version="$(sed -n 's/.*Include="Azure.Bicep.CommandLine.linux-x64" Version="\[\([0-9.]*\)\]".*/\1/p' tools/bicep/bicep.csproj)"
if [ -z "$version" ]; then
  echo "restore.sh: tools/bicep/bicep.csproj: no exact [x.y.z] version of Azure.Bicep.CommandLine.linux-x64" >&2
  exit 1
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "restore.sh: dotnet is not installed; it is needed to restore the Bicep CLI from NuGet" >&2
  exit 1
fi

dotnet restore tools/bicep/bicep.csproj --nologo --verbosity quiet >&2

packages_root="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
bicep_path="$packages_root/$package_id/$version/tools/bicep"
if [ ! -f "$bicep_path" ]; then
  echo "restore.sh: restore succeeded but $bicep_path does not exist" >&2
  exit 1
fi
# NuGet extraction may drop the executable bit.
[ -x "$bicep_path" ] || chmod +x "$bicep_path"

# The CLI is a self-contained .NET single-file app; without libicu it aborts unless globalization is invariant.
if ! "$bicep_path" --version >/dev/null 2>&1; then
  if DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$bicep_path" --version >/dev/null 2>&1; then
    echo "restore.sh: bicep needs DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 here (no libicu); the tests set it" >&2
  else
    echo "restore.sh: $bicep_path does not run" >&2
    exit 1
  fi
fi

mkdir -p .tools
printf '%s\n' "$bicep_path" >.tools/bicep-path
echo "restore.sh: $(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$bicep_path" --version) at $bicep_path" >&2
echo "$bicep_path"
