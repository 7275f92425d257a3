/**
 * Azurite as an independent server: it must accept requests signed by our code (2xx), log the same Blob
 * string-to-sign as ours (its --debug log), and, when a request is changed after signing the way the
 * failure stories change it, reject it so that our diff of its logged string names the cause.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { buildStringToSign } from "../../src/signature/canonical.js";
import { explainSignatureMismatch } from "../../src/signature/diff.js";
import type { HttpHeader, ParsedRequest } from "../../src/signature/http-request.js";
import { signRequest } from "../../src/signature/sign.js";
import { AzuriteDebugLog, sendRaw } from "./azurite-helpers.js";

let azurite: AzuriteInstance;
let log: AzuriteDebugLog;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sig-azurite-"));
  const debugLogPath = join(dir, "debug.log");
  azurite = await startAzurite({ debugLogPath });
  log = new AzuriteDebugLog(debugLogPath);
});

afterAll(async () => {
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const now = () => new Date().toUTCString();
let requestCount = 0;

function request(method: string, url: string, headers: [string, string][], body?: string): ParsedRequest {
  return {
    method,
    url,
    headers: [
      ["x-ms-date", now()] as [string, string],
      ["x-ms-version", "2021-08-06"] as [string, string],
      ["x-ms-client-request-id", `sig-test-${++requestCount}`] as [string, string],
      ...headers,
    ].map(([name, value]): HttpHeader => ({ name, value })),
    ...(body !== undefined ? { body } : {}),
    format: "json",
  };
}

/** Azurite runs on free ports, so the service is named as a user would with --service. */
function serviceOf(url: string): "blob" | "queue" | "table" {
  if (url.startsWith(azurite.queueEndpoint)) return "queue";
  if (url.startsWith(azurite.tableEndpoint)) return "table";
  return "blob";
}

/** Signs with our code and sends; returns the response and the string-to-sign Azurite logged. */
async function signAndSend(
  req: ParsedRequest,
  scheme: "SharedKey" | "SharedKeyLite" = "SharedKey",
  tamper?: (r: ParsedRequest) => ParsedRequest,
) {
  const signed = signRequest(req, AZURITE_KEY, { scheme, service: serviceOf(req.url) });
  const sent = { ...req, headers: [...req.headers, { name: "Authorization", value: signed.authorization }] };
  const response = await sendRaw(tamper ? tamper(sent) : sent);
  // Blob and Queue sign x-ms-client-request-id (unique per request); Table signs only date and resource.
  const marker =
    serviceOf(req.url) === "table"
      ? JSON.stringify(signed.stringToSign.text).slice(1, -1)
      : `x-ms-client-request-id:${req.headers.find((h) => h.name === "x-ms-client-request-id")!.value}\\n`;
  const logged = await log.find(marker);
  return { response, ours: signed.stringToSign.text, logged: logged.strings, logLines: logged.lines };
}

const blobUrl = (path: string) => `${azurite.blobEndpoint}${path}`;
const ODD_NAME = "dir/a%2Cb%20c!$&'()*+,;=@%C3%A9%F0%9F%98%80.txt";

describe("Azurite accepts our Blob signatures and logs the same string-to-sign", () => {
  const cases: [string, () => ParsedRequest][] = [
    [
      "create container (Content-Length 0)",
      () =>
        request("PUT", blobUrl("/sig?restype=container"), [
          ["Content-Length", "0"],
          ["x-ms-meta-Owner", "  team a  "],
        ]),
    ],
    [
      "put blob with an odd name, metadata, Content-Type and Content-MD5",
      () =>
        request(
          "PUT",
          blobUrl(`/sig/${ODD_NAME}`),
          [
            ["Content-Length", "5"],
            ["Content-Type", "text/plain; charset=utf-8"],
            ["Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="],
            ["x-ms-blob-type", "BlockBlob"],
            ["x-ms-meta-b_key", "two  spaces"],
            ["x-ms-meta-key2", "x"],
            ["x-ms-meta-Key1", "y"],
          ],
          "hello",
        ),
    ],
    [
      "get blob with Range and a conditional header",
      () =>
        request("GET", blobUrl(`/sig/${ODD_NAME}`), [
          ["Range", "bytes=1-3"],
          ["If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"],
        ]),
    ],
    ["head blob", () => request("HEAD", blobUrl(`/sig/${ODD_NAME}`), [])],
    [
      "list blobs with a comma-joined include and a percent-encoded prefix",
      () =>
        request(
          "GET",
          blobUrl("/sig?restype=container&comp=list&include=metadata,snapshots&prefix=dir%2Fa&maxresults=5"),
          [],
        ),
    ],
    [
      "set metadata (comp=metadata)",
      () =>
        request("PUT", blobUrl(`/sig/${ODD_NAME}?comp=metadata`), [
          ["Content-Length", "0"],
          ["x-ms-meta-k", "v"],
        ]),
    ],
  ];

  for (const [title, make] of cases) {
    it(title, async () => {
      const r = await signAndSend(make());
      expect(r.logged[0]).toBe(r.ours);
      expect(r.response.status, r.response.body).toBeGreaterThanOrEqual(200);
      expect(r.response.status, r.response.body).toBeLessThan(300);
    });
  }

  it("the emulator's resource carries the account twice", async () => {
    const r = await signAndSend(request("GET", blobUrl("/sig?restype=container"), []));
    expect(r.response.status).toBe(200);
    expect(r.ours).toContain(`\n/${AZURITE_ACCOUNT}/${AZURITE_ACCOUNT}/sig\n`);
  });
});

