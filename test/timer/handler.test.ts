import { rm } from "node:fs/promises";
import { InvocationContext, type Timer } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { openTableTriageStore } from "../../src/state/table.js";
import { triageTimerHandler } from "../../src/timer/handler.js";
import { expectValidTeamsMessage } from "./card-validation.js";
import { minuteSeries, writeLogFixture } from "./log-fixture.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { webhookPayloadSchema } from "../../src/notify/webhook-payload.js";

/**
 * The Azure Functions timer handler itself, invoked the way the worker does (test mode, InvocationContext),
 * with app settings in process.env: local log files through the real engine, state in Azurite, cards to a
 * local HTTP receiver.
 */
let azurite: AzuriteInstance;
let teams: Receiver;
let hook: Receiver;
let fixtureDir: string;
const logLines: string[] = [];
const saved = { ...process.env };

function timer(isPastDue = false): Timer {
  const now = new Date().toISOString();
  return {
    isPastDue,
    schedule: { adjustForDST: false },
    scheduleStatus: { last: now, next: now, lastUpdated: now },
  };
}

function context(id: string): InvocationContext {
  return new InvocationContext({
    invocationId: id,
    functionName: "triageTimer",
    logHandler: (level, ...args) => logLines.push(`${level}: ${args.join(" ")}`),
  });
}

beforeAll(async () => {
  azurite = await startAzurite();
  teams = await startReceiver(
    0,
    "/workflows/t1/triggers/manual/paths/invoke?api-version=1&sig=HANDLERSECRET",
  );
  hook = await startReceiver(0, "/hook");
  const start = Date.now() - 8 * 60_000;
  const fixture = await writeLogFixture([
    {
      account: "contosodata",
      statusCode: 403,
      statusText: "AuthenticationFailed",
      authType: "AccountKey",
      perMinute: minuteSeries(start, [3, 3, 3, 3]),
    },
    {
      account: "contosodata",
      statusCode: 403,
      statusText: "AuthorizationPermissionMismatch",
      authType: "OAuth",
      operation: "GetBlob",
      perMinute: minuteSeries(start, [0, 4, 4]),
    },
    {
      account: "quietacct",
      statusCode: 403,
      statusText: "AuthenticationFailed",
      authType: "SAS",
      perMinute: minuteSeries(start, [1]),
    },
  ]);
  fixtureDir = fixture.dir;
  Object.assign(process.env, {
    TRIAGE_LOGS: fixture.logs,
    TRIAGE_ACTIVITY: fixture.activity,
    TRIAGE_TEAMS_WEBHOOK_URL: teams.url,
    TRIAGE_WEBHOOK_URL: hook.url,
    TRIAGE_STATE_CONNECTION_STRING: azurite.connectionString,
    TRIAGE_STATE_TABLE_PREFIX: "handler",
    TRIAGE_DASHBOARD_URL: "http://127.0.0.1:7071/api/dashboard",
  });
});

afterAll(async () => {
  process.env = saved;
  await teams?.close();
  await hook?.close();
  await azurite?.stop();
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
});

describe("triageTimer handler (Functions test mode)", () => {
  it("registers a timer named exactly triageTimer", async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...a: unknown[]) => warnings.push(a.join(" "));
    try {
      await import("../../functions/timer.js");
    } finally {
      console.warn = original;
    }
    expect(warnings.join("\n")).toContain('register function "triageTimer"');
  });

  it("runs a cycle: two incidents above the threshold, valid cards, state in Table storage", async () => {
    const report = await triageTimerHandler(timer(), context("inv-1"));
    expect(report.incidents.opened).toBe(2);
    expect(report.notifications).toMatchObject({ decided: 4, sent: 4, failed: 0, pending: 0 });
    expect(teams.received).toHaveLength(2);
    for (const r of teams.received) expectValidTeamsMessage(r.body);
    const payloads = hook.received.map((r) => webhookPayloadSchema.parse(r.body));
    expect(payloads.map((p) => p.incident.errorCode).sort()).toEqual([
      "AuthenticationFailed",
      "AuthorizationPermissionMismatch",
    ]);
    expect(JSON.stringify(teams.received.map((r) => r.body))).not.toContain("SECRETSIGVALUE");
    const store = await openTableTriageStore({
      kind: "connection-string",
      connectionString: azurite.connectionString,
      tablePrefix: "handler",
    });
    const listed = await store.list({ status: "open" });
    expect(listed.total).toBe(2);
    expect(listed.items.every((i) => i.notifications.every((n) => n.outcome === "sent"))).toBe(true);
    // Logged through the invocation context, without the webhook URL's secret.
    expect(logLines.some((l) => l.startsWith("information: triage run"))).toBe(true);
    expect(logLines.join("\n")).not.toContain("HANDLERSECRET");
  });

  it("two overlapping invocations send nothing twice", async () => {
    const before = teams.received.length;
    const [a, b] = await Promise.all([
      triageTimerHandler(timer(true), context("inv-2")),
      triageTimerHandler(timer(true), context("inv-3")),
    ]);
    expect(a.notifications.decided + b.notifications.decided).toBe(0);
    expect(teams.received.length).toBe(before);
    for (const count of teams.accepted().values()) expect(count).toBe(1);
  });

  it("fails the invocation with a fix-it message when a setting is wrong", async () => {
    process.env.TRIAGE_SCHEDULE = "*/5 * * * *";
    try {
      await expect(triageTimerHandler(timer(), context("inv-4"))).rejects.toThrow(
        /TRIAGE_SCHEDULE: '\*\/5 \* \* \* \*' has 5 fields/,
      );
      expect(logLines.filter((l) => l.includes("triage run failed"))).toEqual([
        expect.stringMatching(/^error: triage run failed: Invalid settings/),
      ]);
    } finally {
      delete process.env.TRIAGE_SCHEDULE;
    }
  });
});
