/**
 * Regenerates samples/: a small GENERATED data set (simulated, not real customer logs) that the README's
 * run command and docs/cli.md analyse. Run: npm run samples. Deterministic: the same code writes the same
 * bytes, so a diff in samples/ after a run means the simulator or the writers changed.
 */
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { ActivityEvent } from "../src/model/activity.js";
import type { StorageRequest } from "../src/model/storage-request.js";
import {
  activityEventsToLogAnalyticsJsonArray,
  storageRequestsToCsv,
  writeArchiveTree,
} from "../test/sim/forms.js";
import { SAMPLE_SET } from "../test/sim/sample-set.js";
import { generateScenario, type ScenarioData } from "../test/sim/scenarios.js";

const ROOT = resolve(import.meta.dirname, "../..");
const OUT = join(ROOT, "samples");
const SEED = SAMPLE_SET.seed;
const START = SAMPLE_SET.start;
const MAX_BYTES = 2 * 1024 * 1024;
const ARCHIVE_SCENARIOS: readonly string[] = SAMPLE_SET.archive;
const EXPORT_SCENARIOS: readonly string[] = SAMPLE_SET.export;

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function collect(names: readonly string[]): {
  requests: StorageRequest[];
  activity: ActivityEvent[];
  parts: ScenarioData[];
} {
  const parts = names.map((n) => generateScenario(n, { seed: SEED, start: START }));
  return {
    parts,
    requests: parts.flatMap((p) => p.requests).sort((a, b) => a.timeMs - b.timeMs),
    activity: parts.flatMap((p) => p.activity).sort((a, b) => a.timeMs - b.timeMs),
  };
}

function readme(all: ScenarioData[]): string {
  const rows = all.reduce((n, p) => n + p.truth.rows, 0);
  const lines = [
    "# Sample data (GENERATED)",
    "",
    "Everything in this folder is **generated** by the scenario simulator (`test/sim/scenarios.ts`) through",
    "the input-form writers (`test/sim/forms.ts`), by `npm run samples` (`scripts/make-samples.ts`, seed",
    `${SEED}). It is simulated data: no real account, key, token, address or person. Do not edit it by hand;`,
    "re-run the script.",
    "",
    `${rows} Storage log rows over one hour (${START}), with AzureActivity changes:`,
    "",
    "- `logs/archive/`: a downloaded diagnostic-setting archive (`insights-logs-storageread|storagewrite|storagedelete/resourceId=…/y=…/m=…/d=…/h=…/m=00/PT1H.json`, JSON Lines)",
    "- `logs/log-analytics/StorageLogs.csv`: a Log Analytics export of StorageBlobLogs/StorageQueueLogs rows (CSV with a header row)",
    "- `activity/AzureActivity.json`: a Log Analytics export of AzureActivity (JSON array)",
    "",
    "Analyse it: `npm run --silent cli -- analyze --logs samples/logs --activity samples/activity`",
    "",
    "| scenario | where | what happened | expected incidents (verdict) |",
    "| --- | --- | --- | --- |",
  ];
  for (const p of all) {
    const where = ARCHIVE_SCENARIOS.includes(p.name) ? "archive" : "LA export";
    const incidents = p.truth.incidents
      .map(
        (i) =>
          `${i.challenge.account} ${i.challenge.statusCode} ${i.challenge.errorCode} ${i.challenge.authType} (${i.decision})`,
      )
      .join("; ");
    lines.push(`| ${p.name} | ${where} | ${p.title} | ${incidents} |`);
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  await rm(OUT, { recursive: true, force: true });
  const archive = collect(ARCHIVE_SCENARIOS);
  const exported = collect(EXPORT_SCENARIOS);
  await writeArchiveTree(archive.requests, join(OUT, "logs/archive"));
  await mkdir(join(OUT, "logs/log-analytics"), { recursive: true });
  await writeFile(join(OUT, "logs/log-analytics/StorageLogs.csv"), storageRequestsToCsv(exported.requests));
  await mkdir(join(OUT, "activity"), { recursive: true });
  const activity = [...archive.activity, ...exported.activity].sort((a, b) => a.timeMs - b.timeMs);
  await writeFile(join(OUT, "activity/AzureActivity.json"), activityEventsToLogAnalyticsJsonArray(activity));
  await writeFile(join(OUT, "README.md"), readme([...archive.parts, ...exported.parts]));
  const bytes = await sizeOf(OUT);
  if (bytes > MAX_BYTES) throw new Error(`samples/ is ${bytes} bytes, over the ${MAX_BYTES}-byte budget`);
  process.stdout.write(`wrote ${relative(ROOT, OUT)}/ (${(bytes / 1024).toFixed(0)} KiB)\n`);
}

await main();
