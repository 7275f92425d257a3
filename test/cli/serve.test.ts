import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/command.js";
import { main } from "../../src/cli/main.js";
import { serveCommand } from "../../src/cli/commands/serve.js";
import type { IncidentListResponse } from "../../src/dashboard/api.js";
import type { IncidentRecord } from "../../src/state/contracts.js";
import { startAzurite } from "../../src/local/azurite.js";
import { startLocalWebhookReceiver } from "../../src/local/webhook-receiver.js";
import { artifactPath, launchChromium } from "../support/browser.js";

/** `auth-triage serve` over the bundled samples (samples/README.md lists the incidents they must give). */

function captureIo(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, env: {} }, out: () => out, err: () => err };
}

describe("auth-triage serve", () => {
  it("analyses the given logs, serves page and API on 127.0.0.1, and stops cleanly", async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let listening!: (url: string) => void;
    const url = new Promise<string>((resolve) => (listening = resolve));
    const { io, out, err } = captureIo();
    const command = serveCommand({ untilStopped: stopped, onListening: (u) => listening(u) });
    const exit = command.run(["--logs", "samples/logs", "--activity", "samples/activity", "--port", "0"], io);

    const base = await url;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/dashboard$/);
    expect(out()).toBe(`Dashboard: ${base}/\n`);
    expect(err()).toMatch(/analysed 1961 log rows/);

    const origin = new URL(base).origin;
    const list = (await (await fetch(`${origin}/api/incidents?limit=100`)).json()) as IncidentListResponse;
    const challenges = list.items.map((i) => `${i.account} ${i.errorCode} ${i.authType} ${i.decision}`);
    // Ground truth from samples/README.md.
    expect(challenges).toEqual(
      expect.arrayContaining([
        "stfuncruntime07 KeyBasedAuthenticationNotPermitted AccountKey policy",
        "stpipelinejobs08 AuthenticationFailed AccountKey authentication",
        "stpipelinejobs08 AuthenticationFailed SAS sas",
        "stcustomerportal09 AuthorizationFailure OAuth network",
        "stdatalake06 AuthorizationPermissionMismatch OAuth rbac",
        "stcdnorigin13 AuthenticationFailed SAS sas",
        "stinvoicesprod01 AuthenticationFailed AccountKey authentication",
      ]),
    );
    const rotation = list.items.find((i) => i.account === "stpipelinejobs08" && i.authType === "AccountKey")!;
    const detail = (await (
      await fetch(`${origin}/api/incidents/${encodeURIComponent(rotation.id)}`)
    ).json()) as IncidentRecord;
    expect(detail.incident.changes[0]?.operation).toMatch(/regenerateKey/i);

    // Look at the real thing in the browser.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(base);
      await page.waitForSelector("html[data-ready=true]");
      expect(await page.$$eval("#incidents tbody tr", (rows) => rows.length)).toBe(list.total);
      // The SAS minted on a clock running ahead: skew leads, not the weak "new addresses" candidate.
      const skewed = list.items.find((i) => i.account === "stcdnorigin13")!;
      expect(skewed.clockSkewSuspected).toBe(true);
      expect(await page.textContent(`#incidents tbody tr[data-id="${skewed.id}"]`)).toContain(
        "Clock skew suspected",
      );
      await page.screenshot({ path: artifactPath("samples-list.png"), fullPage: true });
      await page.goto(`${base}/#/incidents/${encodeURIComponent(rotation.id)}`);
      await page.waitForSelector("#detail .detail-head");
      expect(await page.textContent(".causes")).toMatch(/key1|regenerat/i);
      await page.screenshot({ path: artifactPath("samples-detail.png"), fullPage: true });
    } finally {
      await browser.close();
    }

    stop();
    expect(await exit).toBe(0);
    await expect(fetch(`${origin}/api/incidents`)).rejects.toThrow();
  });

  it("serves the timer's Table storage state (--state CONNECTION_STRING) after a timer run", async () => {
    const azurite = await startAzurite();
    const receiver = await startLocalWebhookReceiver(() => {});
    try {
      const run = captureIo();
      const code = await main(
        [
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
          "2026-11-20T10:00:00Z",
        ],
        run.io,
      );
      expect(code, run.err()).toBe(0);

      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      let listening!: (url: string) => void;
      const url = new Promise<string>((resolve) => (listening = resolve));
      const { io, err } = captureIo();
      const exit = serveCommand({ untilStopped: stopped, onListening: (u) => listening(u) }).run(
        ["--state", azurite.connectionString, "--port", "0"],
        io,
      );
      const origin = new URL(await url).origin;
      const list = (await (await fetch(`${origin}/api/incidents?limit=100`)).json()) as IncidentListResponse;
      expect(err()).toMatch(/incident\(s\) in the state store/);
      expect(list.total).toBeGreaterThan(0);
      expect(list.items.map((i) => i.account)).toContain("stfuncruntime07");
      stop();
      expect(await exit).toBe(0);
    } finally {
      await receiver.close();
      await azurite.stop();
    }
  });

  it("is listed by the CLI and says what to fix on bad usage", async () => {
    const help = captureIo();
    expect(await main(["--help"], help.io)).toBe(0);
    expect(help.out()).toMatch(/serve\s+Serve the dashboard/);
    const bad = captureIo();
    expect(await main(["serve"], bad.io)).toBe(2);
    expect(bad.err()).toContain("nothing to serve");
    const missing = captureIo();
    expect(await main(["serve", "--logs", "no/such/dir", "--port", "0"], missing.io)).toBe(2);
    expect(missing.err()).toContain("no/such/dir");
  });
});
