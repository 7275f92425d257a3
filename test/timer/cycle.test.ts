import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryTriageStore } from "../../src/state/memory.js";
import { expectValidTeamsMessage } from "./card-validation.js";
import { IncrementalTimelineSource, TimelineSource } from "./fixture-source.js";
import { minutes, regenerateKeyChange } from "./fixtures.js";
import { startReceiver } from "./receiver.js";
import { harness, type Harness } from "./harness.js";
import { webhookPayloadSchema } from "../../src/notify/webhook-payload.js";

const shared = () =>
  new TimelineSource([
    {
      account: "contosodata",
      errorCode: "AuthenticationFailed",
      authType: "AccountKey",
      perMinute: minutes("2026-11-22T10:00:00Z", [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      changes: [regenerateKeyChange("2026-11-22T09:58:00Z")],
    },
  ]);

describe("timer cycle", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness(new MemoryTriageStore(), shared());
  });
  afterEach(async () => {
    await h.teams.close();
    await h.hook.close();
    // Secrets in the webhook URLs never reach the log.
    expect(h.logs.join("\n")).not.toMatch(/SECRET123|SECRET456/);
    // Every card posted in any scenario is a valid Adaptive Card 1.4 within the size limit.
    for (const r of h.teams.received) expectValidTeamsMessage(r.body);
    for (const r of h.hook.received) webhookPayloadSchema.parse(r.body);
  });

  it("opens an incident, posts one valid card and one schema-valid webhook, and records both as sent", async () => {
    const r = await h.run("2026-11-22T10:10:00Z");
    expect(r.incidents.opened).toBe(1);
    expect(r.notifications).toMatchObject({ decided: 2, sent: 2, failed: 0, pending: 0 });
    expect(h.teams.received).toHaveLength(1);
    expectValidTeamsMessage(h.teams.received[0]!.body);
    const payload = webhookPayloadSchema.parse(h.hook.received[0]!.body);
    expect(payload.notification.reason).toBe("first-detection");
    expect(payload.incident.link).toBe(`http://127.0.0.1:8080/dashboard/#/incidents/${payload.incident.id}`);
    expect(h.hook.received[0]!.headers["idempotency-key"]).toBe(payload.idempotencyKey);
    const rec = await h.store.get(payload.incident.id);
    expect(rec?.notifications.map((n) => [n.channel, n.outcome, n.reason])).toEqual([
      ["teams", "sent", "first-detection"],
      ["webhook", "sent", "first-detection"],
    ]);
  });

  it("replaying a run at the same --now sends nothing again", async () => {
    await h.run("2026-11-22T10:10:00Z");
    const again = await h.run("2026-11-22T10:10:00Z");
    expect(again.notifications).toMatchObject({ decided: 0, sent: 0 });
    expect(h.teams.received).toHaveLength(1);
    expect(h.hook.received).toHaveLength(1);
  });

  it("two overlapping runs notify exactly once", async () => {
    const [a, b] = await Promise.all([h.run("2026-11-22T10:10:00Z"), h.run("2026-11-22T10:10:00Z")]);
    expect(a.notifications.decided + b.notifications.decided).toBe(2);
    expect(a.notifications.sent + b.notifications.sent).toBe(2);
    expect(a.conflicts + b.conflicts).toBeGreaterThan(0);
    expect([...h.teams.accepted().values()]).toEqual([1]);
    expect([...h.hook.accepted().values()]).toEqual([1]);
  });

  it("retries 429 honouring Retry-After, then 500s, and delivers once", async () => {
    h.teams.script.push({ status: 429, headers: { "retry-after": "2" } }, { status: 500 }, { status: 503 });
    const r = await h.run("2026-11-22T10:10:00Z");
    expect(r.notifications.sent).toBe(2);
    expect(h.teams.received.map((x) => x.status)).toEqual([429, 500, 503, 202]);
    // Retry-After 2 s was honoured (plus jitter), then exponential backoff.
    expect(h.sleeps.some((ms) => ms >= 2_000 && ms <= 2_250)).toBe(true);
    const rec = (await h.store.list({})).items[0]!;
    expect(rec.notifications.find((n) => n.channel === "teams")).toMatchObject({
      outcome: "sent",
      attempts: 4,
    });
  });

  it("a timeout is retried; the card is accepted once", async () => {
    h.teams.script.push({ status: 202, delayMs: 1_500 });
    await h.run("2026-11-22T10:10:00Z");
    // The first request timed out client-side; the second was accepted.
    expect(h.teams.received.length).toBe(2);
    const rec = (await h.store.list({})).items[0]!;
    expect(rec.notifications.find((n) => n.channel === "teams")).toMatchObject({
      outcome: "sent",
      attempts: 2,
    });
  });

  it("other 4xx are reported, not retried", async () => {
    h.hook.script.push({ status: 400, body: "bad request: schema" });
    const r = await h.run("2026-11-22T10:10:00Z");
    expect(r.notifications).toMatchObject({ sent: 1, failed: 1 });
    expect(h.hook.received).toHaveLength(1);
    const rec = (await h.store.list({})).items[0]!;
    expect(rec.notifications.find((n) => n.channel === "webhook")).toMatchObject({
      outcome: "failed",
      attempts: 1,
      lastError: "HTTP 400: bad request: schema",
    });
  });

  it("a 3xx is a permanent failure, reported at error level with where it redirects (query hidden), never retried", async () => {
    h.teams.fallback = {
      status: 302,
      headers: { location: "https://elsewhere.example.net/hook/path?sig=MOVEDSECRET" },
    };
    const first = await h.run("2026-11-22T10:10:00Z");
    expect(first.notifications).toMatchObject({ sent: 1, failed: 1, pending: 0 });
    expect(h.teams.received).toHaveLength(1);
    expect(first.notificationErrors).toEqual([
      expect.objectContaining({ channel: "teams", outcome: "failed", status: 302, attempts: 1 }),
    ]);
    expect(first.notificationErrors[0]!.error).toContain(
      "redirects to https://elsewhere.example.net/hook/path",
    );
    expect(JSON.stringify(first)).not.toContain("MOVEDSECRET");
    expect(h.logs.filter((l) => l.startsWith("error: ") && l.includes("HTTP 302"))).toHaveLength(1);
    // A later run does not post it again.
    const second = await h.run("2026-11-22T10:15:00Z");
    expect(second.notifications).toMatchObject({ sent: 0, failed: 0, pending: 0 });
    expect(h.teams.received).toHaveLength(1);
  });

  it("a notification still pending is logged at warn level and listed in the report with its error", async () => {
    h.teams.fallback = { status: 503, body: "busy" };
    const r = await h.run("2026-11-22T10:10:00Z");
    expect(r.notificationErrors).toEqual([
      expect.objectContaining({
        channel: "teams",
        outcome: "pending",
        status: 503,
        attempts: 4,
        error: "HTTP 503: busy",
      }),
    ]);
    expect(h.logs.filter((l) => l.startsWith("warn: ") && l.includes("still pending"))).toHaveLength(1);
    expect(h.logs.filter((l) => l.startsWith("info: ") && l.includes("HTTP 503"))).toEqual([]);
  });

  it("keeps a notification pending while the endpoint keeps failing, and delivers it on a later run", async () => {
    h.teams.fallback = { status: 502 };
    const first = await h.run("2026-11-22T10:10:00Z");
    expect(first.notifications).toMatchObject({ sent: 1, pending: 1 });
    expect(h.teams.received).toHaveLength(4); // maxAttempts
    h.teams.fallback = { status: 202 };
    const second = await h.run("2026-11-22T10:15:00Z");
    expect(second.notifications.sent).toBe(1);
    expect([...h.teams.accepted().values()]).toEqual([1]);
    const rec = (await h.store.list({})).items[0]!;
    expect(rec.notifications.find((n) => n.channel === "teams")).toMatchObject({
      outcome: "sent",
      attempts: 5,
    });
  });

  it("a Retry-After longer than a run can wait leaves it for the next run", async () => {
    h.teams.script.push({ status: 429, headers: { "retry-after": "120" } });
    const first = await h.run("2026-11-22T10:10:00Z");
    expect(first.notifications.pending).toBe(1);
    expect(h.teams.received).toHaveLength(1);
    await h.run("2026-11-22T10:15:00Z");
    expect([...h.teams.accepted().values()]).toEqual([1]);
  });

  it("follows the incident to resolution: one resolved message after the quiet period", async () => {
    await h.run("2026-11-22T10:10:00Z");
    await h.run("2026-11-22T10:20:00Z");
    await h.run("2026-11-22T10:30:00Z");
    const quiet = await h.run("2026-11-22T10:45:00Z");
    expect(quiet.incidents.resolved).toBe(1);
    await h.run("2026-11-22T10:50:00Z");
    const reasons = h.hook.received.map(
      (x) => (x.body as { notification: { reason: string } }).notification.reason,
    );
    expect(reasons).toEqual(["first-detection", "resolved"]);
  });

  it("catches up after missed runs: the window reaches back to the watermark", async () => {
    await h.run("2026-11-22T10:10:00Z");
    const late = await h.run("2026-11-22T12:10:00Z");
    expect(late.caughtUp).toBe(true);
    expect(late.window.from).toBe("2026-11-22T10:10:00.000Z");
  });
});

