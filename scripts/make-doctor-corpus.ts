/**
 * Makes the request doctor's corpus of REAL captures (test/doctor/captures/*.json): the real Azure SDKs
 * (@azure/storage-blob, @azure/storage-queue, @azure/data-tables) send their requests through a client-side
 * recorder (what a network capture on the client would show) to a small proxy on 127.0.0.1 that breaks
 * them the way proxies and gateways do, into Azurite (HTTPS with --oauth basic, so bearer tokens are
 * checked too, and --debug, so its string-to-sign can be read). Each failure is written twice:
 *
 * - `…azurite.json`: the request as the client sent it and Azurite's own answer;
 * - `…azure.json`: the same request and the answer Azure gives, built from Azurite's string-to-sign
 *   (`Server used following string to sign: '…'` for Shared Key, `Signature did not match. String to sign
 *   used was …` for SAS) or, for bearer tokens, Azure's 401 with its WWW-Authenticate challenge.
 *
 * Each file carries what was broken (`story`) and the expected verdict and first cause, stated from the
 * scenario (what the proxy or the client did), never from running the doctor.
 *
 *   npm run corpus:doctor            (tsc -p scripts/tsconfig.json, then node dist/scripts/make-doctor-corpus.js)
 */
import { execFileSync } from "node:child_process";
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkoutRoot } from "./checkout-root.js";
import { createHttpHeaders, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";
import { AzureNamedKeyCredential, AzureSASCredential, TableClient } from "@azure/data-tables";
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobSASPermissions,
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
  type UserDelegationKey,
} from "@azure/storage-blob";
import {
  QueueSASPermissions,
  QueueServiceClient,
  StorageSharedKeyCredential as QueueKeyCredential,
  generateQueueSASQueryParameters,
} from "@azure/storage-queue";
import type { TokenCredential } from "@azure/core-auth";
import { AZURITE_ACCOUNT, AZURITE_KEY, freePorts, startAzurite } from "../src/local/azurite.js";
import type { Decision } from "../src/model/incident.js";
import type { HttpHeader } from "../src/signature/http-request.js";
import { signRequest } from "../src/signature/sign.js";

type Service = "blob" | "queue" | "table";

/** One capture file. `request` + `response` is what `auth-triage explain --request FILE` reads. */
export interface CaptureFile {
  name: string;
  /** What was broken, in words. */
  story: string;
  service: Service;
  /** The scheme the client used. */
  scheme: "SharedKey" | "SharedKeyLite" | "SAS" | "Bearer" | "Anonymous" | "None";
  sasKind?: "account" | "service" | "user-delegation";
  /** Whose answer the response is. */
  answer: "azurite" | "azure" | "gateway" | "proxy";
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
  response: { status: number; headers: Array<[string, string]>; body: string };
  /** Options explain needs for this capture (e.g. the account key's env var name). */
  options?: { keyEnv?: string; service?: Service; account?: string };
  expect: { decision: Decision; firstProblem: string; scheme: string };
  /** Values that must never appear in the doctor's output (signatures, tokens). */
  secrets: string[];
}

const ROOT = checkoutRoot(import.meta.url);
export const CAPTURE_DIR = join(ROOT, "test", "doctor", "captures");
/** The env var a capture's `options.keyEnv` names; tests set it to Azurite's published key. */
export const KEY_ENV = "DOCTOR_CORPUS_ACCOUNT_KEY";
const WRONG_KEY = Buffer.from("a key the account never had: corpus only").toString("base64");
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OTHER_TENANT = "0f2c6a8e-1111-4c2b-9c1e-5a3b2c1d0e9f";

// ---------------------------------------------------------------------------------------------------
// The middlebox: a proxy that forwards to Azurite after applying the current mutation.

interface Forwarded {
  method: string;
  path: string;
  headers: HttpHeader[];
}
type Mutation = (
  r: Forwarded,
) => Forwarded | { status: number; headers: Array<[string, string]>; body: string };

class BreakingProxy {
  mutation: Mutation | undefined;
  private server: Server | undefined;
  port = 0;
  constructor(
    private readonly upstreamPort: number,
    private readonly tls: boolean,
  ) {}

