/**
 * Every az command a remedy prints is one the Azure CLI accepts: each is parsed by the CLI's own parser
 * (Debian's azure-cli, installed by `npm run setup`; test/support/az-parse.py stops after parsing, so
 * nothing runs or signs in). The commands come from every simulator story's incidents, from a remedy
 * built for every verdict rule of the code table and every auth type, and from `explain` over every
 * committed capture. A command line is taken apart by bash itself (quotes, `$(…)`, pipes), with `az`
 * a function that records its arguments and only `date` on PATH, so what is parsed is what a shell
 * would pass and nothing else a line names is started.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_CODE_ENTRIES } from "../../src/codes/error-codes.js";
import { explainCapture } from "../../src/doctor/explain.js";
import type { Incident, Remedy } from "../../src/model/incident.js";
import { buildRemedy, type RemedyContext } from "../../src/remedy/build.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import { DEBIAN_PYTHON } from "../../scripts/make-transcript-captures.js";
import { SCENARIOS, generateScenario } from "../sim/scenarios.js";
import { analyzedIncidents } from "../support/analyzed-incidents.js";

/**
 * Command groups Debian's azure-cli 2.45 cannot load at all: its keyvault module needs the legacy
 * `azure.keyvault.v7_0` SDK, which Debian does not package. Their commands are not checked here.
 */
const UNLOADABLE_GROUPS = new Set(["keyvault"]);

async function storyIncidents(): Promise<Incident[]> {
  const all: Incident[] = [];
  for (const s of SCENARIOS) all.push(...(await analyzedIncidents(generateScenario(s.name))));
  return all;
}

/** A remedy for every verdict rule of the code table and auth type, on each story incident's shape. */
function tableRemedies(templates: readonly Incident[]): Remedy[] {
  const contexts: RemedyContext[] = [
    { changes: [] },
    { changes: [], proven: { emulator: true, sharedKeyArrivedAsSigned: "test", sasKeyNotCurrent: "test" } },
    { changes: [], tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47" },
    // A captured copy's source (CannotVerifyCopySource), a blob's and a file's.
    ...["blob", "file"].map((service) => ({
      changes: [],
      proven: {
        copySource: {
          url: `https://stsource01.${service}.core.windows.net/share-a/dir/report.csv?sv=2022-11-02&sp=r&sip=10.0.0.1&sig=REDACTED`,
          problem: "copy-source-sas-ip-bound",
          title: "The copy source's SAS is bound to an IP range Storage does not read from",
        },
      },
    })),
  ];
  const out: Remedy[] = [];
  for (const t of templates)
    for (const entry of ALL_CODE_ENTRIES)
      for (const rule of entry.rules) {
        const auths = rule.authTypes === "*" ? ["AccountKey", "SAS", "OAuth", "Anonymous"] : rule.authTypes;
        for (const authType of auths)
          for (const ctx of contexts)
            out.push(buildRemedy({ ...t, errorCode: entry.code, decision: rule.decision, authType }, ctx));
      }
  return out;
}

function captureRemedies(): Remedy[] {
  const out: Remedy[] = [];
  for (const dir of [join("test", "doctor", "captures"), join("test", "doctor", "captures", "transcripts")]) {
    for (const f of readdirSync(dir).filter((f) => /\.(json|txt|har)$/.test(f) && f !== "index.json")) {
      try {
        const result = explainCapture(readFileSync(join(dir, f), "utf8"), undefined, {
          sharedKeyDiff: sharedKeyDiffFindings,
        });
        for (const r of result.requests) {
          const remedy = "report" in r ? remedyForDoctorReport(r.report) : undefined;
          if (remedy) out.push(remedy);
        }
      } catch {
        // Captures the doctor refuses are tested elsewhere; they print no remedy.
      }
    }
  }
  return out;
}

/** A directory holding only `date` and `mktemp`, the programs a checked line may start. */
function onlyDate(scratch: string): string {
  const bin = join(scratch, "bin");
  if (!existsSync(bin)) {
    mkdirSync(bin);
    for (const tool of ["date", "mktemp"]) {
      const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
      symlinkSync(found, join(bin, tool));
    }
  }
  return bin;
}

/**
 * The az invocations of a shell command line, as bash passes them (placeholders made plain words). Each
 * call records its arguments in a file of its own: the two sides of a pipe run at once.
 */
function azInvocations(commandLine: string, scratch: string): string[][] {
  const dir = mkdtempSync(join(scratch, "line-"));
  const run = spawnSync(
    "bash",
    [
      "-c",
      // Only bash's builtins, `date` (a SAS expiry) and the recorder run: no other program a line names
      // (azurite, sha256sum, nslookup…) is on PATH, so none is started.
      `PATH="$ONLY_DATE"; az() { printf '%s\\0' "$@" > "$(mktemp "$RECORDS/argv.XXXXXX")"; echo placeholder-output; }; eval "$LINE" 2>/dev/null`,
    ],
    {
      env: {
        ...process.env,
        ONLY_DATE: onlyDate(scratch),
        RECORDS: dir,
        LINE: commandLine.replace(/<([a-z0-9.-]+)>/g, "placeholder-$1"),
      },
      input: "",
      encoding: "utf8",
    },
  );
  expect(run.error).toBeUndefined();
  // A line that runs no az (w32tm, nslookup, a sha256sum pipe) records nothing.
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8").split("\0").slice(0, -1));
}

describe("the az commands remedies print", () => {
  it("all parse with the Azure CLI", async () => {
    const incidents = await storyIncidents();
    const fromCaptures = captureRemedies();
    expect(fromCaptures.length).toBeGreaterThan(50);
    const remedies = [...incidents.map((i) => i.remedy!), ...tableRemedies(incidents), ...fromCaptures];
    const lines = new Set(remedies.flatMap((r) => r.commands.map((c) => c.command)));
    const scratch = mkdtempSync(join(tmpdir(), "az-parse-"));
    const argvs = new Map<string, string[]>();
    try {
      for (const line of lines)
        for (const argv of azInvocations(line, scratch))
          if (!UNLOADABLE_GROUPS.has(argv[0]!)) argvs.set(JSON.stringify(argv), argv);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // The kinds of command the remedies use, so the check cannot pass on an empty set.
    const groups = new Set([...argvs.values()].map((a) => a.slice(0, 3).join(" ")));
    for (const g of [
      "role assignment create",
      "storage account update",
      "storage account network-rule",
      "storage blob generate-sas",
      "storage cors add",
    ])
      expect(groups).toContain(g);
    const config = mkdtempSync(join(tmpdir(), "az-config-"));
    try {
      const run = spawnSync(DEBIAN_PYTHON, [join("test", "support", "az-parse.py")], {
        input: JSON.stringify([...argvs.values()]),
        encoding: "utf8",
        timeout: 300_000,
        env: { ...process.env, AZURE_CONFIG_DIR: config, AZURE_CORE_COLLECT_TELEMETRY: "false" },
      });
      expect(run.error, run.stderr).toBeUndefined();
      const results = run.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { argv: string[]; parsed: boolean; error: string });
      expect(results.length).toBe(argvs.size);
      const refused = results.filter((r) => !r.parsed).map((r) => `az ${r.argv.join(" ")}: ${r.error}`);
      expect(refused).toEqual([]);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  }, 600_000);
});
