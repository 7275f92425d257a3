import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { readStorageRequestBatches } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { handleGetIncident, handleListIncidents } from "../../src/dashboard/api.js";
import { parseRequestCapture, parseResponseCapture } from "../../src/doctor/capture.js";
import { diagnose } from "../../src/doctor/doctor.js";
import { renderDoctorJson, renderDoctorText } from "../../src/doctor/render.js";
import { analyze } from "../../src/engine/analyze.js";
import { renderReport } from "../../src/report/index.js";
import { MemoryTriageStore } from "../../src/state/memory.js";
import { runTimerInvocation } from "../../src/timer/runtime.js";
import { startReceiver, type Receiver } from "./receiver.js";

/**
 * The redaction boundary, end to end: generated credentials (in every shape real logs carry them, also
 * percent-encoded inside a query value) and raw control characters are put into every text field of
 * simulated Storage log records; then every channel that leaves the process is grepped: reports (text,
 * markdown, json), the Teams card and the webhook payload as received over HTTP, the stored state
 * (incidents, notifications), the run log and the dashboard API. `explain` gets the same credentials in
 * a captured request and response.
 */

const alnum = fc
  .string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
    minLength: 24,
    maxLength: 40,
  })
  // A canary must be findable as itself: never a prefix of the words around it.
  .map((s) => `Q${s}`);

/** Credential shapes, each hiding a canary (the part that must never leave). */
const SHAPES: Array<{ name: string; wrap: (canary: string) => string }> = [
  { name: "SharedKey signature", wrap: (c) => `SharedKey stcontoso01:${c}+/8=` },
  { name: "SharedKeyLite signature", wrap: (c) => `SharedKeyLite stcontoso01:${c}=` },
  { name: "bearer JWT", wrap: (c) => `Bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ${c}.c2lnbmF0dXJl${c}` },
  { name: "bare JWT", wrap: (c) => `eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.${c}` },
  // base64url: `_` and `-`, which Markdown escaping would split if it came before redaction.
  { name: "JWT with base64url punctuation", wrap: (c) => `eyJ0eXAi_OiJKV1Qi-fQ.eyJzdWIi_OiJ4In0.a_${c}` },
  { name: "opaque bearer token", wrap: (c) => `Bearer ${c}.opaque-token_x~` },
  {
    name: "connection string",
    wrap: (c) =>
      `DefaultEndpointsProtocol=https;AccountName=stcontoso01;AccountKey=${c}==;EndpointSuffix=core.windows.net`,
  },
  {
    name: "echoed MAC",
    wrap: (c) =>
      `The MAC signature found in the HTTP request '${c}=' is not the same as any computed signature.`,
  },
  {
    name: "SAS sig",
    wrap: (c) => `https://stcontoso01.blob.core.windows.net/c/b?sv=2025-01-05&sp=r&sig=${c}%3D`,
  },
  {
    name: "SAS Sig (case)",
    wrap: (c) => `https://stcontoso01.blob.core.windows.net/c/b?sv=2025-01-05&Sig=${c}`,
  },
  {
    name: "encoded SAS in a query value",
    wrap: (c) =>
      `https://app.contoso.com/cb?next=https%3A%2F%2Fst.blob.core.windows.net%2Fc%3Fsv%3D2025-01-05%26sig%3D${c}%253D%26se%3D2026`,
  },
  { name: "double-encoded SAS", wrap: (c) => `/redirect?u=x%253Fsv%253D1%2526sig%253D${c}%2526sp%253Dr` },
  { name: "encoded SAS, lower-case escapes", wrap: (c) => `q=a%26SIG%3d${c}%26b%3D1` },
  // A Storage account key alone: 64 bytes in base64, 86 characters and `==`.
  { name: "bare account key", wrap: (c) => `${c}${"A".repeat(86 - c.length)}==` },
  { name: "percent-encoded bare key", wrap: (c) => `${c}%2B${"A".repeat(85 - c.length)}%3D%3D` },
  { name: "client secret as name=value", wrap: (c) => `client_secret=${c}` },
  {
    name: "Service Bus connection string",
    wrap: (c) => `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${c}=`,
  },
  { name: "Slack webhook", wrap: (c) => `https://hooks.slack.com/services/T0AB/B0CD/${c}` },
  { name: "Discord webhook", wrap: (c) => `https://discord.com/api/webhooks/1234/${c}` },
  { name: "function key header", wrap: (c) => `x-functions-key: ${c}` },
  { name: "token as name=value", wrap: (c) => `token=${c}` },
  {
    name: "SAS sig with a JSON-escaped =",
    wrap: (c) => `https://stcontoso01.blob.core.windows.net/c/b?sig\\u003d${c}`,
  },
  { name: "HTTP Basic credentials", wrap: (c) => `Proxy-Authorization: Basic ${c}==` },
  { name: "GitHub token", wrap: (c) => `ghp_${c.padEnd(36, "0")}` },
  { name: "Entra client secret", wrap: (c) => `aBc8Q~${c.padEnd(31, "x")}` },
  { name: "proxy password in a URL", wrap: (c) => `http://svc-proxy:${c}@10.0.0.1:3128` },
  {
    name: "PEM private key",
    wrap: (c) => `-----BEGIN PRIVATE KEY-----\nMIIEv${c}\n-----END PRIVATE KEY-----`,
  },
  {
    name: "App Configuration connection string",
    wrap: (c) => `Endpoint=https://appcs.azconfig.io;Id=ab12;Secret=${c}=`,
  },
];

