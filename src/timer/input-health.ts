/**
 * Does the timer have the data it needs? Each cycle checks what its source read and names every input
 * that came back empty, with the reason it matters and how to fix it: no Storage log rows at all (the
 * diagnostic settings send nothing), failures but no AzureActivity rows (root causes are off), a listed
 * account with no logs at all. The problems go to telemetry, the dashboard header and the next card; an
 * empty input is never silent.
 */
export type InputName = "storage-logs" | "activity-log" | `account:${string}`;

export interface InputProblem {
  input: InputName;
  /** What is empty and what that costs, in one sentence. */
  problem: string;
  /** How to fix it. */
  fix: string;
}

export interface InputHealth {
  /** When the check ran (the cycle's clock). */
  checkedAt: string;
  /** Empty inputs, in a fixed order; empty when every input has data. */
  problems: InputProblem[];
}

/** What a source read, as far as it can tell (fields it cannot tell are left out and not checked). */
export interface InputCounts {
  /** Storage log rows read (any status). */
  storageRows: number;
  /** 401/403 rows among them. */
  failures: number;
  /** AzureActivity events found for root-cause analysis. */
  activityEvents?: number;
  /** Storage accounts (lower-case names) with at least one row; capped by the source. */
  accountsWithRows?: readonly string[];
}

export interface InputExpectations {
  /** Storage account names whose logs the deployment switched on (TRIAGE_EXPECTED_ACCOUNTS). */
  expectedAccounts: readonly string[];
  /** Where the logs are read from, for the messages (e.g. "Log Analytics (2 workspace(s))"). */
  sourceDescription: string;
}

/** At most this many accounts are named one by one; the rest are counted in one problem. */
export const MAX_NAMED_ACCOUNTS = 10;

export function checkInputs(counts: InputCounts, expect: InputExpectations, now: Date): InputHealth {
  const problems: InputProblem[] = [];
  if (counts.storageRows === 0) {
    problems.push({
      input: "storage-logs",
      problem: `no Storage log rows in this window from ${expect.sourceDescription}: no failure can be detected`,
      fix:
        "switch on the storage accounts' resource logs (StorageRead/Write/Delete) to this destination: list them in " +
        "AUTHTRIAGE_STORAGE_ACCOUNT_IDS (diagnosticStorageAccounts) and redeploy, or add diagnostic settings by hand",
    });
  } else if (counts.failures > 0 && counts.activityEvents === 0) {
    problems.push({
      input: "activity-log",
      problem:
        "no AzureActivity rows around the failures: root causes are off (key regenerations, role assignments and " +
        "network changes cannot be found)",
      fix:
        "export the subscription Activity Log to the workspace the app reads (exportActivityLog, on by default; or " +
        "Monitor > Activity log > Export Activity Logs), and give the app Log Analytics Reader on that workspace",
    });
  }
  if (counts.accountsWithRows && counts.storageRows > 0) {
    const seen = new Set(counts.accountsWithRows.map((a) => a.toLowerCase()));
    const silent = [...new Set(expect.expectedAccounts.map((a) => a.toLowerCase()))]
      .filter((a) => !seen.has(a))
      .sort();
    for (const account of silent.slice(0, MAX_NAMED_ACCOUNTS)) {
      problems.push({
        input: `account:${account}`,
        problem: `storage account ${account} sent no logs at all in this window`,
        fix: `check the diagnostic setting 'storage-auth-triage' on ${account}'s blob/queue/table/file services and that it targets the workspace the app reads`,
      });
    }
    if (silent.length > MAX_NAMED_ACCOUNTS) {
      problems.push({
        input: "account:*",
        problem: `${silent.length - MAX_NAMED_ACCOUNTS} more listed storage accounts sent no logs at all`,
        fix: "check their diagnostic settings as above",
      });
    }
  }
  return { checkedAt: now.toISOString(), problems };
}

/** One line for the run log and the dashboard header: "inputs ok" or what is empty. */
export function describeInputHealth(health: InputHealth): string {
  if (health.problems.length === 0) return "inputs ok: Storage logs present";
  return `empty inputs: ${health.problems.map((p) => `${p.problem}; fix: ${p.fix}`).join(" | ")}`;
}

/** Where the last run's check is kept (a named value in the timer's store), for the dashboard header. */
export const INPUT_HEALTH_KEY = "input-health";

interface NamedValues {
  getWatermark(name: string): Promise<{ value: string } | undefined>;
  putWatermark(name: string, value: string): Promise<string>;
}

/** Keeps the latest check; the last writer wins (overlapping runs check the same inputs). */
export async function saveInputHealth(store: NamedValues, health: InputHealth): Promise<void> {
  await store.putWatermark(INPUT_HEALTH_KEY, JSON.stringify(health));
}

/** The latest check, when the reader is the timer's store and a run has saved one; never throws. */
export async function readInputHealth(reader: object): Promise<InputHealth | undefined> {
  const store = reader as Partial<NamedValues>;
  if (typeof store.getWatermark !== "function") return undefined;
  try {
    const saved = await store.getWatermark(INPUT_HEALTH_KEY);
    if (!saved) return undefined;
    const parsed = JSON.parse(saved.value) as InputHealth;
    return typeof parsed.checkedAt === "string" && Array.isArray(parsed.problems) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
