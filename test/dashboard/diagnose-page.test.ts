import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardServer } from "../../src/dashboard/server.js";
import { buildStringToSign } from "../../src/signature/canonical.js";
import type { ParsedRequest } from "../../src/signature/http-request.js";
import { azureErrorBody, ECHOED_MAC, serverStringToSign, STORIES } from "../signature/stories.js";
import { artifactPath, launchChromium } from "../support/browser.js";
import { makeRecord } from "../support/incident-fixtures.js";
import { serveFixtures } from "../support/serve-fixtures.js";
import { sazOf } from "../support/fiddler-saz.js";
import { writeZip } from "../support/write-zip.js";
import { corpusExchange } from "../doctor/corpus-exchange.js";
import { readCaptureFile } from "../../src/cli/read-input.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { renderExplainText } from "../../src/doctor/render.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";

/**
 * The dashboard's "Diagnose a request" page in Debian's chromium: the request doctor and the signature
 * diff run in the page on pasted text (the APM telemetry-header story, a bearer token for the wrong
 * audience, hostile header values) and nothing is sent anywhere while diagnosing.
 */

/** A captured request as the raw HTTP text a person would paste (absolute URL in the request line). */
function rawHttp(request: Pick<ParsedRequest, "method" | "url" | "headers">): string {
  return [
    `${request.method} ${request.url} HTTP/1.1`,
    ...request.headers.map((h) => `${h.name}: ${h.value}`),
  ].join("\n");
}

const apmStory = STORIES.find((s) => s.id === "telemetry-header-added")!;
const wrongAudienceRequest = readFileSync("docs/examples/doctor/wrong-audience.request.http", "utf8");
const wrongAudienceResponse = readFileSync("docs/examples/doctor/wrong-audience.response.http", "utf8");
const bearerToken = /Authorization: Bearer (\S+)/.exec(wrongAudienceRequest)![1]!;

const HOSTILE = [
  `<img src=x onerror="window.__xss=(window.__xss||0)+1">`,
  `<script>window.__xss=(window.__xss||0)+1</script>`,
  `"><svg onload=window.__xss=(window.__xss||0)+1>`,
];

let browser: Browser;
let server: DashboardServer;