  async start(): Promise<void> {
    [this.port] = (await freePorts(1)) as [number];
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: import("node:http").ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers: HttpHeader[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push({ name: req.rawHeaders[i]!, value: req.rawHeaders[i + 1]! });
    const incoming: Forwarded = { method: req.method ?? "GET", path: req.url ?? "/", headers };
    const out = this.mutation ? this.mutation(incoming) : incoming;
    if ("status" in out) {
      res.writeHead(out.status, Object.fromEntries(out.headers));
      res.end(out.body);
      return;
    }
    const flat: string[] = [];
    for (const h of out.headers) {
      if (h.name.toLowerCase() === "host") continue;
      flat.push(h.name, h.value);
    }
    flat.unshift("Host", `127.0.0.1:${this.upstreamPort}`);
    const send = this.tls ? httpsRequest : httpRequest;
    const up = send(
      {
        host: "127.0.0.1",
        port: this.upstreamPort,
        method: out.method,
        path: out.path,
        headers: flat,
        ...(this.tls ? { rejectUnauthorized: false } : {}), // Azurite's throwaway self-signed certificate
      },
      (upRes) => {
        const rawOut: string[] = [];
        for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
          const n = upRes.rawHeaders[i]!;
          if (/^(connection|keep-alive|transfer-encoding)$/i.test(n)) continue;
          rawOut.push(n, upRes.rawHeaders[i + 1]!);
        }
        res.writeHead(upRes.statusCode ?? 502, rawOut);
        upRes.pipe(res);
      },
    );
    up.on("error", (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    up.end(body.length > 0 ? body : undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// The client side: an HttpClient for the SDKs that records exactly what they send and receive, and sends
// it to the proxy (the SDK believes it talks HTTPS to 127.0.0.1:<proxy port>).

interface Recorded {
  method: string;
  url: string;
  headers: HttpHeader[];
  body?: string;
  response: { status: number; headers: Array<[string, string]>; body: string };
}

interface CompatHeaders {
  headersArray(): { name: string; value: string }[];
}

function headerList(h: PipelineRequest["headers"] | CompatHeaders): HttpHeader[] {
  if ("headersArray" in h && typeof h.headersArray === "function")
    return h.headersArray().map(({ name, value }) => ({ name, value }));
  const out: HttpHeader[] = [];
  for (const [name, value] of h as PipelineRequest["headers"]) out.push({ name, value });
  return out;
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  throw new Error(`corpus recorder: unsupported request body type ${typeof body}`);
}

class RecordingClient implements HttpClient {
  readonly log: Recorded[] = [];
  /** Extra step after the SDK signed: used to re-sign with Shared Key Lite or a wrong key. */
  resign: ((r: { method: string; url: string; headers: HttpHeader[] }) => HttpHeader[]) | undefined;

  async sendRequest(request: PipelineRequest): Promise<import("@azure/core-rest-pipeline").PipelineResponse> {
    let headers = headerList(request.headers as PipelineRequest["headers"] | CompatHeaders);
    const body = bodyText(request.body);
    if (this.resign) headers = this.resign({ method: request.method, url: request.url, headers });
    const url = new URL(request.url);
    const flat: string[] = ["Host", url.host];
    for (const h of headers) if (h.name.toLowerCase() !== "host") flat.push(h.name, h.value);
    if (body !== undefined && !headers.some((h) => h.name.toLowerCase() === "content-length"))
      flat.push("Content-Length", String(Buffer.byteLength(body)));
    const res = await new Promise<{ status: number; headers: Array<[string, string]>; body: string }>(
      (resolveRes, reject) => {
        const r = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: request.method,
            path: url.pathname + url.search,
            headers: flat,
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on("data", (c: Buffer) => chunks.push(c));
            incoming.on("end", () => {
              const hs: Array<[string, string]> = [];
              for (let i = 0; i < incoming.rawHeaders.length; i += 2)
                hs.push([incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!]);
              resolveRes({
                status: incoming.statusCode ?? 0,
                headers: hs,
                body: Buffer.concat(chunks).toString("utf8"),
              });
            });
          },
        );
        r.on("error", reject);
        r.end(body);
      },
    );
    this.log.push({
      method: request.method,
      url: request.url,
      headers: [{ name: "Host", value: url.host }, ...headers],
      ...(body !== undefined ? { body } : {}),
      response: res,
    });
    const responseHeaders = createHttpHeaders(
      Object.fromEntries(res.headers.map(([n, v]) => [n.toLowerCase(), v])),
    );
    const compat = Object.assign(responseHeaders, {
      toJson: (o?: { preserveCase?: boolean }) => responseHeaders.toJSON(o),
      headersArray: () => [...responseHeaders].map(([name, value]) => ({ name, value })),
      rawHeaders: () => responseHeaders.toJSON(),
    });
    const { Readable } = await import("node:stream");
    return {
      request,
      status: res.status,
      headers: compat,
      bodyAsText: res.body,
      readableStreamBody: Readable.from([Buffer.from(res.body)]),
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Tokens: minted with a throwaway RSA key (Azurite's basic OAuth does not verify signatures, Azure would).

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const b64url = (s: string | Buffer) =>
  Buffer.from(s).toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export function mintToken(claims: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "corpus" }));
  const body = b64url(JSON.stringify(claims));
  const sig = createSign("RSA-SHA256").update(`${head}.${body}`).sign(privateKey);
  return `${head}.${body}.${b64url(sig)}`;
}

const epoch = (ms: number) => Math.floor(ms / 1000);

export function tokenClaims(
  shape: "v1" | "v2",
  opts: {
    aud?: string;
    tenant?: string;
    expMin?: number;
    nbfMin?: number;
    scp?: string | null;
    roles?: string[];
  },
): Record<string, unknown> {
  const now = Date.now();
  const tenant = opts.tenant ?? TENANT;
  const base: Record<string, unknown> = {
    aud: opts.aud ?? (shape === "v1" ? "https://storage.azure.com" : "https://storage.azure.com"),
    iss:
      shape === "v1"
        ? `https://sts.windows.net/${tenant}/`
        : `https://login.microsoftonline.com/${tenant}/v2.0`,
    iat: epoch(now + (opts.nbfMin ?? -5) * 60_000),
    nbf: epoch(now + (opts.nbfMin ?? -5) * 60_000),
    exp: epoch(now + (opts.expMin ?? 55) * 60_000),
    tid: tenant,
    oid: "6f1d3c2b-aaaa-4bbb-8ccc-123456789abc",
    ver: shape === "v1" ? "1.0" : "2.0",
  };
  if (shape === "v1") base["appid"] = "11111111-2222-3333-4444-555555555555";
  else base["azp"] = "11111111-2222-3333-4444-555555555555";
  if (opts.scp !== null) base["scp"] = opts.scp ?? "user_impersonation";
  if (opts.roles) base["roles"] = opts.roles;
  if (opts.scp !== undefined || opts.roles) base["upn"] = "dev@contoso.example";
  return base;
}

const staticToken = (token: string): TokenCredential => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
});

// ---------------------------------------------------------------------------------------------------
// Azure-shaped answers

const xmlEscape = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

function requestIdOf(r: Recorded): string {
  return r.response.headers.find(([n]) => n.toLowerCase() === "x-ms-request-id")?.[1] ?? randomUUID();
}

function azureError(
  r: Recorded,
  status: number,
  code: string,
  message: string,
  detail: string | undefined,
  extra: Array<[string, string]> = [],
  service: Service = "blob",
): Recorded["response"] {
  const requestId = requestIdOf(r);
  const time = new Date(Date.parse(dateOf(r.response.headers) ?? new Date().toUTCString())).toISOString();
  const fullMessage = `${message}\nRequestId:${requestId}\nTime:${time.replace(/\.(\d{3})Z$/, ".$10000Z")}`;
  const date = dateOf(r.response.headers) ?? new Date().toUTCString();
  if (service === "table") {
    const body = JSON.stringify({
      "odata.error": {
        code,
        message: { lang: "en-US", value: `${fullMessage}${detail ? `\n${detail}` : ""}` },
      },
    });
    return {
      status,
      headers: [
        ["Content-Type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"],
        ["Server", "Windows-Azure-Table/1.0 Microsoft-HTTPAPI/2.0"],
        ["x-ms-request-id", requestId],
        ["x-ms-version", "2019-02-02"],
        ["x-ms-error-code", code],
        ["Date", date],
        ...extra,
      ],
      body,
    };
  }
  const body =
    `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${xmlEscape(fullMessage)}</Message>` +
    (detail !== undefined
      ? `<AuthenticationErrorDetail>${xmlEscape(detail)}</AuthenticationErrorDetail>`
      : "") +
    `</Error>`;
  return {
    status,
    headers: [
      ["Content-Length", String(Buffer.byteLength(body))],
      ["Content-Type", "application/xml"],
      [
        "Server",
        service === "queue"
          ? "Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0"
          : "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
      ],
      ["x-ms-request-id", requestId],
      ["x-ms-error-code", code],
      ["Date", date],
      ...extra,
    ],
    body,
  };
}

function dateOf(headers: Array<[string, string]>): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === "date")?.[1];
}

function authorizationSignature(r: Recorded): string | undefined {
  const auth = r.headers.find((h) => h.name.toLowerCase() === "authorization")?.value;
  return auth ? /:(\S+)$/.exec(auth)?.[1] : undefined;
}

function sasSignature(r: Recorded): string | undefined {
  return new URL(r.url).searchParams.get("sig") ?? undefined;
}

function bearerToken(r: Recorded): string | undefined {
  const auth = r.headers.find((h) => h.name.toLowerCase() === "authorization")?.value;
  return auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Azurite's debug log: the string-to-sign of the last request.

class DebugLog {
  private offset = 0;
  constructor(private readonly path: string) {}
  mark(): void {
    this.offset = statSizeOf(this.path);
  }
  async sinceMark(): Promise<string> {
    // The log is written asynchronously; give it a moment to settle.
    let last = -1;
    for (let i = 0; i < 40; i++) {
      const size = statSizeOf(this.path);
      if (size === last && size > this.offset) break;
      last = size;
      await new Promise((r) => setTimeout(r, 50));
    }
    return readFileSync(this.path, "utf8").slice(this.offset);
  }
}

function statSizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function sharedKeyStringToSign(log: string): string | undefined {
  const m = /\[STRING TO SIGN\]:("(?:[^"\\]|\\.)*")/.exec(log);
  return m ? (JSON.parse(m[1]!) as string) : undefined;
}

