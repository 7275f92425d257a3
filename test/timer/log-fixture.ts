import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Generated Storage logs (Log Analytics NDJSON rows, as exported) and AzureActivity rows for timer tests:
 * failures of a few challenges over given minutes, plus successful background traffic.
 */
export interface ChallengeRows {
  account: string;
  statusCode: number;
  statusText: string;
  authType: string;
  operation?: string;
  /** [minute start ms, failures] */
  perMinute: Array<[number, number]>;
  ip?: string;
  userAgent?: string;
}

export async function writeLogFixture(
  challenges: ChallengeRows[],
  activity: object[] = [],
): Promise<{ dir: string; logs: string; activity: string }> {
  const dir = await mkdtemp(join(tmpdir(), "triage-logs-"));
  const rows: string[] = [];
  for (const c of challenges) {
    for (const [minute, n] of c.perMinute) {
      for (let k = 0; k < n; k++) {
        rows.push(
          JSON.stringify({
            TimeGenerated: new Date(minute + Math.floor(((k + 0.5) / n) * 60_000)).toISOString(),
            AccountName: c.account,
            OperationName: c.operation ?? "PutBlob",
            StatusCode: c.statusCode,
            StatusText: c.statusText,
            AuthenticationType: c.authType,
            AuthenticationHash: c.authType === "AccountKey" ? "key1(ABCDEF0123456789)" : "",
            CallerIpAddress: `${c.ip ?? "10.1.2.3"}:5${String(k).padStart(4, "0")}`,
            UserAgentHeader: c.userAgent ?? "azsdk-js-storage-blob/12.26.0 (NODE-VERSION v22.11.0; Linux)",
            OperationVersion: "2025-01-05",
            Uri: `https://${c.account}.blob.core.windows.net/data/report-${k}.csv?sv=2025-01-05&sig=SECRETSIGVALUE`,
            ObjectKey: `/${c.account}/data/report-${k}.csv`,
            Type: "StorageBlobLogs",
          }),
        );
        // Background success from another caller.
        rows.push(
          JSON.stringify({
            TimeGenerated: new Date(minute + 1_000).toISOString(),
            AccountName: c.account,
            OperationName: "GetBlob",
            StatusCode: 200,
            StatusText: "Success",
            AuthenticationType: "OAuth",
            CallerIpAddress: "10.9.9.9:443",
            Type: "StorageBlobLogs",
          }),
        );
      }
    }
  }
  const logs = join(dir, "storage.ndjson");
  await writeFile(logs, rows.join("\n") + "\n");
  const act = join(dir, "activity.ndjson");
  await writeFile(act, activity.map((a) => JSON.stringify(a)).join("\n") + (activity.length ? "\n" : ""));
  return { dir, logs, activity: act };
}

export function minuteSeries(startMs: number, counts: number[]): Array<[number, number]> {
  const base = Math.floor(startMs / 60_000) * 60_000;
  return counts.map((n, k) => [base + k * 60_000, n] as [number, number]);
}