/** Real user agents around the secret (from the samples: .NET, JS, Python, Go SDKs). */
const AROUND = [
  ["azsdk-net-Storage.Blobs/12.22.2 (.NET 8.0.10; Microsoft Windows 10.0.20348) ", ""],
  ["azsdk-js-storage-blob/12.25.0 core-rest-pipeline/1.16.3 Node/22.11.0 OS/(x64-Linux) ", " extra"],
  ["", " Azure-Storage/2.1.0-2.1.0 (Python CPython 3.11.8; Linux 5.15.0) AZURECLI/2.65.0"],
  ["AzCopy/10.27.1 azsdk-go-azblob/v1.4.0 (go1.22.5; linux) ", ""],
] as const;

const CONTROL = ["\u0000", "\u001b[31m", "\r\n", "\u0007", "\u007f", "\u009b", "\u2028"];

/** Text fields of a Log Analytics storage row that reach an incident, a card or a report. */
const FIELDS = [
  "UserAgentHeader",
  "Uri",
  "ObjectKey",
  "RequesterUpn",
  "RequesterObjectId",
  "CallerIpAddress",
  "OperationVersion",
  "AuthenticationHash",
] as const;

interface Planted {
  field: (typeof FIELDS)[number];
  shape: number;
  canary: string;
  around: number;
  control: number;
}

const planted = fc.record({
  field: fc.constantFrom(...FIELDS),
  shape: fc.nat({ max: SHAPES.length - 1 }),
  canary: alnum,
  around: fc.nat({ max: AROUND.length - 1 }),
  control: fc.nat({ max: CONTROL.length - 1 }),
});

function plantedValue(p: Planted): string {
  const [before, after] = AROUND[p.around]!;
  return `${before}${SHAPES[p.shape]!.wrap(p.canary)}${CONTROL[p.control]}${after}`;
}

const END = Date.parse("2026-11-22T10:00:00Z");

/** Six failures of one challenge (enough to open an incident), every row carrying the plants. */
function rows(plants: Planted[]): string {
  const out: string[] = [];
  for (let k = 0; k < 6; k++) {
    const row: Record<string, unknown> = {
      TimeGenerated: new Date(END - (6 - k) * 60_000).toISOString(),
      AccountName: "stcontoso01",
      OperationName: "GetBlob",
      StatusCode: 403,
      StatusText: "AuthenticationFailed",
      AuthenticationType: "AccountKey",
      AuthenticationHash: "key1(ABCDEF0123456789)",
      CallerIpAddress: "10.1.2.3:50000",
      UserAgentHeader: "azsdk-js-storage-blob/12.26.0",
      OperationVersion: "2025-01-05",
      Uri: "https://stcontoso01.blob.core.windows.net/c/b.csv",
      ObjectKey: "/stcontoso01/c/b.csv",
      Type: "StorageBlobLogs",
    };
    for (const p of plants) row[p.field] = `${row[p.field] ?? ""} ${plantedValue(p)}`;
    out.push(JSON.stringify(row));
  }
  return out.join("\n") + "\n";
}

// eslint-disable-next-line no-control-regex -- finding raw control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/** Every string in a JSON value (keys included). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      strings(x, out);
    }
  return out;
}

function expectClean(channel: string, text: string, plants: Planted[], jsonStrings?: string[]): void {
  for (const p of plants) {
    expect(text, `${channel}: ${SHAPES[p.shape]!.name} in ${p.field}`).not.toContain(p.canary);
  }
  for (const s of jsonStrings ?? [text.replace(/\n/g, "")]) {
    expect(
      RAW_CONTROL.test(s),
      `${channel}: raw control character in ${JSON.stringify(s).slice(0, 200)}`,
    ).toBe(false);
  }
}

let dir: string;
let teams: Receiver;
let hook: Receiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "triage-redact-"));
  teams = await startReceiver(0, "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=TRIGGERSIG");
  hook = await startReceiver(0, "/hook?code=HOOKCODE");
});

