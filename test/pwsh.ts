import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** PowerShell 7 as `npm run setup` installs it (tools/pwsh/restore.sh), or PWSH_PATH. */
export function pwshPath(): string {
  const recorded = join(import.meta.dirname, "..", ".tools", "pwsh-path");
  const path =
    process.env["PWSH_PATH"] ?? (existsSync(recorded) ? readFileSync(recorded, "utf8").trim() : "");
  if (!path || !existsSync(path)) throw new Error("PowerShell 7 is not installed: run `npm run setup`");
  return path;
}

/** Runs a PowerShell script with the real pwsh, stopping at its first error; its standard output. */
export async function runPwsh(script: string): Promise<string> {
  const stopping = `$ErrorActionPreference = "Stop"\n${script}`;
  const { stdout } = await run(pwshPath(), ["-NoProfile", "-NonInteractive", "-Command", stopping], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
