import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { diagnose } from "../../src/doctor/doctor.js";
import { targetOf } from "../../src/doctor/operation.js";
import { analyzeSas } from "../../src/doctor/sas.js";
import { runCli } from "./cli.js";
import { buildCorpus, HOST, mintToken, NOW, TENANT } from "./corpus.js";

const dir = mkdtempSync(join(tmpdir(), "doctor-"));

const corpus = buildCorpus();

describe("request doctor corpus", () => {
  it("covers the failure stories a captured pair can show", () => {
    const stories = new Set(corpus.map((c) => c.story).filter((s) => s !== undefined));
    for (const s of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
      expect(stories, `story ${s}`).toContain(s);
  });

  for (const [i, c] of corpus.entries()) {
    it(`${c.story ? `story ${c.story}: ` : ""}${c.name}`, async () => {
      const reqPath = join(dir, `case-${i}.http`);
      const resPath = join(dir, `case-${i}.response`);
      writeFileSync(reqPath, c.request);
      const args = ["explain", "--request", reqPath, "--format", "json"];
      if (c.response) {
        writeFileSync(resPath, c.response);
        args.push("--response", resPath);
      }
      if (c.clientIp) args.push("--client-ip", c.clientIp);
      const json = await runCli(args);
      expect(json.code, json.stderr).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report.scheme).toBe(c.expect.scheme);
      expect(report.firstProblem?.id).toBe(c.expect.firstProblem);
      expect(report.verdict.decision).toBe(c.expect.decision);
      expect(report.verdict.avoid.length).toBeGreaterThan(0);
      if (c.expect.clockSkew !== undefined)
        expect(Boolean(report.firstProblem.clockSkew)).toBe(c.expect.clockSkew);

      const text = await runCli(args.filter((a) => a !== "json" && a !== "--format"));
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`Verdict: ${c.expect.decision}.`);
      expect(text.stdout).toContain("Wrong fix to avoid:");
      for (const phrase of c.expect.mentions ?? []) expect(text.stdout).toContain(phrase);
      for (const secret of c.secrets) {
        expect(json.stdout).not.toContain(secret);
        expect(text.stdout).not.toContain(secret);
        expect(json.stdout).not.toContain(encodeURIComponent(secret));
        expect(text.stdout).not.toContain(encodeURIComponent(secret));
      }
    });
  }
});

