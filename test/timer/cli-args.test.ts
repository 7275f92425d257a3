import { describe, expect, it } from "vitest";
import { parseLocalArgs, replayTimes } from "../../src/cli/commands/local.js";
import { runOnceEnv } from "../../src/cli/commands/run-once.js";
import { UsageError } from "../../src/cli/command.js";
import { renderTeamsEnvelope, startLocalWebhookReceiver } from "../../src/local/webhook-receiver.js";
import { buildTeamsMessage } from "../../src/notify/teams-card.js";
import { fixtureIncident, minutes, regenerateKeyChange } from "./fixtures.js";

describe("run-once flags", () => {
  it("maps flags onto the timer's settings, replacing any configured source and state", () => {
    const { env, now, json } = runOnceEnv(
      [
        "--logs",
        "a.json",
        "b.csv",
        "--activity",
        "act.json",
        "--webhook",
        "http://127.0.0.1:9/hook",
        "--now",
        "2026-11-20T10:15:00Z",
        "--json",
      ],
      { TRIAGE_WORKSPACE_IDS: "x", TRIAGE_STATE_TABLE_ENDPOINT: "https://t", TRIAGE_OPEN_THRESHOLD: "3" },
    );
    expect(env.TRIAGE_LOGS).toBe("a.json\nb.csv");
    expect(env.TRIAGE_ACTIVITY).toBe("act.json");
    expect(env.TRIAGE_TEAMS_WEBHOOK_URL).toBe("http://127.0.0.1:9/hook");
    expect(env.TRIAGE_WORKSPACE_IDS).toBeUndefined();
    expect(env.TRIAGE_STATE_TABLE_ENDPOINT).toBeUndefined();
    expect(env.TRIAGE_STATE).toBe("memory");
    expect(env.TRIAGE_OPEN_THRESHOLD).toBe("3");
    expect(now?.toISOString()).toBe("2026-11-20T10:15:00.000Z");
    expect(json).toBe(true);
    const conn = runOnceEnv(
      ["--logs", "a", "--webhook", "http://127.0.0.1:9/h", "--state", "UseDevelopmentStorage=true"],
      {},
    );
    expect(conn.env.TRIAGE_STATE_CONNECTION_STRING).toBe("UseDevelopmentStorage=true");
  });

  it("says what is missing or wrong", () => {
    expect(() => runOnceEnv(["--webhook", "http://127.0.0.1:9/h"], {})).toThrow(/--logs PATH is required/);
    expect(() => runOnceEnv(["--logs", "a"], {})).toThrow(/--webhook URL is required/);
    expect(() => runOnceEnv(["--logs", "a", "--webhook", "u", "--now", "yesterday"], {})).toThrow(UsageError);
    expect(() => runOnceEnv(["--logs", "a", "--bogus"], {})).toThrow(UsageError);
  });
});

describe("local flags and replay schedule", () => {
  it("parses cycles, once, interval and pause", () => {
    expect(parseLocalArgs(["--logs", "x", "--cycles", "3", "--pause", "0"])).toMatchObject({
      logs: ["x"],
      cycles: 3,
      pauseMs: 0,
      intervalMs: 300_000,
    });
    expect(parseLocalArgs(["--logs", "x", "--once", "--interval", "1m"])).toMatchObject({
      once: true,
      intervalMs: 60_000,
    });
    expect(() => parseLocalArgs(["--logs", "x", "--once", "--cycles", "2"])).toThrow(/--once or --cycles/);
    expect(() => parseLocalArgs(["--logs", "x", "--cycles", "0"])).toThrow(/--cycles/);
  });

  it("replays from the first interval boundary to the first one after the data ends (what was open then)", () => {
    const span = { fromMs: Date.parse("2026-11-20T10:02:30Z"), toMs: Date.parse("2026-11-20T10:20:00Z") };
    const times = replayTimes(span, 300_000).map((t) => new Date(t).toISOString().slice(11, 16));
    expect(times[0]).toBe("10:05");
    // 10:20:00 is a row: the last cycle must come after it.
    expect(times.at(-1)).toBe("10:25");
    expect(replayTimes(span, 300_000, 2)).toHaveLength(2);
  });
});

describe("local webhook receiver", () => {
  it("answers 202 like Workflows and prints a readable card without markdown escapes or control characters", async () => {
    const printed: string[] = [];
    const r = await startLocalWebhookReceiver((t) => printed.push(t));
    try {
      const incident = fixtureIncident({
        perMinute: minutes("2026-11-20T10:00:00Z", [5, 5]),
        changes: [regenerateKeyChange("2026-11-20T09:58:00Z")],
        callers: [{ ip: "10.0.0.1", userAgent: "evil\u001b[31m_agent_", count: 10 }],
      });
      const msg = buildTeamsMessage({
        notificationId: `${incident.id}-1`,
        reason: "first-detection",
        detail: "10 failures",
        decidedAt: "2026-11-20T10:05:00Z",
        status: "open",
        openedAt: "2026-11-20T10:05:00Z",
        incident,
        covers: [],
      });
      const res = await fetch(r.teamsUrl, {
        method: "POST",
        body: JSON.stringify(msg.envelope),
        headers: { "idempotency-key": "k1" },
      });
      expect(res.status).toBe(202);
      expect(r.received[0]).toMatchObject({ channel: "teams", idempotencyKey: "k1" });
      const text = printed.join("");
      expect(text).toContain("Storage auth failures: 403 AuthenticationFailed on contosodata");
      // The redaction boundary shows the escape character as text; the card never carries it raw.
      expect(text).toContain("evil\\u001b[31m_agent_");
      expect(text).not.toContain("\u001b");
      expect(text).toContain("== The wrong fix to avoid ==");
      expect((await fetch(r.teamsUrl, { method: "POST", body: "{" })).status).toBe(400);
      expect(
        (await fetch(r.teamsUrl.replace("/workflows/", "/nope/"), { method: "POST", body: "{}" })).status,
      ).toBe(404);
    } finally {
      await r.close();
    }
    expect(renderTeamsEnvelope({ nope: true }, 10)).toContain("not an Adaptive Card envelope");
  });
});