afterAll(async () => {
  await teams?.close();
  await hook?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the redaction boundary", () => {
  it("the generated records really carry the secrets into the engine (the test can fail)", async () => {
    const p: Planted = {
      field: "UserAgentHeader",
      shape: 0,
      canary: "QcanaryCanary0123456789xyz",
      around: 0,
      control: 0,
    };
    const file = join(dir, "probe.ndjson");
    await writeFile(file, rows([p]));
    const rejections = new RejectionCollector();
    let seen = "";
    for await (const batch of readStorageRequestBatches([file], { rejections }))
      seen += JSON.stringify(batch);
    expect(seen).toContain(p.canary);
    expect(rejections.count).toBe(0);
  });

  it("no credential or raw control character reaches any channel", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(planted, { minLength: 1, maxLength: 4 }), async (plants) => {
        const file = join(dir, `logs-${run++}.ndjson`);
        await writeFile(file, rows(plants));
        const clock = fixedClock(new Date(END + 60_000));

        // Reports.
        const rejections = new RejectionCollector();
        const result = await analyze({
          requests: readStorageRequestBatches([file], { rejections }),
          activity: [],
          clock,
          rejections,
        });
        expect(result.incidents.length).toBeGreaterThan(0);
        for (const format of ["text", "markdown"] as const) {
          expectClean(`report ${format}`, renderReport(result, format), plants);
        }
        const json = renderReport(result, "json");
        expectClean("report json", json, plants, strings(JSON.parse(json)));

        // One timer run: cards and payloads over HTTP, the state, the run log, the dashboard API.
        const store = new MemoryTriageStore();
        const logs: string[] = [];
        teams.received.length = 0;
        hook.received.length = 0;
        const report = await runTimerInvocation({
          env: {
            TRIAGE_LOGS: file,
            TRIAGE_TEAMS_WEBHOOK_URL: teams.url,
            TRIAGE_WEBHOOK_URL: hook.url,
            TRIAGE_STATE: "memory",
            TRIAGE_DASHBOARD_URL: "http://127.0.0.1:8080/dashboard",
          },
          clock,
          isPastDue: false,
          log: (level, m) => logs.push(`${level}: ${m}`),
          overrides: { store, retry: { sleep: async () => {}, random: () => 0.5 } },
        });
        expect(report.notifications.sent).toBeGreaterThan(0);
        for (const r of [...teams.received, ...hook.received]) {
          expectClean("webhook body", JSON.stringify(r.body), plants, strings(r.body));
        }
        expect(teams.received.length + hook.received.length).toBeGreaterThan(0);
        const state = {
          incidents: await store.listIncidentStates(),
          outbox: await store.listOutbox({}),
        };
        expectClean("stored state", JSON.stringify(state), plants, strings(state));
        expectClean("run log", logs.join("\n"), plants);
        const list = await handleListIncidents(store, new URLSearchParams());
        expectClean("dashboard list", String(list.body), plants, strings(JSON.parse(String(list.body))));
        for (const s of state.incidents) {
          const one = await handleGetIncident(store, s.record.incident.id);
          expect(one.status).toBe(200);
          expectClean("dashboard detail", String(one.body), plants, strings(JSON.parse(String(one.body))));
        }
      }),
      { numRuns: 12, seed: 12 },
    );
  });

  it("explain redacts the same credentials in a captured request and response", () => {
    fc.assert(
      fc.property(fc.array(planted, { minLength: 1, maxLength: 3 }), (plants) => {
        const values = plants.map((p) => plantedValue(p).replace(/[\r\n]/g, " "));
        const request = [
          `GET /c/b.csv?sv=2025-01-05&sp=r&${plants.map((p) => `sig=${p.canary}`).join("&")} HTTP/1.1`,
          "Host: stcontoso01.blob.core.windows.net",
          "x-ms-date: Sun, 22 Nov 2026 10:00:00 GMT",
          "x-ms-version: 2025-01-05",
          `Authorization: ${SHAPES[plants[0]!.shape]!.name.startsWith("SharedKey") ? SHAPES[plants[0]!.shape]!.wrap(plants[0]!.canary) : `SharedKey stcontoso01:${plants[0]!.canary}=`}`,
          ...values.map((v, i) => `x-ms-meta-note${i}: ${v}`),
          `User-Agent: ${values[0]}`,
          "",
          "",
        ].join("\r\n");
        const response = [
          "HTTP/1.1 403 Server failed to authenticate the request.",
          "x-ms-error-code: AuthenticationFailed",
          "",
          `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request '${plants[0]!.canary}=' is not the same as any computed signature. ${values.join(" ")}</AuthenticationErrorDetail></Error>`,
        ].join("\r\n");
        const report = diagnose(
          parseRequestCapture(request, "request"),
          parseResponseCapture(response, "response"),
        );
        expectClean("explain text", renderDoctorText(report), plants);
        const json = renderDoctorJson(report);
        expectClean("explain json", json, plants, strings(JSON.parse(json)));
      }),
      { numRuns: 40, seed: 12 },
    );
  });
});