beforeAll(async () => {
  // The engine bundle is build output: produce it the way `npm run build` does.
  execFileSync(process.execPath, ["scripts/bundle-diagnose-engine.mjs"], { stdio: "pipe" });
  browser = await launchChromium();
  server = await serveFixtures([
    makeRecord({
      account: "contosoprod",
      decision: "authentication",
      start: "2026-11-22T09:58:00Z",
      perMinute: [3, 5],
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await browser?.close();
});

interface DiagnosePage {
  page: Page;
  problems: string[];
  /** Every request the page made, in order. */
  requests: string[];
}

async function openDiagnosePage(viewport = { width: 1400, height: 1000 }, query = ""): Promise<DiagnosePage> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.addInitScript(`
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber + ":" + e.columnNumber + " " + e.sample));
  `);
  await page.goto(`${server.url}/${query}#/diagnose`);
  await page.waitForSelector("html[data-ready=true]");
  await page.waitForSelector("html[data-diagnose-ready=true]");
  await page.waitForLoadState("networkidle");
  return { page, problems, requests };
}

/** Pastes, clicks Diagnose, waits for the render; returns the requests made meanwhile. */
async function diagnose(
  { page, requests }: DiagnosePage,
  input: { request: string; response?: string; clientIp?: string },
): Promise<string[]> {
  const before = requests.length;
  const runs = Number((await page.getAttribute("html", "data-diagnose-runs")) ?? "0");
  await page.fill("#diagnose-request", input.request);
  await page.fill("#diagnose-response", input.response ?? "");
  await page.fill("#diagnose-client-ip", input.clientIp ?? "");
  await page.click("#diagnose-run");
  await page.waitForSelector(`html[data-diagnose-runs="${runs + 1}"]`);
  // Anything the click could have triggered has had time to start.
  await page.waitForTimeout(300);
  return requests.slice(before);
}

describe("Diagnose a request page", () => {
  it("is linked from the header and loads its engine with no CSP violation", async () => {
    const view = await openDiagnosePage();
    const { page, problems, requests } = view;
    expect(await page.isVisible("#diagnose-view")).toBe(true);
    expect(await page.isVisible("#list-view")).toBe(false);
    expect(await page.getAttribute("#nav-diagnose", "aria-current")).toBe("page");
    expect(requests.some((u) => u.includes("/diagnose-engine.js"))).toBe(true);
    // Back to the incidents and forth through the header link.
    // The views switch on the hash change that follows the click: wait for it, not for a fixed time.
    await page.click("#nav-incidents");
    await page.waitForSelector("#list-view", { state: "visible" });
    expect(await page.isVisible("#diagnose-view")).toBe(false);
    await page.click("#nav-diagnose");
    await page.waitForSelector("#diagnose-view", { state: "visible" });
    expect(await page.isVisible("#list-view")).toBe(false);
    expect(await page.evaluate("window.__csp")).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("on a phone (390 px), the aligned field table and the findings never make the page scroll sideways", async () => {
    const view = await openDiagnosePage({ width: 390, height: 844 });
    const { page, problems } = view;
    await diagnose(view, {
      request: rawHttp(apmStory.signed),
      response: azureErrorBody(serverStringToSign(apmStory), apmStory.errorTime),
    });
    await page.click(".plain-report summary");
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.screenshot({ path: artifactPath("diagnose-result-phone.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("opened with a function key (?code=), loads the engine with the same key", async () => {
    const { page, problems, requests } = await openDiagnosePage(undefined, "?code=test-function-key");
    const engineRequests = requests.filter((u) => u.includes("/diagnose-engine.js"));
    expect(engineRequests).toHaveLength(1);
    expect(new URL(engineRequests[0]!).searchParams.get("code")).toBe("test-function-key");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("Shared Key + the server's string-to-sign: names the telemetry header and aligns the fields, sending nothing", async () => {
    const view = await openDiagnosePage();
    const { page, problems } = view;
    const sent = await diagnose(view, {
      request: rawHttp(apmStory.signed),
      response: azureErrorBody(serverStringToSign(apmStory), apmStory.errorTime),
    });
    expect(sent).toEqual([]);

    expect(await page.textContent("#first-problem")).toBe(
      "A telemetry SDK added x-ms-* headers after signing",
    );
    expect(await page.textContent(".diagnose-summary .badge")).toBe("Authentication");
    // Aligned rows: the injected headers only on the server's side, the rest the same.
    const rows = await page.$$eval("#signature-rows tr.sig-row", (trs) =>
      trs.map((tr) => ({
        field: tr.getAttribute("data-field"),
        status: tr.getAttribute("data-status"),
        cells: [...tr.querySelectorAll("td.sig-value")].map((td) => td.textContent),
      })),
    );
    expect(rows).toContainEqual({
      field: "x-ms-request-root-id",
      status: "server-only",
      cells: ["(absent)", "5e7f0ac1"],
    });
    expect(rows).toContainEqual({
      field: "x-ms-date",
      status: "same",
      cells: ["Tue, 03 Nov 2026 10:15:00 GMT", "Tue, 03 Nov 2026 10:15:00 GMT"],
    });
    expect(
      rows
        .filter((r) => r.status !== "same")
        .map((r) => r.field)
        .sort(),
    ).toEqual(["x-ms-request-id", "x-ms-request-root-id"]);
    // Differing rows are highlighted; same rows are not.
    // A string, not a function: the test compiles without DOM types.
    const background = (selector: string) =>
      page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).backgroundColor`);
    expect(await background('tr.sig-row[data-field="x-ms-request-root-id"]')).not.toBe(
      await background('tr.sig-row[data-field="x-ms-date"]'),
    );
    expect(await page.textContent("#diagnose-avoid-title")).toBe("Wrong fix to avoid");
    expect((await page.$$("#diagnose-view .avoid li")).length).toBeGreaterThan(0);
    // The echoed MAC is a signature: never on the page.
    expect(await page.content()).not.toContain(ECHOED_MAC);
    expect(await page.textContent("#diagnose-result")).not.toContain(ECHOED_MAC.slice(0, 12));

    await page.screenshot({ path: artifactPath("diagnose-shared-key.png"), fullPage: true });
    expect(await page.evaluate("window.__csp")).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a bearer token for the wrong audience: the finding and the claims, never the token", async () => {
    const view = await openDiagnosePage();
    const { page, problems } = view;
    const sent = await diagnose(view, { request: wrongAudienceRequest, response: wrongAudienceResponse });
    expect(sent).toEqual([]);

    expect(await page.textContent("#first-problem")).toBe("The token is for another audience");
    const claims = await page.$$eval("#token-claims tr", (trs) =>
      Object.fromEntries(
        trs.map((tr) => [tr.querySelector("th")?.textContent, tr.querySelector("td")?.textContent]),
      ),
    );
    expect(claims["aud"]).toBe("https://management.azure.com/");
    expect(claims["tid"]).toBe("72f988bf-86f1-41af-91ab-2d7cd011db47");
    expect(await page.textContent(".diagnose-claims")).toContain("resource https://storage.azure.com");

    // Neither the token nor any of its three parts is anywhere in the page, text or markup.
    const html = await page.content();
    for (const part of [bearerToken, ...bearerToken.split(".")]) expect(html).not.toContain(part);
    await page.click(".plain-report summary");
    expect(await page.textContent(".plain-report pre")).toContain(
      "First problem: The token is for another audience",
    );
    expect(await page.content()).not.toContain(bearerToken.split(".")[2]!);

    await page.screenshot({ path: artifactPath("diagnose-bearer.png"), fullPage: true });
    expect(await page.evaluate("window.__csp")).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("hostile header values are shown as text and never execute", async () => {
    const view = await openDiagnosePage();
    const { page, problems } = view;
    const signed: ParsedRequest = {
      method: "PUT",
      url: "https://contoso.blob.core.windows.net/data/x.txt",
      format: "http",
      headers: [
        { name: "x-ms-date", value: "Tue, 03 Nov 2026 10:15:00 GMT" },
        { name: "x-ms-version", value: "2021-08-06" },
        { name: "x-ms-meta-note", value: HOSTILE[0]! },
        { name: "x-ms-meta-other", value: HOSTILE[2]! },
        { name: "Content-Length", value: "5" },
        { name: "x-ms-blob-type", value: "BlockBlob" },
        { name: "Authorization", value: `SharedKey contoso:${ECHOED_MAC}` },
      ],
    };
    // What "arrived": a proxy rewrote one hostile value into another.
    const received = {
      ...signed,
      headers: signed.headers.map((h) => (h.name === "x-ms-meta-note" ? { ...h, value: HOSTILE[1]! } : h)),
    };
    const serverString = buildStringToSign(received, {
      account: "contoso",
      service: "blob",
      scheme: "SharedKey",
    }).text;
    const sent = await diagnose(view, {
      request: rawHttp(signed),
      response: azureErrorBody(serverString, "2026-11-03T10:15:02.0000000Z"),
    });
    expect(sent).toEqual([]);

    const note = await page.$$eval('tr.sig-row[data-field="x-ms-meta-note"] td.sig-value', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(note).toEqual([HOSTILE[0], HOSTILE[1]]);
    expect(await page.textContent('tr.sig-row[data-field="x-ms-meta-other"] td.sig-value')).toBe(HOSTILE[2]);
    // Nothing was parsed as markup and nothing ran.
    expect(await page.$$("#diagnose-result img, #diagnose-result script, #diagnose-result svg")).toHaveLength(
      0,
    );
    expect(await page.evaluate("window.__xss")).toBeUndefined();
    expect(await page.evaluate("window.__csp")).toEqual([]);
    expect(problems).toEqual([]);

    // A paste that is not a request at all is a clear error, also shown as text.
    await diagnose(view, { request: HOSTILE[1]! });
    expect(await page.textContent(".diagnose-error")).toMatch(/^Could not read the paste: /);
    expect(await page.$$("#diagnose-result script")).toHaveLength(0);
    expect(await page.evaluate("window.__xss")).toBeUndefined();
    await page.close();
  });

  it("opens a capture file, chosen or dropped: Fiddler's .saz read in the page as explain reads it, sending nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "diagnose-file-"));
    try {
      const saz = join(dir, "failed-call.saz");
      writeZip(saz, sazOf(corpusExchange("blob-sharedkey-xmsdate-stripped.azure").exchange));
      const expected = renderExplainText(
        explainCapture(await readCaptureFile(saz, "--request"), undefined, {
          sharedKeyDiff: sharedKeyDiffFindings,
        }),
      );
      const view = await openDiagnosePage();
      const { page, problems, requests } = view;
      const plain = async () => {
        await page.click(".plain-report summary");
        return page.textContent(".plain-report pre");
      };
      const before = requests.length;
      await page.setInputFiles("#diagnose-file", saz);
      await page.waitForSelector('html[data-diagnose-runs="1"]');
      expect(await plain()).toBe(expected);
      expect(await page.textContent("#diagnose-file-status")).toContain("failed-call.saz");
      expect(await page.inputValue("#diagnose-request")).toBe("");
      // Diagnose again: the archive is still what is read while the request box stays empty.
      await page.click("#diagnose-run");
      await page.waitForSelector('html[data-diagnose-runs="2"]');
      expect(await plain()).toBe(expected);
      // A text capture (a HAR) dropped on the form goes into the request box and is diagnosed.
      const har = join(dir, "call.har");
      await writeFile(har, corpusExchange("blob-sas-service-expired.azure").text);
      // A file dropped as a browser drops one (the page's DataTransfer; the test runs no DOM types).
      const dropped = await page.evaluateHandle(
        `(() => { const d = new DataTransfer(); d.items.add(new File([${JSON.stringify(readFileSync(har, "utf8"))}], "call.har", { type: "application/json" })); return d; })()`,
      );
      await page.dispatchEvent("#diagnose-form", "drop", { dataTransfer: dropped });
      await page.waitForSelector('html[data-diagnose-runs="3"]');
      expect(await page.inputValue("#diagnose-request")).toBe(readFileSync(har, "utf8"));
      expect(await page.textContent("#diagnose-file-status")).toContain("call.har: in the request box");
      // A zip that is not a session archive is refused, saying so.
      const other = join(dir, "other.zip");
      writeZip(other, { "readme.txt": "not a capture" });
      await page.setInputFiles("#diagnose-file", other);
      await page.waitForSelector('html[data-diagnose-runs="4"]');
      expect(await page.textContent(".diagnose-error")).toContain(
        "other.zip: a zip archive, but not Fiddler's session archive",
      );
      expect(requests.slice(before)).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("checks its inputs: an empty request and a malformed client IP are explained, not sent", async () => {
    const view = await openDiagnosePage();
    const { page } = view;
    expect(await diagnose(view, { request: "   " })).toEqual([]);
    expect(await page.textContent(".diagnose-error")).toContain("paste the failed request first");
    expect(await diagnose(view, { request: wrongAudienceRequest, clientIp: "not an ip" })).toEqual([]);
    expect(await page.textContent(".diagnose-error")).toContain("client IP: expected an IPv4 address");
    await page.click("#diagnose-form button[type=reset]");
    expect(await page.$$("#diagnose-result > *")).toHaveLength(0);
    await page.close();
  });
});