describe("Azurite accepts our Queue and Table signatures (both schemes)", () => {
  const queueUrl = (p: string) => `${azurite.queueEndpoint}${p}`;
  const tableUrl = (p: string) => `${azurite.tableEndpoint}${p}`;

  it("queue: Shared Key create, Shared Key Lite put and get messages", async () => {
    const create = await signAndSend(
      request("PUT", queueUrl("/sigq"), [
        ["Content-Length", "0"],
        ["x-ms-meta-m", "1"],
      ]),
    );
    expect(create.response.status, create.response.body).toBe(201);
    expect(create.logged[0]).toBe(create.ours);
    const body = "<QueueMessage><MessageText>aGk=</MessageText></QueueMessage>";
    const put = await signAndSend(
      request(
        "POST",
        queueUrl("/sigq/messages?visibilitytimeout=0"),
        [
          ["Content-Length", String(body.length)],
          ["Content-Type", "application/xml"],
        ],
        body,
      ),
      "SharedKeyLite",
    );
    expect(put.response.status, put.response.body).toBe(201);
    expect(put.logged[0]).toBe(put.ours);
    const get = await signAndSend(
      request("GET", queueUrl("/sigq/messages?numofmessages=2&peekonly=true"), []),
      "SharedKeyLite",
    );
    expect(get.response.status, get.response.body).toBe(200);
  });

  it("table: Shared Key create table, Shared Key Lite insert entity with quoted keys", async () => {
    const json = (o: object) => JSON.stringify(o);
    const tableHeaders = (len: number): [string, string][] => [
      ["Content-Type", "application/json"],
      ["Accept", "application/json;odata=nometadata"],
      ["DataServiceVersion", "3.0;NetFx"],
      ["Content-Length", String(len)],
    ];
    const create = json({ TableName: "sigtable" });
    const made = await signAndSend(request("POST", tableUrl("/Tables"), tableHeaders(create.length), create));
    expect(made.response.status, made.response.body).toBe(201);
    expect(made.logged[0]).toBe(made.ours);
    const entity = json({ PartitionKey: "p'1", RowKey: "r é", n: 1 });
    const inserted = await signAndSend(
      request("POST", tableUrl("/sigtable"), tableHeaders(Buffer.byteLength(entity)), entity),
      "SharedKeyLite",
    );
    expect(inserted.response.status, inserted.response.body).toBe(201);
    const got = await signAndSend(
      request("GET", tableUrl("/sigtable(PartitionKey='p''1',RowKey='r%20%C3%A9')"), [
        ["Accept", "application/json;odata=nometadata"],
        ["DataServiceVersion", "3.0"],
      ]),
    );
    expect(got.response.status, got.response.body).toBe(200);
    expect(got.logged[0]).toBe(got.ours);
  });
});

