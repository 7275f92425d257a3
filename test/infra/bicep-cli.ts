import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const INFRA_DIR = join(REPO_ROOT, "infra");

/** The version tools/bicep/bicep.csproj pins; the binary path depends on it. */
function pinnedVersion(): string {
  const csproj = readFileSync(join(REPO_ROOT, "tools/bicep/bicep.csproj"), "utf8");
  const match = /Include="Azure\.Bicep\.CommandLine\.linux-x64" Version="\[([0-9.]+)\]"/.exec(csproj);
  if (!match?.[1])
    throw new Error("tools/bicep/bicep.csproj: no exact [x.y.z] Azure.Bicep.CommandLine.linux-x64 version");
  return match[1];
}

/**
 * Where the Bicep CLI is: BICEP_PATH, else the path tools/bicep/restore.sh recorded in .tools/bicep-path,
 * else the NuGet cache location of the pinned version. Throws (never skips) when none exists, naming the
 * command that installs it.
 */
export function locateBicep(): string {
  const candidates: string[] = [];
  if (process.env.BICEP_PATH) candidates.push(process.env.BICEP_PATH);
  const recorded = join(REPO_ROOT, ".tools/bicep-path");
  if (existsSync(recorded)) candidates.push(readFileSync(recorded, "utf8").trim());
  const packagesRoot = process.env.NUGET_PACKAGES ?? join(homedir(), ".nuget/packages");
  candidates.push(join(packagesRoot, "azure.bicep.commandline.linux-x64", pinnedVersion(), "tools/bicep"));
  const found = candidates.find((path) => path !== "" && existsSync(path));
  if (!found) {
    throw new Error(
      `Bicep CLI not found (looked at ${candidates.join(", ")}). Run 'bash tools/bicep/restore.sh' ` +
        "(npm run setup does it); infra checks never skip.",
    );
  }
  return found;
}

export interface BicepRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runBicep(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<BicepRun> {
  try {
    const { stdout, stderr } = await execFileAsync(locateBicep(), [...args], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      // The CLI is a self-contained .NET app: without libicu it aborts unless globalization is invariant.
      env: { ...env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: "1", BICEP_TRACING_ENABLED: "false" },
    });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (typeof failed.code !== "number") throw error;
    return { exitCode: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? failed.message };
  }
}

export interface Diagnostic {
  file: string;
  line: number;
  rule: string;
  level: string;
  message: string;
}

interface SarifLog {
  runs: {
    results: {
      ruleId: string;
      level?: string;
      message: { text: string };
      locations?: {
        physicalLocation: { artifactLocation: { uri: string }; region?: { startLine?: number } };
      }[];
    }[];
  }[];
}

/** `--pattern` runs print one SARIF document per file, back to back: split them. */
function jsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)));
  }
  if (depth !== 0) throw new Error(`bicep printed unbalanced JSON: ${text.slice(0, 200)}`);
  return docs;
}

/**
 * Diagnostics from a run's SARIF (stdout for lint, stderr otherwise; one document per file for `--pattern`
 * runs), paths made relative to `root`. `what` names the input when a result has no location.
 */
export function diagnosticsFrom(
  run: BicepRun,
  sarifText: string,
  what: string,
  root: string = REPO_ROOT,
): Diagnostic[] {
  const trimmed = sarifText.trim();
  const out: Diagnostic[] = [];
  if (trimmed.startsWith("{")) {
    for (const r of jsonDocuments(trimmed).flatMap((sarif) =>
      (sarif as SarifLog).runs.flatMap((x) => x.results),
    )) {
      const location = r.locations?.[0]?.physicalLocation;
      const uri = location?.artifactLocation.uri;
      out.push({
        file: uri ? relative(root, uri.startsWith("file:") ? fileURLToPath(uri) : uri) : what,
        line: location?.region?.startLine ?? 0,
        rule: r.ruleId,
        // SARIF leaves out level when it is the default, "warning".
        level: r.level ?? "warning",
        message: r.message.text,
      });
    }
  } else if (trimmed !== "") {
    out.push({ file: what, line: 0, rule: "output", level: "error", message: trimmed });
  }
  if (run.exitCode !== 0 && out.length === 0) {
    out.push({
      file: what,
      line: 0,
      rule: "exit",
      level: "error",
      message: `exit ${run.exitCode}: ${run.stderr}`,
    });
  }
  return out;
}

/** Every diagnostic (error, warning, info) of `bicep lint` or `bicep build` on one file, as data. */
export async function diagnosticsOf(
  command: "lint" | "build" | "build-params",
  file: string,
  outDir?: string,
): Promise<Diagnostic[]> {
  const args = [command, file, "--diagnostics-format", "sarif"];
  if (command === "lint") {
    // lint prints SARIF on stdout
  } else if (outDir) {
    args.push("--outdir", outDir);
  } else {
    args.push("--stdout");
  }
  const run = await runBicep(args);
  return diagnosticsFrom(run, command === "lint" ? run.stdout : run.stderr, file);
}

/** Every .bicep and .bicepparam file under a folder, sorted. */
export function bicepFilesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...bicepFilesUnder(path));
    else if (entry.endsWith(".bicep") || entry.endsWith(".bicepparam")) files.push(path);
  }
  return files.sort();
}