function sasStringToSign(log: string): string | undefined {
  const m = /String to sign is: ("(?:[^"\\]|\\.)*")/.exec(log);
  return m ? (JSON.parse(m[1]!) as string) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

interface Expect {
  decision: Decision;
  firstProblem: string;
}

interface Scenario {
  name: string;
  story: string;
  service: Service;
  scheme: CaptureFile["scheme"];
  sasKind?: CaptureFile["sasKind"];
  /** What the capture proxy does to the request. */
  mutation?: Mutation;
  /** Re-signs after the SDK (Shared Key Lite, a wrong key). */
  resign?: RecordingClient["resign"];
  /** The failing call (setup calls run before, without mutation). */
  run: (ctx: Ctx, client: RecordingClient) => Promise<unknown>;
  /** Expected diagnosis of the capture with Azurite's own answer; omitted when Azurite accepts the request. */
  azurite?: Expect;
  /** How to build Azure's answer and what it should diagnose to. */
  azure?: { expect: Expect; build: (r: Recorded, log: string) => Recorded["response"] };
  options?: CaptureFile["options"];
}

interface Ctx {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  udk?: UserDelegationKey;
  /** The setup calls (all succeeded), for the several-requests HAR. */
  setupLog?: Recorded[];
}

const blobKey = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
const queueKey = new QueueKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
const wrongBlobKey = new StorageSharedKeyCredential(AZURITE_ACCOUNT, WRONG_KEY);
const wrongQueueKey = new QueueKeyCredential(AZURITE_ACCOUNT, WRONG_KEY);

const noRetry = { retryOptions: { maxTries: 1 } };

function blobClient(
  ctx: Ctx,
  client: RecordingClient,
  cred: StorageSharedKeyCredential | TokenCredential | undefined,
  sas = "",
) {
  // The storage SDKs adapt an injected core HttpClient through @azure/core-http-compat; their typings name the legacy shape.
  return new BlobServiceClient(`${ctx.blobUrl}${sas}`, cred, { httpClient: client as never, ...noRetry });
}
function queueClient(
  ctx: Ctx,
  client: RecordingClient,
  cred: QueueKeyCredential | TokenCredential | undefined,
  sas = "",
) {
  return new QueueServiceClient(`${ctx.queueUrl}${sas}`, cred, { httpClient: client as never, ...noRetry });
}
function tableClient(
  ctx: Ctx,
  client: RecordingClient,
  table: string,
  cred: AzureNamedKeyCredential | AzureSASCredential | TokenCredential,
) {
  return new TableClient(ctx.tableUrl, table, cred as AzureNamedKeyCredential, {
    httpClient: client,
    retryOptions: { maxRetries: 0 },
    allowInsecureConnection: true,
  });
}

const setHeader = (r: Forwarded, name: string, value: string | undefined): Forwarded => {
  const headers = r.headers.filter((h) => h.name.toLowerCase() !== name.toLowerCase());
  if (value !== undefined) headers.push({ name, value });
  return { ...r, headers };
};
const rewriteDate = (r: Forwarded): Forwarded => {
  const sent = r.headers.find((h) => h.name.toLowerCase() === "x-ms-date")?.value ?? new Date().toUTCString();
  // A gateway that re-stamps x-ms-date with its own clock, a few seconds later.
  return setHeader(r, "x-ms-date", new Date(Date.parse(sent) + 7_000).toUTCString());
};
const stripDate = (r: Forwarded): Forwarded => setHeader(r, "x-ms-date", undefined);
const addContentType = (r: Forwarded): Forwarded =>
  setHeader(r, "Content-Type", "application/x-www-form-urlencoded");
const appendCharset = (r: Forwarded): Forwarded => {
  const ct = r.headers.find((h) => h.name.toLowerCase() === "content-type")?.value ?? "application/json";
  return setHeader(r, "Content-Type", `${ct}; charset=utf-8`);
};
const decodeComma = (r: Forwarded): Forwarded => ({ ...r, path: r.path.replace(/%2C/gi, ",") });
/** A gateway that encodes the blob name's "/" as %2F (everything after the container). */
const encodeSlash = (r: Forwarded): Forwarded => {
  const [path, query] = r.path.split("?");
  const parts = path!.split("/"); // "", account, container, …name
  const fixed = [...parts.slice(0, 3), parts.slice(3).join("%2F")].join("/");
  return { ...r, path: query !== undefined ? `${fixed}?${query}` : fixed };
};

/** Re-signs with the project's signer (Shared Key Lite, or full Shared Key for Table), optionally with another key. */
function resignWith(scheme: "SharedKey" | "SharedKeyLite", service: Service, key = AZURITE_KEY) {
  return (r: { method: string; url: string; headers: HttpHeader[] }): HttpHeader[] => {
    const headers = r.headers.filter((h) => h.name.toLowerCase() !== "authorization");
    const signed = signRequest({ method: r.method, url: r.url, headers }, key, {
      account: AZURITE_ACCOUNT,
      service,
      scheme,
    });
    return [...headers, { name: "Authorization", value: signed.authorization }];
  };
}

function azureSharedKeyAnswer(service: Service) {
  return (r: Recorded, log: string): Recorded["response"] => {
    const sts = sharedKeyStringToSign(log);
    if (sts === undefined) throw new Error("Azurite logged no [STRING TO SIGN] for this request");
    return azureError(
      r,
      403,
      "AuthenticationFailed",
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
      `The MAC signature found in the HTTP request '${authorizationSignature(r)}' is not the same as any computed signature. Server used following string to sign: '${sts}'.`,
      [],
      service,
    );
  };
}

function azureSasAnswer(service: Service, detail?: (sts: string) => string) {
  return (r: Recorded, log: string): Recorded["response"] => {
    const sts = sasStringToSign(log);
    if (sts === undefined) throw new Error("Azurite logged no SAS string-to-sign for this request");
    return azureError(
      r,
      403,
      "AuthenticationFailed",
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
      detail ? detail(sts) : `Signature did not match. String to sign used was ${sts}`,
      [],
      service,
    );
  };
}

/** Azure's answer to a SAS that is valid but lacks the operation's permission. */
function azurePermissionAnswer(service: Service) {
  return (r: Recorded): Recorded["response"] =>
    azureError(
      r,
      403,
      "AuthorizationPermissionMismatch",
      "This request is not authorized to perform this operation using this permission.",
      undefined,
      [],
      service,
    );
}

function azureSasTimeAnswer(service: Service, which: "expired" | "future") {
  return (r: Recorded): Recorded["response"] => {
    const q = new URL(r.url).searchParams;
    const detail =
      which === "expired"
        ? `Signed expiry time [${new Date(q.get("se")!).toUTCString()}] must be after signed start time [${new Date(q.get("st") ?? Date.now()).toUTCString()}]`
        : `Signature not valid in the specified time frame: Start [${new Date(q.get("st")!).toUTCString()}] - Expiry [${new Date(q.get("se")!).toUTCString()}] - Current [${new Date(Date.parse(dateOf(r.response.headers) ?? "")).toUTCString()}]`;
    return azureError(
      r,
      403,
      "AuthenticationFailed",
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
      detail,
      [],
      service,
    );
  };
}