describe("incremental sources", () => {
  it("accumulates below-threshold slices across runs until the lookback crosses the threshold", async () => {
    // Three failures every five minutes: no single run sees the threshold of 5.
    const source = new IncrementalTimelineSource([
      { account: "tricklestore", perMinute: minutes("2026-11-22T10:00:00Z", [1, 1, 1, 0, 0, 1, 1, 1, 0, 0]) },
    ]);
    const h = await harness(new MemoryTriageStore(), source);
    try {
      const first = await h.run("2026-11-22T10:05:00Z");
      expect(first.incidents.opened).toBe(0);
      expect((await h.store.listCandidates()).map((c) => c.incident.count)).toEqual([3]);
      const second = await h.run("2026-11-22T10:10:00Z");
      expect(second.incidents.opened).toBe(1);
      expect(second.window.from).toBe("2026-11-22T10:05:00.000Z"); // only the new slice was read
      expect(source.commits).toBe(2);
      const payload = webhookPayloadSchema.parse(h.hook.received[0]!.body);
      expect(payload.notification.detail).toMatch(/^6 failures/);
      expect(await h.store.listCandidates()).toEqual([]);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });

  it("forgets a candidate once its failures fall out of the lookback", async () => {
    const source = new IncrementalTimelineSource([
      { account: "oneoff", perMinute: minutes("2026-11-22T10:00:00Z", [2]) },
    ]);
    const h = await harness(new MemoryTriageStore(), source);
    try {
      await h.run("2026-11-22T10:05:00Z");
      expect(await h.store.listCandidates()).toHaveLength(1);
      await h.run("2026-11-22T10:40:00Z");
      expect(await h.store.listCandidates()).toEqual([]);
      expect(h.hook.received).toHaveLength(0);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});

describe("inhibition through the cycle", () => {
  it("shared key disabled: one message covering the account's AccountKey and SAS incidents", async () => {
    const keyBased = (authType: string, counts: number[], operations: string[]) => ({
      account: "lockeddown",
      errorCode: "KeyBasedAuthenticationNotPermitted",
      authType,
      operations,
      perMinute: minutes("2026-11-22T10:00:00Z", counts),
    });
    const source = new TimelineSource([
      keyBased("AccountKey", [9, 9, 9], ["PutBlob", "GetBlob"]),
      keyBased("SAS", [4, 4], ["GetBlob"]),
      {
        account: "lockeddown",
        errorCode: "AuthenticationFailed",
        authType: "SAS",
        operations: ["ListBlobs"],
        perMinute: minutes("2026-11-22T10:01:00Z", [3, 3]),
      },
      {
        account: "lockeddown",
        errorCode: "AuthorizationPermissionMismatch",
        authType: "OAuth",
        perMinute: minutes("2026-11-22T10:01:00Z", [6]),
      },
    ]);
    const h = await harness(new MemoryTriageStore(), source);
    try {
      const r = await h.run("2026-11-22T10:05:00Z");
      expect(r.incidents.opened).toBe(4);
      expect(r.incidents.inhibited).toBe(2);
      const payloads = h.hook.received.map((x) => webhookPayloadSchema.parse(x.body));
      // One message for the shared-key cause (covering 2 incidents) and one for the unrelated RBAC incident.
      expect(payloads).toHaveLength(2);
      const primary = payloads.find((p) => p.incident.errorCode === "KeyBasedAuthenticationNotPermitted")!;
      expect(primary.incident.authType).toBe("AccountKey");
      expect(primary.covers.map((c) => `${c.errorCode}/${c.authType}`).sort()).toEqual([
        "AuthenticationFailed/SAS",
        "KeyBasedAuthenticationNotPermitted/SAS",
      ]);
      expect(primary.accountWideCause).toBe("Shared Key access is disabled on the account");
      expect(h.teams.received).toHaveLength(2);
      expect(JSON.stringify(h.teams.received.map((x) => x.body))).toContain(
        "this one message covers 2 more incident",
      );
      const members = (await h.store.list({})).items.filter((i) => i.inhibitedBy);
      expect(members.map((m) => m.inhibitedBy)).toEqual([primary.incident.id, primary.incident.id]);
      expect(members.every((m) => m.notifications.length === 0)).toBe(true);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});

/**
 * A port nothing listens on, taken below the kernel's range of ports for listen(0): a port released from
 * that range was at times given straight to another test file's server, which then took the post.
 */
async function refusedPort(): Promise<number> {
  const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
    .trim()
    .split(/\s+/)
    .map(Number);
  const below = Math.max(1024, (low ?? 32768) - 8192);
  for (let i = 0; ; i++) {
    const candidate = below + ((process.pid * 7919 + i * 104729) % 8192);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(candidate, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}

describe("connection refused", () => {
  it("stays pending while nothing listens, then is delivered exactly once when the endpoint is back", async () => {
    const port = await refusedPort();
    const h = await harness(
      new MemoryTriageStore(),
      shared(),
      `http://127.0.0.1:${port}/workflows/x?sig=SECRET789`,
    );
    try {
      const first = await h.run("2026-11-22T10:10:00Z");
      expect(first.notifications).toMatchObject({ sent: 1, pending: 1 });
      const rec = (await h.store.list({})).items[0]!;
      expect(rec.notifications.find((n) => n.channel === "teams")?.lastError).toMatch(/ECONNREFUSED/);
      expect(h.logs.join("\n")).not.toContain("SECRET789");
      const back = await startReceiver(port, "/workflows/x");
      try {
        await h.run("2026-11-22T10:15:00Z");
        await h.run("2026-11-22T10:20:00Z");
        expect([...back.accepted().values()]).toEqual([1]);
        expectValidTeamsMessage(back.received[0]!.body);
      } finally {
        await back.close();
      }
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});
