#!/usr/bin/env bash
# Installs PowerShell 7 (the NuGet global tool "PowerShell", version pinned below) into .tools/pwsh with
# `dotnet tool install`, checks that it runs, and writes its path to .tools/pwsh-path. The doctor's tests
# run the browsers' "Copy as PowerShell" snippets with it to learn what they really send. Idempotent.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo_root"

version="7.6.10"
tool_path=".tools/pwsh"
pwsh="$repo_root/$tool_path/pwsh"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "restore.sh: dotnet is not installed; it is needed to install PowerShell from NuGet" >&2
  exit 1
fi

if [ ! -x "$pwsh" ] || [ "$("$pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null)" != "$version" ]; then
  rm -rf "$tool_path"
  dotnet tool install PowerShell --version "$version" --tool-path "$tool_path" >&2
fi

actual="$("$pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()')"
if [ "$actual" != "$version" ]; then
  echo "restore.sh: $pwsh reports $actual, not $version" >&2
  exit 1
fi
printf '%s\n' "$pwsh" >.tools/pwsh-path
echo "restore.sh: PowerShell $actual at $pwsh" >&2