function azureBearerAnswer(
  service: Service,
  detail: string,
  opts: { tenant?: string; status?: number; code?: string } = {},
) {
  return (r: Recorded): Recorded["response"] =>
    azureError(
      r,
      opts.status ?? 401,
      opts.code ?? "InvalidAuthenticationInfo",
      opts.code === "AuthorizationPermissionMismatch"
        ? "This request is not authorized to perform this operation using this permission."
        : "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
      opts.code === "AuthorizationPermissionMismatch" ? undefined : detail,
      opts.code === "AuthorizationPermissionMismatch"
        ? []
        : [
            [
              "WWW-Authenticate",
              `Bearer authorization_uri=https://login.microsoftonline.com/${opts.tenant ?? TENANT}/oauth2/authorize resource_id=https://storage.azure.com`,
            ],
          ],
      service,
    );
}

const hour = 3_600_000;
const ok = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch {
    // The failure is the point: the recorder has the exchange.
  }
};

const sk = (decision: Decision, firstProblem: string): Expect => ({ decision, firstProblem });

function blobServiceSas(opts: {
  container?: string;
  blob?: string;
  permissions: string;
  st?: number;
  se?: number;
  key?: StorageSharedKeyCredential;
  udk?: UserDelegationKey;
}): string {
  const values = {
    containerName: opts.container ?? "reports",
    blobName: opts.blob,
    permissions: opts.blob
      ? BlobSASPermissions.parse(opts.permissions)
      : ContainerSASPermissions.parse(opts.permissions),
    startsOn: opts.st !== undefined ? new Date(Date.now() + opts.st) : undefined,
    expiresOn: new Date(Date.now() + (opts.se ?? hour)),
    version: "2025-01-05",
  };
  const q = opts.udk
    ? generateBlobSASQueryParameters(values, opts.udk, AZURITE_ACCOUNT)
    : generateBlobSASQueryParameters(values, opts.key ?? blobKey);
  return `?${q.toString()}`;
}

function accountSas(opts: {
  services: string;
  types: string;
  permissions: string;
  st?: number;
  se?: number;
  key?: StorageSharedKeyCredential;
}): string {
  return `?${generateAccountSASQueryParameters(
    {
      services: AccountSASServices.parse(opts.services).toString(),
      resourceTypes: AccountSASResourceTypes.parse(opts.types).toString(),
      permissions: AccountSASPermissions.parse(opts.permissions),
      startsOn: opts.st !== undefined ? new Date(Date.now() + opts.st) : undefined,
      expiresOn: new Date(Date.now() + (opts.se ?? hour)),
      version: "2025-01-05",
    },
    opts.key ?? blobKey,
  ).toString()}`;
}

function queueSas(
  permissions: string,
  opts: { st?: number; se?: number; key?: QueueKeyCredential } = {},
): string {
  return `?${generateQueueSASQueryParameters(
    {
      queueName: "orders",
      permissions: QueueSASPermissions.parse(permissions),
      startsOn: opts.st !== undefined ? new Date(Date.now() + opts.st) : undefined,
      expiresOn: new Date(Date.now() + (opts.se ?? hour)),
      version: "2025-01-05",
    },
    opts.key ?? queueKey,
  ).toString()}`;
}

/** Table service SAS, built by @azure/data-tables' own builder. */
async function tableSas(permissions: string, opts: { st?: number; se?: number } = {}): Promise<string> {
  const { generateTableSas } = await import("@azure/data-tables");
  const [read, add, update, del] = ["r", "a", "u", "d"].map((p) => permissions.includes(p));
  return generateTableSas("inventory", new AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), {
    permissions: { query: read, add, update, delete: del },
    startsOn: opts.st !== undefined ? new Date(Date.now() + opts.st) : undefined,
    expiresOn: new Date(Date.now() + (opts.se ?? hour)),
    version: "2019-02-02",
  });
}

