/**
 * Captures that are not what they seem: a request that is not a Storage request, a capture cut off, an
 * answer from something other than Storage, a HAR with several requests. Each gets a clear message or a
 * per-request answer, never a confident verdict about something the capture cannot show.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.js";

const dir = mkdtempSync(join(tmpdir(), "doctor-robust-"));
const CAPTURES = join("test", "doctor", "captures");
const capture = (name: string) => readFileSync(join(CAPTURES, name), "utf8");
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("captures that are not what they seem", () => {
  it("refuses a request that is not a Storage request, saying why", async () => {
    const p = write(
      "token.http",
      "POST https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token HTTP/1.1\nContent-Type: application/x-www-form-urlencoded\n\ngrant_type=client_credentials\n",
    );
    const r = await runCli(["explain", "--request", p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "not an Azure Storage request: login.microsoftonline.com is not a Storage host name",
    );
    expect(r.stdout).toBe("");
  });

  it("names the file of a JSON capture that was cut off", async () => {
    const text = capture("blob-sharedkey-wrong-key.azure.json");
    const p = write("cut.json", text.slice(0, Math.floor(text.length / 2)));
    const r = await runCli(["explain", "--request", p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cut\.json: looks like JSON but does not parse .*was the capture cut off\?/);
  });

  it("names the line of a raw HTTP capture cut in the middle of a header", async () => {
    const p = write(
      "cut.http",
      "GET /devstoreaccount1/reports/q3.csv HTTP/1.1\nHost: 127.0.0.1:10000\nx-ms-versi",
    );
    const r = await runCli(["explain", "--request", p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cut.http:3");
  });

  it("does not trust a string-to-sign from an error body that was cut off", async () => {
    const full = JSON.parse(capture("blob-sharedkey-xmsdate-stripped.azure.json"));
    const body: string = full.response.body;
    full.response.body = body.slice(0, body.indexOf("Server used following string to sign") + 60);
    const r = await runCli([
      "explain",
      "--request",
      write("cut-body.json", JSON.stringify(full)),
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: { id: string }) => f.id)).toContain("response-truncated");
    // Without the whole string the cause cannot be named: the rejection is, the x-ms-date proxy is not.
    expect(report.firstProblem.id).toBe("sharedkey-signature-rejected");
    expect(report.verdict.decision).toBe("authentication");
  });

  it("answers each request of a HAR on its own, and sets aside what is not Storage", async () => {
    const har = JSON.parse(capture("several-requests.har"));
    har.log.entries.push({
      request: {
        method: "POST",
        url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        headers: [{ name: "Content-Type", value: "application/x-www-form-urlencoded" }],
      },
      response: { status: 400, headers: [], content: { text: '{"error":"invalid_client"}' } },
    });
    const p = write("several.har", JSON.stringify(har));
    const text = await runCli(["explain", "--request", p]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("The capture holds 5 requests; 2 diagnosed.");
    expect(text.stdout).toMatch(/Request 1 of 5: PUT .*→ 201\nNot diagnosed: it succeeded \(201\)/);
    expect(text.stdout).toMatch(
      /Request 5 of 5: POST https:\/\/login\.microsoftonline\.com.*\nNot diagnosed: not an Azure Storage request/,
    );
    const json = JSON.parse((await runCli(["explain", "--request", p, "--format", "json"])).stdout);
    expect(
      json.requests.map(
        (r: { report?: { firstProblem?: { id: string } } }) => r.report?.firstProblem?.id ?? "skipped",
      ),
    ).toEqual(["skipped", "skipped", "sharedkey-signature-rejected", "sas-permission-mismatch", "skipped"]);
    const withResponse = await runCli([
      "explain",
      "--request",
      p,
      "--response",
      write("r.xml", "<Error><Code>X</Code></Error>"),
    ]);
    expect(withResponse.code).toBe(2);
    expect(withResponse.stderr).toContain("a separate response needs a capture with one request");
  });

  it("uses --service and --account when the host tells neither", async () => {
    const c = JSON.parse(capture("queue-sharedkey-content-type-added.azure.json"));
    // Behind a custom domain the path no longer starts with the account.
    c.url = c.url.replace(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/, "https://storage.contoso.example");
    c.headers = c.headers.map(([n, v]: [string, string]) =>
      n === "Host" ? [n, "storage.contoso.example"] : [n, v],
    );
    const p = write("custom-domain.json", JSON.stringify(c));
    const r = await runCli([
      "explain",
      "--request",
      p,
      "--service",
      "queue",
      "--account",
      "devstoreaccount1",
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.request.serviceSource).toBe("--service");
    expect(report.firstProblem.id).toBe("signature-content-type-changed");
    const bad = await runCli(["explain", "--request", p, "--service", "dfs"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--service must be blob, queue, file or table");
  });
});
