import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { incidentLink } from "../../src/notify/links.js";
import { expectValidTeamsMessage } from "./card-validation.js";

/** `auth-triage local` and `run-once` driven through the CLI dispatcher, in process. */
function capture(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let buf = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

describe("auth-triage local", () => {
  it("--once over the bundled samples: Azurite state, cards printed by the receiver, clean exit", async () => {
    const out = capture();
    const err = capture();
    const code = await main(["local", "--once", "--pause", "0"], {
      stdout: out.stream,
      stderr: err.stream,
      env: {},
    });
    expect(code).toBe(0);
    const text = out.text();
    expect(text).toContain("Starting Azurite");
    expect(text).toMatch(/──── Teams card \(\d+\.\d KB\) ────/);
    expect(text).toContain("== The wrong fix to avoid ==");
    // The samples' account-wide causes are announced once with what they cover.
    expect(text).toContain("Shared Key access is disabled on the account: this one message covers");
    expect(text).toMatch(/notifications (\d+) decided, \1 sent, 0 failed, 0 pending/);
    expect(err.text()).toBe("");
  });

  it("serves the dashboard over the same state, linked from the cards, and stops cleanly on Ctrl-C", async () => {
    const out = capture();
    const running = main(["local", "--pause", "30s"], {
      stdout: out.stream,
      stderr: capture().stream,
      env: {},
    });
    const deadline = Date.now() + 60_000;
    while (!out.text().includes("[cycle ") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const base = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/api\/dashboard)\//.exec(out.text())?.[1];
    expect(base).toBeDefined();
    // The first cycle opened an incident: the dashboard's API lists it from the timer's Table state…
    const listed = (await (await fetch(base!.replace("/api/dashboard", "/api/incidents"))).json()) as {
      total: number;
      items: Array<{ id: string }>;
    };
    expect(listed.total).toBeGreaterThan(0);
    // …and the card's button opens it on the page.
    expect(out.text()).toContain(`[Open in dashboard] ${incidentLink(base!, listed.items[0]!.id)}`);
    expect((await fetch(`${base}/`)).status).toBe(200);
    process.emit("SIGINT");
    expect(await running).toBe(0);
    expect(out.text()).toContain("Stopping…");
    expect(out.text().match(/\[cycle /g)).toHaveLength(1);
  });
});

describe("auth-triage run-once", () => {
  it("replays a cycle at --now; a second replay at the same time with the same state sends nothing", async () => {
    const { startAzurite } = await import("../../src/local/azurite.js");
    const { startLocalWebhookReceiver } = await import("../../src/local/webhook-receiver.js");
    const azurite = await startAzurite();
    const receiver = await startLocalWebhookReceiver(() => undefined);
    try {
      const args = [
        "run-once",
        "--logs",
        "samples/logs",
        "--activity",
        "samples/activity",
        "--webhook",
        receiver.teamsUrl,
        "--state",
        azurite.connectionString,
        "--now",
        "2026-11-20T09:40:00Z",
        "--json",
      ];
      const first = capture();
      expect(await main(args, { stdout: first.stream, stderr: capture().stream, env: {} })).toBe(0);
      const r1 = JSON.parse(first.text());
      expect(r1.notifications.sent).toBeGreaterThan(0);
      expect(receiver.received).toHaveLength(r1.notifications.sent);
      const second = capture();
      expect(await main(args, { stdout: second.stream, stderr: capture().stream, env: {} })).toBe(0);
      expect(JSON.parse(second.text()).notifications).toMatchObject({ decided: 0, sent: 0 });
      expect(receiver.received).toHaveLength(r1.notifications.sent);
      for (const r of receiver.received) expectValidTeamsMessage(r.body);
      const keys = receiver.received.map((r) => r.idempotencyKey);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await receiver.close();
      await azurite.stop();
    }
  });

  it("exits 2 with what to fix on bad settings", async () => {
    const err = capture();
    const code = await main(
      ["run-once", "--logs", "samples/logs", "--webhook", "https://contoso.webhook.office.com/webhookb2/x"],
      {
        stdout: capture().stream,
        stderr: err.stream,
        env: {},
      },
    );
    expect(code).toBe(2);
    expect(err.text()).toContain("retired Office 365 connector");
  });
});