const SCENARIOS: Scenario[] = [
  // ---------------- Blob, Shared Key
  {
    name: "blob-sharedkey-wrong-key",
    story: "The client signs with a key the account does not have (a rotated key).",
    service: "blob",
    scheme: "SharedKey",
    run: (ctx, c) =>
      ok(blobClient(ctx, c, wrongBlobKey).getContainerClient("reports").getBlobClient("q3.csv").download()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: { expect: sk("authentication", "signature-identical"), build: azureSharedKeyAnswer("blob") },
    options: { keyEnv: KEY_ENV },
  },
  {
    name: "blob-sharedkey-xmsdate-rewritten",
    story: "A gateway re-stamps x-ms-date with its own time after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: rewriteDate,
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("q3.csv").download()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-date-changed"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-xmsdate-stripped",
    story: "A proxy strips x-ms-date after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: stripDate,
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("q3.csv").download()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-x-ms-date-stripped"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-content-type-added",
    story: "A proxy adds Content-Type to a GET after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: addContentType,
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("q3.csv").getProperties()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-content-type-added"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-comma-decoded",
    story: "A reverse proxy decodes %2C in the blob name before forwarding.",
    service: "blob",
    scheme: "SharedKey",
    mutation: decodeComma,
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("q3,final.csv").download()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-path-encoding-changed"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-slash-encoded",
    story: "A gateway encodes the '/' of a virtual directory as %2F.",
    service: "blob",
    scheme: "SharedKey",
    mutation: encodeSlash,
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("2026/q3.csv").download()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-path-encoding-changed"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-space-double-encoded",
    story:
      "A reverse proxy (nginx proxy_pass with a URI part) encodes the '%' of '%20' again after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: (r) => ({ ...r, path: r.path.replace(/%20/g, "%2520") }),
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, blobKey)
          .getContainerClient("reports")
          .getBlobClient("q3 final.csv")
          .getProperties(),
      ),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-path-double-encoded"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-path-lowercased",
    story: "A lower-case URL rule in front of Storage lower-cases the path after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: (r) => ({ ...r, path: r.path.toLowerCase() }),
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("Q3.csv").getProperties()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-path-case-changed"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-conditional-added",
    story: "A caching proxy adds If-None-Match to revalidate a GET after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: (r) => setHeader(r, "If-None-Match", '"0x8DCC2CD9D9D588A"'),
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("q3.csv").download()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-standard-header-changed"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkey-query-added",
    story: "A gateway appends a cache-busting query parameter after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: (r) => ({ ...r, path: `${r.path}${r.path.includes("?") ? "&" : "?"}_=1764930000000` }),
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("q3.csv").getProperties()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: { expect: sk("authentication", "signature-query-changed"), build: azureSharedKeyAnswer("blob") },
  },
  {
    name: "blob-sharedkey-metadata-added",
    story: "An upload proxy adds an x-ms-meta-* header after the client signed.",
    service: "blob",
    scheme: "SharedKey",
    mutation: (r) => setHeader(r, "x-ms-meta-edge", "fra1"),
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, blobKey)
          .getContainerClient("reports")
          .getBlockBlobClient("upload.txt")
          .upload("hello", 5),
      ),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-header-added-after-signing"),
      build: azureSharedKeyAnswer("blob"),
    },
  },
  {
    name: "blob-sharedkeylite-wrong-key",
    story: "Shared Key Lite signed with a key the account does not have.",
    service: "blob",
    scheme: "SharedKeyLite",
    resign: resignWith("SharedKeyLite", "blob", WRONG_KEY),
    run: (ctx, c) =>
      ok(blobClient(ctx, c, blobKey).getContainerClient("reports").getBlobClient("q3.csv").download()),
    // Azurite's blob service does not implement Shared Key Lite at all.
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-identical"),
      // Azurite logs no blob Lite string: Azure's is the Lite layout of the request as it arrived.
      build: (r) => {
        const arrived = {
          method: r.method,
          url: r.url,
          headers: r.headers.filter((h) => h.name.toLowerCase() !== "authorization"),
        };
        const sts = signRequest(arrived, AZURITE_KEY, {
          account: AZURITE_ACCOUNT,
          service: "blob",
          scheme: "SharedKeyLite",
        }).stringToSign.text;
        return azureSharedKeyAnswer("blob")(r, `[STRING TO SIGN]:${JSON.stringify(sts)}`);
      },
    },
  },
  // ---------------- Blob, SAS
  {
    name: "blob-sas-service-expired",
    story: "A service SAS used after its expiry.",
    service: "blob",
    scheme: "SAS",
    sasKind: "service",
    run: (ctx, c) =>
      ok(
        blobClient(
          ctx,
          c,
          undefined,
          blobServiceSas({ blob: "q3.csv", permissions: "r", st: -3 * hour, se: -hour }),
        )
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    azurite: sk("sas", "sas-expired"),
    azure: { expect: sk("sas", "sas-expired"), build: azureSasTimeAnswer("blob", "expired") },
  },
  {
    name: "blob-sas-service-not-yet-valid",
    story: "A service SAS whose start time is two hours in the future.",
    service: "blob",
    scheme: "SAS",
    sasKind: "service",
    run: (ctx, c) =>
      ok(
        blobClient(
          ctx,
          c,
          undefined,
          blobServiceSas({ blob: "q3.csv", permissions: "r", st: 2 * hour, se: 4 * hour }),
        )
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    azurite: sk("sas", "sas-not-yet-valid"),
    azure: { expect: sk("sas", "sas-not-yet-valid"), build: azureSasTimeAnswer("blob", "future") },
  },
  {
    name: "blob-sas-service-missing-permission",
    story: "A read-only blob SAS used to upload.",
    service: "blob",
    scheme: "SAS",
    sasKind: "service",
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, undefined, blobServiceSas({ blob: "q3.csv", permissions: "r" }))
          .getContainerClient("reports")
          .getBlockBlobClient("q3.csv")
          .upload("a,b\n1,2\n", 8),
      ),
    azurite: sk("sas", "sas-permission-mismatch"),
    azure: { expect: sk("sas", "sas-permission-mismatch"), build: azurePermissionAnswer("blob") },
  },
  {
    name: "blob-sas-service-wrong-resource",
    story: "A SAS for one blob (sr=b) used to list the container.",
    service: "blob",
    scheme: "SAS",
    sasKind: "service",
    run: async (ctx, c) => {
      const it = blobClient(ctx, c, undefined, blobServiceSas({ blob: "q3.csv", permissions: "r" }))
        .getContainerClient("reports")
        .listBlobsFlat();
      await ok(it.next());
    },
    azurite: sk("sas", "sas-resource-level"),
    azure: { expect: sk("sas", "sas-resource-level"), build: azurePermissionAnswer("blob") },
  },
  {
    name: "blob-sas-account-wrong-key",
    story: "An account SAS minted with a key the account does not have.",
    service: "blob",
    scheme: "SAS",
    sasKind: "account",
    run: (ctx, c) =>
      ok(
        blobClient(
          ctx,
          c,
          undefined,
          accountSas({ services: "b", types: "sco", permissions: "rl", key: wrongBlobKey }),
        )
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    azurite: sk("sas", "sas-signature-rejected"),
    azure: { expect: sk("sas", "sas-wrong-key"), build: azureSasAnswer("blob") },
    options: { keyEnv: KEY_ENV },
  },
  {
    name: "blob-sas-account-resource-type",
    story: "An account SAS for the service level only (srt=s) used to read a blob.",
    service: "blob",
    scheme: "SAS",
    sasKind: "account",
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, undefined, accountSas({ services: "b", types: "s", permissions: "rl" }))
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    azurite: sk("sas", "sas-resource-type-mismatch"),
    azure: {
      expect: sk("sas", "sas-resource-type-mismatch"),
      build: (r) =>
        azureError(
          r,
          403,
          "AuthorizationResourceTypeMismatch",
          "This request is not authorized to perform this operation using this resource type.",
          undefined,
        ),
    },
  },
  {
    name: "blob-sas-userdelegation-missing-permission",
    story: "A user delegation SAS with read only, used to delete a blob.",
    service: "blob",
    scheme: "SAS",
    sasKind: "user-delegation",
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, undefined, blobServiceSas({ blob: "q3.csv", permissions: "r", udk: ctx.udk }))
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .delete(),
      ),
    azurite: sk("sas", "sas-permission-mismatch"),
    azure: { expect: sk("sas", "sas-permission-mismatch"), build: azurePermissionAnswer("blob") },
  },
  // ---------------- Blob, bearer
  {
    name: "blob-bearer-v1-wrong-audience",
    story: "A v1 token requested for Azure Resource Manager instead of Storage.",
    service: "blob",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        blobClient(
          ctx,
          c,
          staticToken(mintToken(tokenClaims("v1", { aud: "https://management.azure.com/" }))),
        )
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    azurite: sk("authentication", "bearer-wrong-audience"),
    azure: {
      expect: sk("authentication", "bearer-wrong-audience"),
      build: azureBearerAnswer("blob", "Audience validation failed. Audience did not match."),
    },
  },
  {
    name: "blob-bearer-v2-wrong-audience",
    story: "A v2 token for the client's own API (api://…) instead of Storage.",
    service: "blob",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        blobClient(
          ctx,
          c,
          staticToken(mintToken(tokenClaims("v2", { aud: "api://11111111-2222-3333-4444-555555555555" }))),
        )
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    azurite: sk("authentication", "bearer-wrong-audience"),
    azure: {
      expect: sk("authentication", "bearer-wrong-audience"),
      build: azureBearerAnswer("blob", "Audience validation failed. Audience did not match."),
    },
  },
  {
    name: "blob-bearer-v1-expired",
    story: "A v1 token used ten minutes after it expired.",
    service: "blob",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, staticToken(mintToken(tokenClaims("v1", { nbfMin: -70, expMin: -10 }))))
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    azurite: sk("authentication", "bearer-expired"),
    azure: {
      expect: sk("authentication", "bearer-expired"),
      build: azureBearerAnswer("blob", "Lifetime validation failed. The token is expired."),
    },
  },
  {
    name: "blob-bearer-v2-wrong-tenant",
    story: "A v2 token from another tenant than the account's.",
    service: "blob",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, staticToken(mintToken(tokenClaims("v2", { tenant: OTHER_TENANT }))))
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    // Azurite does not check the tenant, but refuses every v2 issuer (login.microsoftonline.com/…/v2.0).
    azurite: sk("authentication", "bearer-emulator-v2-issuer"),
    azure: {
      expect: sk("authentication", "bearer-wrong-tenant"),
      build: azureBearerAnswer("blob", "Issuer validation failed. Issuer did not match."),
    },
  },
  {
    name: "blob-bearer-v1-missing-scope",
    story: "A delegated token for Storage without the user_impersonation scope.",
    service: "blob",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        blobClient(ctx, c, staticToken(mintToken(tokenClaims("v1", { scp: "openid profile" }))))
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      ),
    // Azurite skips the scope check: it accepts the token.
    azure: {
      expect: sk("authentication", "bearer-missing-scope"),
      build: azureBearerAnswer("blob", "", { status: 403, code: "AuthorizationPermissionMismatch" }),
    },
  },
  // ---------------- Queue, Shared Key and Lite
  {
    name: "queue-sharedkey-wrong-key",
    story: "The client signs with a key the account does not have.",
    service: "queue",
    scheme: "SharedKey",
    run: (ctx, c) => ok(queueClient(ctx, c, wrongQueueKey).getQueueClient("orders").sendMessage("order 42")),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: { expect: sk("authentication", "signature-identical"), build: azureSharedKeyAnswer("queue") },
    options: { keyEnv: KEY_ENV },
  },
  {
    name: "queue-sharedkey-content-type-added",
    story: "A proxy replaces the Content-Type of the message POST after signing.",
    service: "queue",
    scheme: "SharedKey",
    mutation: addContentType,
    run: (ctx, c) => ok(queueClient(ctx, c, queueKey).getQueueClient("orders").sendMessage("order 42")),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-content-type-changed"),
      build: azureSharedKeyAnswer("queue"),
    },
  },
  {
    name: "queue-sharedkey-version-pinned",
    story: "A gateway pins x-ms-version to an older version after the client signed.",
    service: "queue",
    scheme: "SharedKey",
    mutation: (r) => setHeader(r, "x-ms-version", "2019-12-12"),
    run: (ctx, c) => ok(queueClient(ctx, c, queueKey).getQueueClient("orders").sendMessage("hi")),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-version-changed"),
      build: azureSharedKeyAnswer("queue"),
    },
  },
  {
    name: "queue-sharedkeylite-wrong-key",
    story: "Shared Key Lite signed with a key the account does not have.",
    service: "queue",
    scheme: "SharedKeyLite",
    resign: resignWith("SharedKeyLite", "queue", WRONG_KEY),
    run: (ctx, c) => ok(queueClient(ctx, c, queueKey).getQueueClient("orders").receiveMessages()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: { expect: sk("authentication", "signature-identical"), build: azureSharedKeyAnswer("queue") },
  },
  {
    name: "queue-sharedkeylite-xmsdate-stripped",
    story: "Shared Key Lite through a proxy that strips x-ms-date.",
    service: "queue",
    scheme: "SharedKeyLite",
    resign: resignWith("SharedKeyLite", "queue"),
    mutation: stripDate,
    run: (ctx, c) => ok(queueClient(ctx, c, queueKey).getQueueClient("orders").peekMessages()),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-x-ms-date-stripped"),
      build: azureSharedKeyAnswer("queue"),
    },
  },
  // ---------------- Queue, SAS and bearer
  {
    name: "queue-sas-service-missing-permission",
    story: "A queue SAS with read and process only, used to add a message.",
    service: "queue",
    scheme: "SAS",
    sasKind: "service",
    run: (ctx, c) =>
      ok(queueClient(ctx, c, undefined, queueSas("rp")).getQueueClient("orders").sendMessage("order 42")),
    azurite: sk("sas", "sas-permission-mismatch"),
    azure: { expect: sk("sas", "sas-permission-mismatch"), build: azurePermissionAnswer("queue") },
  },
  {
    name: "queue-sas-service-wrong-key",
    story: "A queue SAS minted with a key the account does not have.",
    service: "queue",
    scheme: "SAS",
    sasKind: "service",
    run: (ctx, c) =>
      ok(
        queueClient(ctx, c, undefined, queueSas("rap", { key: wrongQueueKey }))
          .getQueueClient("orders")
          .sendMessage("order 42"),
      ),
    azurite: sk("sas", "sas-signature-rejected"),
    azure: { expect: sk("sas", "sas-wrong-key"), build: azureSasAnswer("queue") },
    options: { keyEnv: KEY_ENV },
  },
  {
    name: "queue-sas-account-expired",
    story: "An account SAS used after its expiry.",
    service: "queue",
    scheme: "SAS",
    sasKind: "account",
    run: (ctx, c) =>
      ok(
        queueClient(
          ctx,
          c,
          undefined,
          accountSas({ services: "q", types: "sco", permissions: "rap", st: -3 * hour, se: -2 * hour }),
        )
          .getQueueClient("orders")
          .receiveMessages(),
      ),
    azurite: sk("sas", "sas-expired"),
    azure: { expect: sk("sas", "sas-expired"), build: azureSasTimeAnswer("queue", "expired") },
  },
  {
    name: "queue-bearer-v2-wrong-audience",
    story: "A v2 token for Microsoft Graph used on a queue.",
    service: "queue",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        queueClient(ctx, c, staticToken(mintToken(tokenClaims("v2", { aud: "https://graph.microsoft.com" }))))
          .getQueueClient("orders")
          .sendMessage("order 42"),
      ),
    azurite: sk("authentication", "bearer-wrong-audience"),
    azure: {
      expect: sk("authentication", "bearer-wrong-audience"),
      build: azureBearerAnswer("queue", "Audience validation failed. Audience did not match."),
    },
  },
  {
    name: "queue-bearer-v1-expired",
    story: "A v1 token used after it expired.",
    service: "queue",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        queueClient(ctx, c, staticToken(mintToken(tokenClaims("v1", { nbfMin: -90, expMin: -30 }))))
          .getQueueClient("orders")
          .peekMessages(),
      ),
    azurite: sk("authentication", "bearer-expired"),
    azure: {
      expect: sk("authentication", "bearer-expired"),
      build: azureBearerAnswer("queue", "Lifetime validation failed. The token is expired."),
    },
  },
  // ---------------- Table, Shared Key Lite (the SDK's own) and Shared Key
  {
    name: "table-sharedkeylite-wrong-key",
    story: "The Tables SDK signs (Shared Key Lite) with a key the account does not have.",
    service: "table",
    scheme: "SharedKeyLite",
    run: (ctx, c) =>
      ok(
        tableClient(ctx, c, "inventory", new AzureNamedKeyCredential(AZURITE_ACCOUNT, WRONG_KEY)).getEntity(
          "p1",
          "r1",
        ),
      ),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: { expect: sk("authentication", "signature-identical"), build: azureSharedKeyAnswer("table") },
    options: { keyEnv: KEY_ENV },
  },
  {
    name: "table-sharedkeylite-xmsdate-rewritten",
    story: "A gateway re-stamps x-ms-date on a Tables request (Table signs the date itself).",
    service: "table",
    scheme: "SharedKeyLite",
    mutation: rewriteDate,
    run: (ctx, c) =>
      ok(
        tableClient(
          ctx,
          c,
          "inventory",
          new AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
        ).createEntity({ partitionKey: "p1", rowKey: "r2", qty: 3 }),
      ),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: { expect: sk("authentication", "signature-date-changed"), build: azureSharedKeyAnswer("table") },
  },
  {
    name: "table-sharedkey-wrong-key",
    story: "Table Shared Key signed with a key the account does not have.",
    service: "table",
    scheme: "SharedKey",
    resign: resignWith("SharedKey", "table", WRONG_KEY),
    run: (ctx, c) =>
      ok(
        tableClient(ctx, c, "inventory", new AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).getEntity(
          "p1",
          "r1",
        ),
      ),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: { expect: sk("authentication", "signature-identical"), build: azureSharedKeyAnswer("table") },
  },
  {
    name: "table-sharedkey-content-type-changed",
    story: "A proxy appends a charset to the Content-Type of a Table insert (Table Shared Key signs it).",
    service: "table",
    scheme: "SharedKey",
    resign: resignWith("SharedKey", "table"),
    mutation: appendCharset,
    run: (ctx, c) =>
      ok(
        tableClient(
          ctx,
          c,
          "inventory",
          new AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
        ).createEntity({ partitionKey: "p1", rowKey: "r3", qty: 1 }),
      ),
    azurite: sk("authentication", "sharedkey-signature-rejected"),
    azure: {
      expect: sk("authentication", "signature-content-type-changed"),
      build: azureSharedKeyAnswer("table"),
    },
  },
  // ---------------- Table, SAS and bearer
  {
    name: "table-sas-service-missing-permission",
    story: "A table SAS with query only, used to insert an entity.",
    service: "table",
    scheme: "SAS",
    sasKind: "service",
    run: async (ctx, c) =>
      ok(
        tableClient(ctx, c, "inventory", new AzureSASCredential(await tableSas("r"))).createEntity({
          partitionKey: "p1",
          rowKey: "r4",
        }),
      ),
    azurite: sk("sas", "sas-permission-mismatch"),
    azure: { expect: sk("sas", "sas-permission-mismatch"), build: azurePermissionAnswer("table") },
  },
  {
    name: "table-sas-service-not-yet-valid",
    story: "A table SAS whose start is 30 minutes in the future.",
    service: "table",
    scheme: "SAS",
    sasKind: "service",
    run: async (ctx, c) =>
      ok(
        tableClient(
          ctx,
          c,
          "inventory",
          new AzureSASCredential(await tableSas("r", { st: 30 * 60_000, se: 2 * hour })),
        ).getEntity("p1", "r1"),
      ),
    azurite: sk("sas", "sas-not-yet-valid"),
    azure: { expect: sk("sas", "sas-not-yet-valid"), build: azureSasTimeAnswer("table", "future") },
  },
  {
    name: "table-sas-account-wrong-service",
    story: "An account SAS for blob and queue only (ss=bq) used on a table.",
    service: "table",
    scheme: "SAS",
    sasKind: "account",
    run: (ctx, c) =>
      ok(
        tableClient(
          ctx,
          c,
          "inventory",
          new AzureSASCredential(accountSas({ services: "bq", types: "sco", permissions: "rl" })),
        ).getEntity("p1", "r1"),
      ),
    azurite: sk("sas", "sas-service-mismatch"),
    azure: {
      expect: sk("sas", "sas-service-mismatch"),
      build: (r) =>
        azureError(
          r,
          403,
          "AuthorizationServiceMismatch",
          "This request is not authorized to perform this operation using this service.",
          undefined,
          [],
          "table",
        ),
    },
  },
  {
    name: "table-bearer-v1-expired",
    story: "A v1 token used after it expired, on a table.",
    service: "table",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        tableClient(
          ctx,
          c,
          "inventory",
          staticToken(mintToken(tokenClaims("v1", { nbfMin: -120, expMin: -60 }))),
        ).getEntity("p1", "r1"),
      ),
    azurite: sk("authentication", "bearer-expired"),
    azure: {
      expect: sk("authentication", "bearer-expired"),
      build: azureBearerAnswer("table", "Lifetime validation failed. The token is expired."),
    },
  },
  {
    name: "table-bearer-v2-wrong-tenant",
    story: "A v2 token from another tenant, on a table.",
    service: "table",
    scheme: "Bearer",
    run: (ctx, c) =>
      ok(
        tableClient(
          ctx,
          c,
          "inventory",
          staticToken(mintToken(tokenClaims("v2", { tenant: OTHER_TENANT }))),
        ).getEntity("p1", "r1"),
      ),
    azurite: sk("authentication", "bearer-emulator-v2-issuer"),
    azure: {
      expect: sk("authentication", "bearer-wrong-tenant"),
      build: azureBearerAnswer("table", "Issuer validation failed. Issuer did not match."),
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Not-storage answers: what a gateway or a forward proxy sends instead of Storage's answer.

const GATEWAY_CASES: Array<{
  name: string;
  story: string;
  answer: CaptureFile["answer"];
  respond: Mutation;
  expect: Expect;
}> = [
  {
    name: "blob-sharedkey-gateway-html-502",
    story: "An application gateway answers with its own HTML error page; Storage never saw the request.",
    answer: "gateway",
    respond: () => ({
      status: 502,
      headers: [
        ["Content-Type", "text/html"],
        ["Server", "Microsoft-Azure-Application-Gateway/v2"],
      ],
      body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n",
    }),
    expect: sk("network", "response-not-from-storage"),
  },
  {
    name: "blob-sharedkey-proxy-407",
    story: "A corporate forward proxy wants its own credentials (407); Storage never saw the request.",
    answer: "proxy",
    respond: () => ({
      status: 407,
      headers: [
        ["Proxy-Authenticate", 'Basic realm="corp-proxy"'],
        ["Content-Type", "text/html"],
      ],
      body: "<html><body><h1>Proxy Authentication Required</h1></body></html>",
    }),
    expect: sk("network", "proxy-authentication-required"),
  },
];

// ---------------------------------------------------------------------------------------------------

function toFile(
  s: Pick<Scenario, "name" | "story" | "service" | "scheme" | "sasKind" | "options">,
  r: Recorded,
  response: Recorded["response"],
  answer: CaptureFile["answer"],
  expect: Expect,
): CaptureFile {
  const secrets = [authorizationSignature(r), sasSignature(r), bearerToken(r)].filter(
    (x): x is string => !!x,
  );
  return {
    name: `${s.name}.${answer}`,
    story: s.story,
    service: s.service,
    scheme: s.scheme,
    ...(s.sasKind ? { sasKind: s.sasKind } : {}),
    answer,
    method: r.method,
    url: r.url,
    headers: r.headers.map((h) => [h.name, h.value]),
    ...(r.body !== undefined ? { body: r.body } : {}),
    response,
    ...(s.options ? { options: s.options } : {}),
    expect: { ...expect, scheme: s.scheme === "SAS" ? "SAS" : s.scheme },
    secrets,
  };
}

export function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "pipe" },
  );
  return { cert, key };
}