describe("Azurite as the server in the failure stories: its logged string drives our diff", () => {
  it("an APM header added after signing → 403 without detail; the diff names the telemetry header", async () => {
    const req = request("GET", blobUrl("/sig?restype=container"), []);
    const r = await signAndSend(req, "SharedKey", (sent) => ({
      ...sent,
      headers: [...sent.headers, { name: "x-ms-request-root-id", value: "5e7f0ac1" }],
    }));
    expect(r.response.status).toBe(403);
    expect(r.response.body).toContain("<Code>AuthorizationFailure</Code>");
    expect(r.response.body).not.toContain("AuthenticationErrorDetail");
    const e = explainSignatureMismatch(req, r.logLines[0]!, { service: "blob" });
    expect(e.server.shape).toBe("azurite-log");
    expect(e.causes[0]).toMatchObject({ id: "telemetry-header-added", field: "x-ms-request-root-id" });
  });

  it("a proxy that decodes %2C → 403; the diff names the decoded escape", async () => {
    const req = request("GET", blobUrl(`/sig/${ODD_NAME}`), []);
    const r = await signAndSend(req, "SharedKey", (sent) => ({ ...sent, url: sent.url.replace("%2C", ",") }));
    expect(r.response.status).toBe(403);
    const e = explainSignatureMismatch(req, r.logLines[0]!, { service: "blob" });
    expect(e.causes[0]!.id).toBe("path-encoding-changed");
    expect(e.causes[0]!.explanation).toContain("'%2C' as ','");
  });

  it("a proxy that strips x-ms-date (Date sent too) → 403; the diff names the stripped header", async () => {
    const req = request("GET", blobUrl("/sig?restype=container"), [["Date", now()]]);
    const r = await signAndSend(req, "SharedKey", (sent) => ({
      ...sent,
      headers: sent.headers.filter((h) => h.name !== "x-ms-date"),
    }));
    expect(r.response.status).toBe(403);
    const e = explainSignatureMismatch(req, r.logLines[0]!, { service: "blob" });
    expect(e.causes[0]!.id).toBe("x-ms-date-stripped");
  });

  it("Azurite signs Content-Length 0 as empty whatever the version (Azure keeps 0 before 2015-02-21)", async () => {
    const req = request("PUT", blobUrl("/oldversion?restype=container"), [["Content-Length", "0"]]);
    req.headers = req.headers.map((h) => (h.name === "x-ms-version" ? { ...h, value: "2014-02-14" } : h));
    const r = await signAndSend(req);
    expect(r.ours.split("\n")[3]).toBe("0");
    expect(r.logged[0]!.split("\n")[3]).toBe("");
    expect(r.response.status).toBe(403);
    const e = explainSignatureMismatch(req, r.logLines[0]!, { service: "blob" });
    expect(e.causes[0]!.id).toBe("content-length-zero-rule");
  });

  it("Azurite has no Blob Shared Key Lite: a correct Lite signature is refused", async () => {
    const req = request("GET", blobUrl("/sig?restype=container"), []);
    const signed = signRequest(req, AZURITE_KEY, { scheme: "SharedKeyLite", service: "blob" });
    const response = await sendRaw({
      ...req,
      headers: [...req.headers, { name: "Authorization", value: signed.authorization }],
    });
    expect(response.status).toBe(403);
    expect(signed.stringToSign.text).toBe(
      buildStringToSign(req, { account: AZURITE_ACCOUNT, service: "blob", scheme: "SharedKeyLite" }).text,
    );
  });

  it("Azurite sorts x-ms-* names with ICU (hyphen first); the service and the SDKs ignore the hyphen first", async () => {
    const req = request("GET", blobUrl("/sig?restype=container"), [
      ["x-ms-meta-a-key", "x"],
      ["x-ms-meta-ab", "y"],
    ]);
    const r = await signAndSend(req);
    const order = (s: string) => s.split("\n").filter((l) => l.startsWith("x-ms-meta-"));
    expect(order(r.ours)).toEqual(["x-ms-meta-ab:y", "x-ms-meta-a-key:x"]);
    expect(order(r.logged[0]!)).toEqual(["x-ms-meta-a-key:x", "x-ms-meta-ab:y"]);
    expect(r.response.status).toBe(403);
    const e = explainSignatureMismatch(req, r.logLines[0]!, { service: "blob" });
    expect(e.causes.map((c) => c.id)).toEqual(["header-order"]);
  });

  it("Azurite's Queue Shared Key puts Content-Language before Content-Encoding (its Blob code and the spec do not)", async () => {
    const queue = (p: string) => `${azurite.queueEndpoint}${p}`;
    const body = "<QueueMessage><MessageText>aGk=</MessageText></QueueMessage>";
    const req = request(
      "POST",
      queue("/sigq2/messages"),
      [
        ["Content-Length", String(body.length)],
        ["Content-Encoding", "identity"],
      ],
      body,
    );
    const r = await signAndSend(req);
    expect(r.ours.split("\n").slice(1, 3)).toEqual(["identity", ""]);
    expect(r.logged[0]!.split("\n").slice(1, 3)).toEqual(["", "identity"]);
    expect(r.response.status).toBe(403);
  });

  it("Azurite signs the Date header's value even with x-ms-date present (Azure signs an empty line: Azurite#1385)", async () => {
    const req = request("GET", blobUrl("/sig?restype=container"), [["Date", now()]]);
    const r = await signAndSend(req);
    expect(r.ours.split("\n")[6]).toBe("");
    expect(r.logged[0]!.split("\n")[6]).toBe(req.headers.find((h) => h.name === "Date")!.value);
    expect(r.response.status).toBe(403);
    const e = explainSignatureMismatch(req, r.logLines[0]!, { service: "blob" });
    expect(e.causes.map((c) => c.id)).toEqual(["date-changed"]);
  });

  it("Azurite keeps only the last value of a repeated query parameter (the spec joins them)", async () => {
    const req = request(
      "GET",
      blobUrl("/sig?restype=container&comp=list&include=snapshots&include=metadata"),
      [],
    );
    const r = await signAndSend(req);
    expect(r.ours).toContain("\ninclude:metadata,snapshots\n");
    expect(r.logged[0]).toContain("\ninclude:metadata\n");
    expect(r.response.status).toBe(403);
  });
});
