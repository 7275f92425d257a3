import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  activityEventsToArchiveJsonLines,
  activityEventsToCsv,
  activityEventsToLogAnalyticsJsonArray,
  activityEventsToPowerShellJson,
  activityEventsToRestApiJsonArray,
  storageRequestsToArchiveJsonLines,
  storageRequestsToCsv,
  storageRequestsToLogAnalyticsJsonArray,
  storageRequestsToLogsApiJson,
  storageRequestsToNdjson,
  storageRequestsToRecordsEnvelopes,
  writeArchiveTree,
} from "../sim/forms.js";
import { generateAll, type ScenarioData } from "../sim/scenarios.js";
import { analyzeJson } from "../support/analyze-json.js";
import { expectMatchesTruth } from "./truth.js";

/**
 * The simulator's rows written in every input form, read back by the real readers through the real CLI
 * (in-process main()), must give exactly the scenarios' ground truth.
 */
const data: ScenarioData = generateAll({ seed: 21 });
let dir: string;

type Writer = (root: string) => Promise<void>;

const STORAGE_FORMS: Record<string, Writer> = {
  "Log Analytics JSON array (az / portal)": (root) =>
    writeFile(join(root, "StorageBlobLogs.json"), storageRequestsToLogAnalyticsJsonArray(data.requests)),
  "Log Analytics JSON array with native types": (root) =>
    writeFile(
      join(root, "export.json"),
      storageRequestsToLogAnalyticsJsonArray(data.requests, {
        nativeTypes: true,
        omitType: true,
        pretty: false,
      }),
    ),
  NDJSON: (root) => writeFile(join(root, "rows.ndjson"), storageRequestsToNdjson(data.requests)),
  CSV: (root) => writeFile(join(root, "rows.csv"), storageRequestsToCsv(data.requests)),
  "CSV (portal export)": (root) =>
    writeFile(join(root, "portal.csv"), storageRequestsToCsv(data.requests, { portal: true })),
  "Logs API response": (root) =>
    writeFile(join(root, "logs-api.json"), storageRequestsToLogsApiJson(data.requests)),
  "archive tree (insights-logs-*/resourceId=…/PT1H.json)": async (root) => {
    await writeArchiveTree(data.requests, root);
  },
  "archive JSON Lines, one file": (root) =>
    writeFile(join(root, "PT1H.json"), storageRequestsToArchiveJsonLines(data.requests)),
  'Event Hubs bodies ({"records": [...]} per line)': (root) =>
    writeFile(join(root, "eventhub.json"), storageRequestsToRecordsEnvelopes(data.requests, 50)),
};

const ACTIVITY_FORMS: Record<string, (root: string) => Promise<void>> = {
  "LA JSON": (root) =>
    writeFile(join(root, "AzureActivity.json"), activityEventsToLogAnalyticsJsonArray(data.activity)),
  CSV: (root) => writeFile(join(root, "AzureActivity.csv"), activityEventsToCsv(data.activity)),
  archive: (root) => writeFile(join(root, "PT1H.json"), activityEventsToArchiveJsonLines(data.activity)),
  "az monitor activity-log list": (root) =>
    writeFile(join(root, "activity.json"), activityEventsToRestApiJsonArray(data.activity)),
  "Get-AzActivityLog | ConvertTo-Json (PowerShell 7)": (root) =>
    writeFile(join(root, "activity.json"), activityEventsToPowerShellJson(data.activity)),
  "Get-AzActivityLog | ConvertTo-Json > file (Windows PowerShell 5.1, UTF-16)": (root) =>
    writeFile(
      join(root, "activity.json"),
      activityEventsToPowerShellJson(data.activity, { windowsPowerShell: true }),
    ),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "engine-forms-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("every input form through the real CLI gives the ground truth", () => {
  const activityNames = Object.keys(ACTIVITY_FORMS);
  Object.entries(STORAGE_FORMS).forEach(([name, write], k) => {
    const activityForm = activityNames[k % activityNames.length]!;
    it(`${name} (+ activity as ${activityForm})`, async () => {
      const logs = join(dir, `logs-${k}`);
      const activity = join(dir, `activity-${k}`);
      await mkdir(logs, { recursive: true });
      await mkdir(activity, { recursive: true });
      await write(logs);
      await ACTIVITY_FORMS[activityForm]!(activity);
      const { code, result, stderr } = await analyzeJson(["--logs", logs, "--activity", activity]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(result.input.rejected).toBe(0);
      expect(result.input.activityEvents).toBe(data.activity.length);
      expectMatchesTruth(result, data);
    });
  });
});
