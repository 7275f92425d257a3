import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
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
  const sarifText = command === "lint" ? run.stdout : run.stderr;
  const diagnostics: Diagnostic[] = [];
  const trimmed = sarifText.trim();
  if (trimmed.startsWith("{")) {
    const sarif = JSON.parse(trimmed) as SarifLog;
    for (const result of sarif.runs.flatMap((r) => r.results)) {
      const location = result.locations?.[0]?.physicalLocation;
      diagnostics.push({
        file: location?.artifactLocation.uri ?? file,
        line: location?.region?.startLine ?? 0,
        rule: result.ruleId,
        // SARIF leaves out level when it is the default, "warning".
        level: result.level ?? "warning",
        message: result.message.text,
      });
    }
  } else if (trimmed !== "") {
    diagnostics.push({ file, line: 0, rule: "output", level: "error", message: trimmed });
  }
  if (run.exitCode !== 0 && diagnostics.length === 0) {
    diagnostics.push({
      file,
      line: 0,
      rule: "exit",
      level: "error",
      message: `bicep ${command} exited ${run.exitCode}: ${run.stderr}`,
    });
  }
  return diagnostics;
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