describe("capture formats", () => {
  const token = mintToken({
    aud: "https://management.azure.com",
    tid: TENANT,
    exp: Math.floor(NOW.getTime() / 1000) + 3600,
  });

  it("reads a HAR file and prefers the failed entry", () => {
    const har = {
      log: {
        entries: [
          {
            request: { method: "GET", url: `https://${HOST}/?comp=properties&restype=service`, headers: [] },
            response: { status: 200, headers: [] },
          },
          {
            request: {
              method: "GET",
              url: `https://${HOST}/reports/q3.csv`,
              headers: [
                { name: "Authorization", value: `Bearer ${token}` },
                { name: "x-ms-version", value: "2022-11-02" },
              ],
            },
            response: {
              status: 401,
              headers: [
                {
                  name: "WWW-Authenticate",
                  value: `Bearer authorization_uri=https://login.microsoftonline.com/${TENANT}/oauth2/authorize resource_id=https://storage.azure.com`,
                },
                { name: "x-ms-error-code", value: "InvalidAuthenticationInfo" },
                { name: "Date", value: NOW.toUTCString() },
              ],
              content: { text: "" },
            },
          },
        ],
      },
    };
    const exchange = parseRequestCapture(JSON.stringify(har), "capture.har");
    expect(exchange.format).toBe("har");
    const report = diagnose(exchange, undefined);
    expect(report.firstProblem?.id).toBe("bearer-wrong-audience");
    expect(report.bearer?.challenge?.tenant).toBe(TENANT);
    expect(JSON.stringify(report)).not.toContain(token);
  });

  it("reads a HAR response body kept in base64 (Firefox, Charles, Fiddler), and says when it is not", () => {
    const xml =
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:5d0a2f3e-901e-0042-1b7c-73a1d4000000\nTime:2026-12-05T10:15:02.5013344Z</Message></Error>';
    const entry = (text: string) => ({
      request: {
        method: "GET",
        url: `https://${HOST}/reports/q3.csv`,
        headers: [
          { name: "x-ms-version", value: "2025-01-05" },
          { name: "Authorization", value: "Bearer REDACTED" },
        ],
      },
      response: {
        status: 403,
        headers: [],
        content: { mimeType: "application/xml", encoding: "base64", text },
      },
    });
    const exchange = parseRequestCapture(
      JSON.stringify({ log: { entries: [entry(Buffer.from(xml).toString("base64"))] } }),
      "ff.har",
    );
    expect(diagnose(exchange, undefined).response?.errorCode).toBe("AuthorizationPermissionMismatch");
    expect(() =>
      parseRequestCapture(JSON.stringify({ log: { entries: [entry("<not base64>")] } }), "ff.har"),
    ).toThrow(/ff\.har \(response\): the response's content says base64 but is not base64/);
  });

  it("reads the Azure SDK HTTP logging that az --debug prints", () => {
    const log = [
      "cli.azure.cli.core.sdk.policies: Request URL: 'https://contosoprod.blob.core.windows.net/reports/q3.csv'",
      "cli.azure.cli.core.sdk.policies: Request method: 'GET'",
      "cli.azure.cli.core.sdk.policies: Request headers:",
      "cli.azure.cli.core.sdk.policies:     'x-ms-date': 'REDACTED'",
      'urllib3.connectionpool: https://contosoprod.blob.core.windows.net:443 "GET /reports/q3.csv HTTP/1.1" 403 246',
      "azure.core.pipeline.policies.http_logging_policy: Request URL: 'https://contosoprod.blob.core.windows.net/reports/q3.csv'",
      "Request method: 'GET'",
      "Request headers:",
      "    'x-ms-version': '2023-11-03'",
      "    'Authorization': 'REDACTED'",
      "    'x-ms-date': 'Sun, 22 Nov 2026 12:00:00 GMT'",
      "No body was attached to the request",
      "Response status: 403",
      "Response headers:",
      "    'x-ms-error-code': 'AuthorizationPermissionMismatch'",
      "    'Date': 'Sun, 22 Nov 2026 12:00:01 GMT'",
    ].join("\n");
    const exchange = parseRequestCapture(log, "az-debug.log");
    expect(exchange.format).toBe("sdk-log");
    expect(exchange.request.method).toBe("GET");
    expect(exchange.response?.status).toBe(403);
    // az redacts the Authorization header, so the scheme cannot be read: the doctor says it is hidden, not
    // unknown, and the server's answer decides (an RBAC verdict, never "do not add roles").
    const report = diagnose(exchange, undefined);
    expect(report.response?.errorCode).toBe("AuthorizationPermissionMismatch");
    expect(report.scheme).toBe("Hidden");
    const ids = report.findings.map((f) => f.id);
    expect(ids).toContain("auth-hidden");
    expect(ids).not.toContain("auth-unknown-scheme");
    expect(report.verdict.decision).toBe("rbac");
  });

  it("leaves a token or Authorization header a logger hid unchecked, in every SDK's spelling", () => {
    const capture = (authorization: string) =>
      parseRequestCapture(
        [
          `GET /reports/q3.csv HTTP/1.1`,
          `Host: ${HOST}`,
          "x-ms-version: 2025-01-05",
          `Authorization: ${authorization}`,
          "",
          "HTTP/1.1 403 This request is not authorized to perform this operation using this permission.",
          "x-ms-error-code: AuthorizationPermissionMismatch",
          "x-ms-request-id: 3b0c2a71-601e-0045-1f5e-47f0a2000000",
          "Date: Sat, 05 Dec 2026 10:15:02 GMT",
        ].join("\n"),
        "hidden.txt",
      );
    for (const [authorization, scheme, finding] of [
      ["REDACTED", "Hidden", "auth-hidden"],
      ["*****", "Hidden", "auth-hidden"],
      ["Bearer REDACTED", "Bearer", "bearer-token-hidden"],
      ["Bearer *****", "Bearer", "bearer-token-hidden"],
    ] as const) {
      const report = diagnose(capture(authorization), undefined);
      const ids = report.findings.map((f) => f.id);
      expect({ authorization, scheme: report.scheme, decision: report.verdict.decision }).toEqual({
        authorization,
        scheme,
        decision: "rbac",
      });
      expect(ids).toContain(finding);
      for (const wrong of ["auth-unknown-scheme", "bearer-not-jwt", "bearer-authenticated-no-role"])
        expect(ids).not.toContain(wrong);
    }
  });

  it("reads the error code of an SDK exception's text given as the response", () => {
    const request = parseRequestCapture(
      `GET /reports/q3.csv HTTP/1.1\nHost: ${HOST}\nx-ms-version: 2025-01-05\nAuthorization: Bearer REDACTED\n`,
      "req.txt",
    );
    // The Python Storage SDK's exception message, a Java BlobStorageException with the XML in quotes, the
    // older .NET SDKs' StorageException with its Request Information.
    for (const text of [
      "Microsoft.WindowsAzure.Storage.StorageException: The remote server returned an error: (403) Forbidden. ---> System.Net.WebException: The remote server returned an error: (403) Forbidden.\n   at System.Net.HttpWebRequest.GetResponse()\nRequest Information\nRequestID:3b0c2a71\nRequestDate:Sat, 05 Dec 2026 10:15:02 GMT\nStatusMessage:This request is not authorized to perform this operation using this permission.\nErrorCode:AuthorizationPermissionMismatch\n",
      "This request is not authorized to perform this operation using this permission.\nRequestId:3b0c2a71\nTime:2026-12-05T10:15:02.5013344Z\nErrorCode:AuthorizationPermissionMismatch\n",
      'com.azure.storage.blob.models.BlobStorageException: Status code 403, "<?xml version=\\"1.0\\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>no\nTime:2026-12-05T10:15:02Z</Message></Error>"',
    ]) {
      const report = diagnose(request, parseResponseCapture(text, "res.txt"));
      expect(report.response?.errorCode).toBe("AuthorizationPermissionMismatch");
      if (text.includes("(403)")) expect(report.response?.status).toBe(403);
      expect(report.verdict.decision).toBe("rbac");
    }
  });

  it("reads JSON requests with header pairs and a response with only the XML body", () => {
    const exchange = parseRequestCapture(
      JSON.stringify({
        method: "get",
        url: `https://${HOST}/reports/q3.csv`,
        headers: [["x-ms-version", "2022-11-02"]],
      }),
      "req.json",
    );
    const res = parseResponseCapture(
      '<?xml version="1.0"?><Error><Code>AuthorizationFailure</Code><Message>no\nTime:2026-11-22T12:00:00Z</Message></Error>',
      "res.xml",
    );
    const report = diagnose(exchange, res);
    expect(report.scheme).toBe("Anonymous");
    expect(report.response?.errorCode).toBe("AuthorizationFailure");
  });

  it("reads Storage's JSON error given alone as the response, and refuses JSON that is neither", () => {
    const dataLake = JSON.stringify({
      error: {
        code: "AuthorizationPermissionMismatch",
        message:
          "This request is not authorized to perform this operation using this permission.\nRequestId:2f6b1e2c-501f-0066-3c1e-0b2c34000000\nTime:2024-01-09T10:11:12.1234567Z",
      },
    });
    expect(storageErrorOf(parseResponseCapture(dataLake, "res.json"))).toMatchObject({
      code: "AuthorizationPermissionMismatch",
      timeMs: Date.parse("2024-01-09T10:11:12.1234567Z"),
    });
    expect(() => parseResponseCapture('{"upload": "failed"}', "res.json")).toThrow(
      /res\.json: this JSON has no status, headers or body/,
    );
  });

  it("reads a raw session: the request, its body, then the response, as Fiddler or Burp save them", () => {
    const session = [
      `PUT https://${HOST}/reports/q3.csv HTTP/1.1`,
      `Host: ${HOST}`,
      "x-ms-version: 2023-11-03",
      "x-ms-blob-type: BlockBlob",
      "Content-Length: 7",
      "",
      "a,b\n1,2",
      "",
      "HTTP/1.1 403 This request is not authorized to perform this operation.",
      "x-ms-error-code: AuthorizationFailure",
      "",
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code><Message>no</Message></Error>',
    ].join("\r\n");
    const exchange = parseRequestCapture(session, "session.txt");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.request.body).toBe("a,b\n1,2");
    expect(exchange.response?.status).toBe(403);
    expect(exchange.response?.headers).toEqual([{ name: "x-ms-error-code", value: "AuthorizationFailure" }]);
    expect(exchange.response?.body).toContain("<Code>AuthorizationFailure</Code>");
    expect(diagnose(exchange, undefined).response?.errorCode).toBe("AuthorizationFailure");
    // A request alone still reads as a request alone.
    expect(parseRequestCapture(session.split("\r\n\r\nHTTP/")[0]!, "request.txt").response).toBeUndefined();
  });

  it("names the file and line of malformed input and exits 2, without echoing secrets", async () => {
    const p = join(dir, "bad.http");
    writeFileSync(p, `GET /x HTTP/1.1\nHost: ${HOST}\nthis line has no colon sig=SECRETSIG\n`);
    const r = await runCli(["explain", "--request", p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bad.http:3");
    const missing = await runCli(["explain", "--request", join(dir, "nope.http")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --request .*nope\.http: ENOENT/);
    const noFlag = await runCli(["explain"]);
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toContain("--request");
  });
});

describe("token audiences in the sovereign clouds", () => {
  // The Storage SDKs for .NET, Java, Python and JavaScript ask for https://storage.azure.com in every cloud; Go for the cloud's own.
  const request = (host: string, aud: string) =>
    [
      `GET https://${host}/reports/q3.csv HTTP/1.1`,
      `Authorization: Bearer ${mintToken({ aud, iss: `https://sts.windows.net/${TENANT}/`, tid: TENANT, oid: "6f1d3c2b-aaaa-4bbb-8ccc-123456789abc", nbf: Math.floor(NOW.getTime() / 1000) - 300, exp: Math.floor(NOW.getTime() / 1000) + 3300, ver: "1.0" })}`,
      `x-ms-date: ${NOW.toUTCString()}`,
      "x-ms-version: 2023-11-03",
      "",
      "",
    ].join("\n");
  const answer = `HTTP/1.1 403 This request is not authorized to perform this operation using this permission.\nx-ms-error-code: AuthorizationPermissionMismatch\nDate: ${NOW.toUTCString()}\n\n`;
  const firstProblem = (host: string, aud: string) =>
    diagnose(parseRequestCapture(request(host, aud), "req"), parseResponseCapture(answer, "res"))
      .firstProblem;

  it.each([
    ["st01.blob.core.usgovcloudapi.net", "https://storage.azure.us"],
    ["st01.blob.core.usgovcloudapi.net", "https://storage.azure.com"],
    ["st01.blob.core.chinacloudapi.cn", "https://storage.azure.cn"],
    ["st01.blob.core.chinacloudapi.cn", "https://storage.azure.com/"],
  ])("%s accepts %s: the role is what is missing", (host, aud) => {
    expect(firstProblem(host, aud)?.id).toBe("bearer-authenticated-no-role");
  });

  it("a management token in Azure Government: the cloud's own Storage scope to request", () => {
    const problem = firstProblem("st01.blob.core.usgovcloudapi.net", "https://management.usgovcloudapi.net");
    expect(problem?.id).toBe("bearer-wrong-audience");
    expect(problem?.detail).toContain("request the scope https://storage.azure.us/.default");
  });
});

describe("SAS fields", () => {
  it("names an st or se that is not a time, and reads a date-only se as midnight UTC", () => {
    const findingsOf = (query: string) => {
      const url = new URL(`https://${HOST}/c/b.txt?sv=2024-08-04&sr=b&sp=r&${query}&sig=abc`);
      return analyzeSas({
        url,
        rawQuery: url.search.slice(1),
        method: "GET",
        target: targetOf(url),
        requestTimeMs: Date.parse("2026-11-20T10:00:00Z"),
        requestTimeSource: "x-ms-date",
      }).findings;
    };
    const bad = findingsOf("st=yesterday&se=2026-13-01T00:00:00Z");
    expect(bad.filter((f) => f.id.startsWith("sas-bad-"))).toMatchObject([
      { id: "sas-bad-start", title: "st is not a valid time", detail: "st=yesterday is not ISO 8601 UTC." },
      { id: "sas-bad-expiry", title: "se is not a valid time" },
    ]);
    const dateOnly = findingsOf("se=2026-11-20");
    expect(dateOnly.map((f) => f.id)).toContain("sas-expired");
    expect(dateOnly.find((f) => f.id === "sas-expired")!.detail).toMatch(/^se=2026-11-20 is 600 min before/);
    expect(
      findingsOf("se=2026-11-21").some((f) => f.id.startsWith("sas-bad-") || f.id === "sas-expired"),
    ).toBe(false);
  });
});

describe("docs/doctor.md", () => {
  it("shows what the CLI prints today for every example", async () => {
    const { readFileSync } = await import("node:fs");
    const { AZURITE_KEY } = await import("../../src/local/azurite.js");
    const doc = readFileSync("docs/doctor.md", "utf8");
    const examples = [...doc.matchAll(/```\n\$ auth-triage (explain [^\n]+)\n([\s\S]*?)```/g)];
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const [, command, printed] of examples) {
      const { code, stdout } = await runCli(command!.split(" "), { DOCTOR_CORPUS_ACCOUNT_KEY: AZURITE_KEY });
      expect(code, command).toBe(0);
      expect(stdout, command).toBe(printed);
    }
  });
});