export interface CorpusRun {
  files: CaptureFile[];
  /** A HAR of several exchanges (setup calls and failures), as a browser or proxy would export it. */
  har: unknown;
}

/** Runs every scenario against a fresh Azurite and returns the captures (nothing is written). */
/** One Azurite with its three breaking proxies and its debug log. */
interface Emulator {
  ctx: Ctx;
  proxies: Record<Service, BreakingProxy>;
  log: DebugLog;
  stop(): Promise<void>;
}

async function startEmulator(
  work: string,
  label: string,
  oauth: { cert: string; key: string } | undefined,
): Promise<Emulator> {
  const debugPath = join(work, `azurite-${label}.log`);
  const azurite = await startAzurite({
    debugLogPath: debugPath,
    ...(oauth ? { extraArgs: ["--oauth", "basic", "--cert", oauth.cert, "--key", oauth.key] } : {}),
  });
  const tls = oauth !== undefined;
  const proxies = {
    blob: new BreakingProxy(azurite.blobPort, tls),
    queue: new BreakingProxy(azurite.queuePort, tls),
    table: new BreakingProxy(azurite.tablePort, tls),
  };
  for (const p of Object.values(proxies)) await p.start();
  // Bearer needs HTTPS, so the client talks https:// to the OAuth emulator (the recorder carries it to the proxy).
  const scheme = tls ? "https" : "http";
  const ctx: Ctx = {
    blobUrl: `${scheme}://127.0.0.1:${proxies.blob.port}/${AZURITE_ACCOUNT}`,
    queueUrl: `${scheme}://127.0.0.1:${proxies.queue.port}/${AZURITE_ACCOUNT}`,
    tableUrl: `${scheme}://127.0.0.1:${proxies.table.port}/${AZURITE_ACCOUNT}`,
  };
  const setup = new RecordingClient();
  const blobs = blobClient(ctx, setup, blobKey);
  await blobs.getContainerClient("reports").createIfNotExists();
  for (const name of ["q3.csv", "q3,final.csv", "2026/q3.csv"])
    await blobs.getContainerClient("reports").getBlockBlobClient(name).upload("a,b\n1,2\n", 8);
  await queueClient(ctx, setup, queueKey).getQueueClient("orders").createIfNotExists();
  const tables = tableClient(
    ctx,
    setup,
    "inventory",
    new AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  );
  await tables.createTable();
  await tables.upsertEntity({ partitionKey: "p1", rowKey: "r1", qty: 2 });
  if (oauth) {
    const udkClient = blobClient(ctx, setup, staticToken(mintToken(tokenClaims("v1", {}))));
    ctx.udk = await udkClient.getUserDelegationKey(
      new Date(Date.now() - 5 * 60_000),
      new Date(Date.now() + 6 * hour),
    );
  }
  for (const r of setup.log) {
    if (r.response.status >= 400)
      throw new Error(
        `corpus setup failed: ${r.method} ${r.url} → ${r.response.status} ${r.response.body.slice(0, 300)}`,
      );
  }
  ctx.setupLog = setup.log;
  return {
    ctx,
    proxies,
    log: new DebugLog(debugPath),
    stop: async () => {
      for (const p of Object.values(proxies)) await p.stop();
      await azurite.stop();
    },
  };
}

/** Bearer tokens and user delegation keys need the OAuth (HTTPS) emulator; the rest runs as most people run Azurite. */
const needsOAuth = (s: Scenario) => s.scheme === "Bearer" || s.sasKind === "user-delegation";

/** Runs every scenario against fresh Azurites and returns the captures (nothing is written). */
export async function makeDoctorCorpus(onlyNames?: readonly string[]): Promise<CorpusRun> {
  const work = mkdtempSync(join(tmpdir(), "doctor-corpus-"));
  const emulators: Emulator[] = [];
  const files: CaptureFile[] = [];
  const harEntries: unknown[] = [];
  try {
    const plain = await startEmulator(work, "plain", undefined);
    emulators.push(plain);
    const oauth = await startEmulator(work, "oauth", makeCertificate(work));
    emulators.push(oauth);
    harEntries.push(...(plain.ctx.setupLog ?? []).slice(0, 2).map(harEntry));

    for (const s of SCENARIOS) {
      if (onlyNames && !onlyNames.includes(s.name)) continue;
      const emu = needsOAuth(s) ? oauth : plain;
      const client = new RecordingClient();
      client.resign = s.resign;
      emu.proxies[s.service].mutation = s.mutation;
      emu.log.mark();
      await s.run(emu.ctx, client);
      emu.proxies[s.service].mutation = undefined;
      const failed = client.log.filter((r) => r.response.status >= 400);
      const r = failed[0] ?? client.log[client.log.length - 1];
      if (!r) throw new Error(`${s.name}: the SDK sent nothing`);
      const debug = await emu.log.sinceMark();
      if (s.azurite) {
        if (r.response.status < 400)
          throw new Error(
            `${s.name}: Azurite accepted the request (${r.response.status}); the scenario expects a failure`,
          );
        files.push(toFile(s, r, r.response, "azurite", s.azurite));
      } else if (r.response.status >= 400) {
        throw new Error(
          `${s.name}: Azurite rejected it (${r.response.status}) but the scenario says Azurite accepts it`,
        );
      }
      if (s.azure) files.push(toFile(s, r, s.azure.build(r, debug), "azure", s.azure.expect));
      if (s.name === "blob-sharedkey-xmsdate-stripped" || s.name === "queue-sas-service-missing-permission")
        harEntries.push(harEntry(r));
    }
    for (const g of GATEWAY_CASES) {
      if (onlyNames && !onlyNames.includes(g.name)) continue;
      const client = new RecordingClient();
      plain.proxies.blob.mutation = g.respond;
      await ok(
        blobClient(plain.ctx, client, blobKey)
          .getContainerClient("reports")
          .getBlobClient("q3.csv")
          .download(),
      );
      plain.proxies.blob.mutation = undefined;
      const r = client.log[0];
      if (!r) throw new Error(`${g.name}: the SDK sent nothing`);
      files.push(
        toFile(
          { name: g.name, story: g.story, service: "blob", scheme: "SharedKey" },
          r,
          r.response,
          g.answer,
          g.expect,
        ),
      );
    }
  } finally {
    for (const e of emulators) await e.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return {
    files,
    har: {
      log: { version: "1.2", creator: { name: "make-doctor-corpus", version: "1" }, entries: harEntries },
    },
  };
}

function harEntry(r: Recorded): unknown {
  return {
    startedDateTime: new Date(
      Date.parse(dateOf(r.response.headers) ?? new Date().toUTCString()),
    ).toISOString(),
    time: 0,
    request: {
      method: r.method,
      url: r.url,
      httpVersion: "HTTP/1.1",
      headers: r.headers.map((h) => ({ name: h.name, value: h.value })),
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: r.body ? Buffer.byteLength(r.body) : 0,
      ...(r.body ? { postData: { mimeType: "application/octet-stream", text: r.body } } : {}),
    },
    response: {
      status: r.response.status,
      statusText: "",
      httpVersion: "HTTP/1.1",
      headers: r.response.headers.map(([name, value]) => ({ name, value })),
      cookies: [],
      content: { size: Buffer.byteLength(r.response.body), mimeType: "", text: r.response.body },
      redirectURL: "",
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { send: 0, wait: 0, receive: 0 },
  };
}

/** Writes the corpus (replacing the previous captures). */
export function writeCorpus(run: CorpusRun, dir = CAPTURE_DIR): void {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith(".json") || f.endsWith(".har")) rmSync(join(dir, f));
  for (const f of run.files) writeFileSync(join(dir, `${f.name}.json`), `${JSON.stringify(f, null, 2)}\n`);
  writeFileSync(join(dir, "several-requests.har"), `${JSON.stringify(run.har, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const run = await makeDoctorCorpus();
  writeCorpus(run);
  process.stderr.write(`doctor corpus: ${run.files.length} captures in ${CAPTURE_DIR}\n`);
}
