/**
 * The request doctor's fixture corpus: one captured pair per failure story and per diagnostic branch.
 * Tokens are minted here with a throwaway RSA key; SASes are built by @azure/storage-blob's own SAS
 * builders and then altered the way real failures alter them.
 */
import { generateKeyPairSync, createSign, randomBytes } from "node:crypto";
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobSASPermissions,
  ContainerSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
  type UserDelegationKey,
} from "@azure/storage-blob";
import { buildStringToSign, type HttpHeader } from "../../src/signature/index.js";

export const ACCOUNT = "contosoprod";
export const HOST = `${ACCOUNT}.blob.core.windows.net`;
export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const OTHER_TENANT = "0f2c6a8e-1111-4c2b-9c1e-5a3b2c1d0e9f";
/** Test-only key, generated per run; never a real secret. */
export const ACCOUNT_KEY = randomBytes(64).toString("base64");
const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY);
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

/** The moment every capture happens, unless a case says otherwise. */
export const NOW = new Date("2026-11-22T12:00:00Z");
const HTTP_NOW = NOW.toUTCString();
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function mintToken(claims: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "test" }));
  const body = b64url(JSON.stringify(claims));
  const sig = createSign("RSA-SHA256").update(`${head}.${body}`).sign(privateKey);
  return `${head}.${body}.${b64url(sig)}`;
}

const goodClaims = () => ({
  aud: "https://storage.azure.com",
  iss: `https://sts.windows.net/${TENANT}/`,
  tid: TENANT,
  oid: "6f1d3c2b-aaaa-4bbb-8ccc-123456789abc",
  appid: "11111111-2222-3333-4444-555555555555",
  nbf: epoch(minutes(-5)),
  iat: epoch(minutes(-5)),
  exp: epoch(minutes(55)),
  ver: "1.0",
});

const challenge = (tenant = TENANT) =>
  `WWW-Authenticate: Bearer authorization_uri=https://login.microsoftonline.com/${tenant}/oauth2/authorize resource_id=https://storage.azure.com`;

function xmlError(code: string, message: string, detail?: string): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return (
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${esc(message)}\n` +
    `RequestId:3f6c1a44-1111-4444-9999-f58d7b000000\nTime:${NOW.toISOString()}</Message>` +
    (detail ? `<AuthenticationErrorDetail>${esc(detail)}</AuthenticationErrorDetail>` : "") +
    `</Error>`
  );
}

function response(
  status: number,
  reason: string,
  code: string,
  extraHeaders: string[] = [],
  detail?: string,
): string {
  return [
    `HTTP/1.1 ${status} ${reason}`,
    `x-ms-error-code: ${code}`,
    `Date: ${HTTP_NOW}`,
    "x-ms-request-id: 3f6c1a44-1111-4444-9999-f58d7b000000",
    ...extraHeaders,
    "",
    xmlError(
      code,
      code === "AuthorizationFailure"
        ? "This request is not authorized to perform this operation."
        : "Server failed to authenticate the request.",
      detail,
    ),
  ].join("\r\n");
}

function request(method: string, target: string, headers: string[]): string {
  return [`${method} ${target} HTTP/1.1`, `Host: ${HOST}`, ...headers, "", ""].join("\r\n");
}

function blobSas(opts: {
  blob?: string;
  container?: string;
  permissions?: string;
  startsOn?: Date;
  expiresOn?: Date;
  protocol?: SASProtocol;
  ip?: { start: string; end?: string };
}): string {
  return generateBlobSASQueryParameters(
    {
      containerName: opts.container ?? "reports",
      blobName: opts.blob,
      permissions: opts.blob
        ? BlobSASPermissions.parse(opts.permissions ?? "r")
        : ContainerSASPermissions.parse(opts.permissions ?? "rl"),
      startsOn: opts.startsOn,
      expiresOn: opts.expiresOn ?? minutes(60),
      protocol: opts.protocol,
      ipRange: opts.ip,
      version: "2022-11-02",
    },
    credential,
  ).toString();
}

/**
 * A Shared Key failure where something between client and Storage changed the request: the capture is the
 * client's request, and the server's string-to-sign is built (by the signature engine) from what arrived.
 */
function sharedKeyInTransit(opts: {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  arrived: (r: { method: string; url: string; headers: HttpHeader[] }) => {
    method: string;
    url: string;
    headers: HttpHeader[];
  };
}): { request: string; response: string; secret: string } {
  const sent = {
    method: opts.method,
    url: `https://${HOST}${opts.path}`,
    headers: opts.headers.map(([name, value]) => ({ name, value })),
  };
  const target = { account: ACCOUNT, service: "blob" as const, scheme: "SharedKey" as const };
  const signature = randomBytes(32).toString("base64");
  const serverString = buildStringToSign(opts.arrived(sent), target).text;
  const detail = `The MAC signature found in the HTTP request '${signature}' is not the same as any computed signature. Server used following string to sign: '${serverString}'.`;
  return {
    request: request(opts.method, opts.path, [
      ...opts.headers.map(([n, v]) => `${n}: ${v}`),
      `Authorization: SharedKey ${ACCOUNT}:${signature}`,
    ]),
    response: response(403, "Server failed to authenticate the request.", "AuthenticationFailed", [], detail),
    secret: signature,
  };
}

export interface DoctorCase {
  name: string;
  /** Failure story number from peers-and-failure-stories.md §(c), when the case reproduces one. */
  story?: number;
  request: string;
  response?: string;
  clientIp?: string;
  expect: {
    scheme: string;
    firstProblem: string;
    decision: string;
    clockSkew?: boolean;
    mentions?: string[];
  };
  /** Strings that must never appear in any output (tokens, signatures, keys). */
  secrets: string[];
}

function sigOf(sas: string): string {
  return new URLSearchParams(sas).get("sig")!;
}

export function buildCorpus(): DoctorCase[] {
  const cases: DoctorCase[] = [];
  const version = "x-ms-version: 2022-11-02";

  // ---- Shared Key --------------------------------------------------------------------------------
  const sharedKeyHeader = `Authorization: SharedKey ${ACCOUNT}:${randomBytes(32).toString("base64")}`;
  for (const [story, name, skewMinutes] of [
    [1, "SDK clock three days behind", -3 * 24 * 60],
    [2, "container clock drifted after sleep", -47],
    [3, "laptop time service stopped", -22],
  ] as const) {
    const date = minutes(skewMinutes).toUTCString();
    cases.push({
      name,
      story,
      request: request("GET", "/reports/q3.csv", [`x-ms-date: ${date}`, version, sharedKeyHeader]),
      response: response(
        403,
        "Server failed to authenticate the request.",
        "AuthenticationFailed",
        [],
        `Request date header too old: '${date}'`,
      ),
      expect: {
        scheme: "SharedKey",
        firstProblem: "sharedkey-date-skew",
        decision: "authentication",
        clockSkew: true,
      },
      secrets: [sharedKeyHeader.split(":").at(-1)!],
    });
  }
  cases.push({
    name: "Shared Key signed for another account",
    request: request("GET", "/reports/q3.csv", [
      `x-ms-date: ${HTTP_NOW}`,
      version,
      `Authorization: SharedKey contosodev:${randomBytes(32).toString("base64")}`,
    ]),
    response: response(403, "Server failed to authenticate the request.", "AuthenticationFailed"),
    expect: { scheme: "SharedKey", firstProblem: "sharedkey-account-mismatch", decision: "authentication" },
    secrets: [],
  });
  cases.push({
    name: "proxy stripped x-ms-date",
    request: request("PUT", "/reports/q3.csv", [version, "x-ms-blob-type: BlockBlob", sharedKeyHeader]),
    response: response(403, "Server failed to authenticate the request.", "AuthenticationFailed"),
    expect: { scheme: "SharedKey", firstProblem: "sharedkey-no-date", decision: "authentication" },
    secrets: [],
  });
  cases.push({
    name: "Shared Key disabled on the account",
    story: 13,
    request: request("GET", "/azure-webjobs-hosts/locks/app/host", [
      `x-ms-date: ${HTTP_NOW}`,
      version,
      sharedKeyHeader,
    ]),
    response: response(
      403,
      "Key based authentication is not permitted on this storage account.",
      "KeyBasedAuthenticationNotPermitted",
    ),
    expect: {
      scheme: "SharedKey",
      firstProblem: "server-KeyBasedAuthenticationNotPermitted",
      decision: "policy",
    },
    secrets: [],
  });
  cases.push({
    name: "firewall rejects the caller",
    story: 15,
    request: request("GET", "/reports?restype=container&comp=list", [
      `x-ms-date: ${HTTP_NOW}`,
      version,
      sharedKeyHeader,
    ]),
    response: response(
      403,
      "This request is not authorized to perform this operation.",
      "AuthorizationFailure",
    ),
    expect: { scheme: "SharedKey", firstProblem: "server-AuthorizationFailure", decision: "network" },
    secrets: [],
  });

  const baseHeaders: Array<[string, string]> = [
    ["x-ms-date", HTTP_NOW],
    ["x-ms-version", "2022-11-02"],
  ];
  const transit = (
    name: string,
    story: number,
    path: string,
    arrived: Parameters<typeof sharedKeyInTransit>[0]["arrived"],
    expectId: string,
    extraHeaders: Array<[string, string]> = [],
    mentions: string[] = [],
  ) => {
    const c = sharedKeyInTransit({
      method: "PUT",
      path,
      headers: [...baseHeaders, ["x-ms-blob-type", "BlockBlob"], ...extraHeaders],
      arrived,
    });
    cases.push({
      name,
      story,
      request: c.request,
      response: c.response,
      expect: { scheme: "SharedKey", firstProblem: expectId, decision: "authentication", mentions },
      secrets: [c.secret],
    });
  };
  transit(
    "IIS decoded %2C in the blob path",
    4,
    "/reports/a%2Cb.csv",
    (r) => ({ ...r, url: r.url.replace("%2C", ",") }),
    "signature-path-encoding-changed",
  );
  transit(
    "nginx ingress added a path prefix",
    5,
    "/reports/q3.csv",
    (r) => ({ ...r, url: r.url.replace("/reports/", "/blobstorage/reports/") }),
    "signature-path-prefix-added",
  );
  transit(
    "APM SDK injected x-ms-* correlation headers after signing",
    6,
    "/reports/q3.csv",
    (r) => ({
      ...r,
      headers: [
        ...r.headers,
        { name: "x-ms-request-root-id", value: "9f1c2d3e" },
        { name: "x-ms-request-source-ikey", value: "0a1b2c3d" },
      ],
    }),
    "signature-telemetry-header-added",
  );
  transit(
    "server trimmed spaces in a metadata value",
    7,
    "/reports/q3.csv",
    // The request arrived as sent; the client's signer (unlike the service) did not unfold the value.
    (r) => r,
    "signature-identical",
    [["x-ms-meta-owner", "team  a"]],
    ["x-ms-meta-owner carries leading, trailing or repeated white space"],
  );

  // ---- Scheme integrity ----------------------------------------------------------------------------
  const token = mintToken(goodClaims());
  cases.push({
    name: "legacy Shared Key header left next to the token",
    request: request("GET", "/reports/q3.csv", [
      `x-ms-date: ${HTTP_NOW}`,
      version,
      sharedKeyHeader,
      `Authorization: Bearer ${token}`,
    ]),
    response: response(400, "Bad Request", "InvalidAuthenticationInfo"),
    expect: { scheme: "Mixed", firstProblem: "auth-duplicated", decision: "authentication" },
    secrets: [token],
  });
  const sas = blobSas({ blob: "q3.csv" });
  cases.push({
    name: "Authorization header and SAS together",
    request: request("GET", `/reports/q3.csv?${sas}`, [
      `x-ms-date: ${HTTP_NOW}`,
      version,
      `Authorization: Bearer ${token}`,
    ]),
    response: response(400, "Bad Request", "InvalidAuthenticationInfo"),
    expect: { scheme: "Mixed", firstProblem: "auth-mixed", decision: "authentication" },
    secrets: [token, sigOf(sas)],
  });
  cases.push({
    name: "unknown Authorization scheme",
    request: request("GET", "/reports/q3.csv", [
      `x-ms-date: ${HTTP_NOW}`,
      version,
      `Authorization: Basic dXNlcjpwYXNz`,
    ]),
    response: response(400, "Bad Request", "InvalidAuthenticationInfo"),
    expect: { scheme: "Unknown", firstProblem: "auth-unknown-scheme", decision: "authentication" },
    secrets: ["dXNlcjpwYXNz"],
  });
  cases.push({
    name: "anonymous request to a private container",
    request: request("GET", "/reports/q3.csv", [version]),
    response: response(401, "Unauthorized", "NoAuthenticationInformation"),
    expect: { scheme: "Anonymous", firstProblem: "anonymous", decision: "authentication" },
    secrets: [],
  });

  // ---- Bearer ----------------------------------------------------------------------------------------
  const bearerCase = (
    name: string,
    claims: Record<string, unknown>,
    expectId: string,
    opts: {
      story?: number;
      headers?: string[];
      code?: string;
      status?: number;
      detail?: string;
      tenant?: string;
      skew?: boolean;
      decision?: string;
    } = {},
  ) => {
    const t = mintToken(claims);
    cases.push({
      name,
      story: opts.story,
      request: request("GET", "/reports/q3.csv", [
        ...(opts.headers ?? [`x-ms-date: ${HTTP_NOW}`, version]),
        `Authorization: Bearer ${t}`,
      ]),
      response: response(
        opts.status ?? 401,
        "Server failed to authenticate the request.",
        opts.code ?? "InvalidAuthenticationInfo",
        [challenge(opts.tenant)],
        opts.detail,
      ),
      expect: {
        scheme: "Bearer",
        firstProblem: expectId,
        decision: opts.decision ?? "authentication",
        clockSkew: opts.skew,
      },
      secrets: [t],
    });
  };
  bearerCase(
    "token for the wrong audience (ARM)",
    { ...goodClaims(), aud: "https://management.azure.com/" },
    "bearer-wrong-audience",
    { detail: "Audience validation failed. Audience did not match." },
  );
  bearerCase(
    "token from another tenant",
    { ...goodClaims(), tid: OTHER_TENANT, iss: `https://sts.windows.net/${OTHER_TENANT}/` },
    "bearer-wrong-tenant",
    { detail: "Issuer validation failed. Issuer did not match." },
  );
  bearerCase(
    "cached token past its lifetime",
    { ...goodClaims(), nbf: epoch(minutes(-90)), iat: epoch(minutes(-90)), exp: epoch(minutes(-30)) },
    "bearer-expired",
    { detail: "Lifetime validation failed. The token is expired." },
  );
  bearerCase(
    "token not yet valid: client clock behind the issuer",
    { ...goodClaims(), nbf: epoch(minutes(7)), iat: epoch(minutes(7)) },
    "bearer-not-yet-valid",
    { skew: true },
  );
  bearerCase("SDK upgrade dropped x-ms-version", goodClaims(), "bearer-no-version", {
    story: 11,
    headers: [`x-ms-date: ${HTTP_NOW}`],
    status: 400,
    detail: "Authentication scheme Bearer is not supported in this version.",
  });
  bearerCase("x-ms-version too old for bearer", goodClaims(), "bearer-old-version", {
    headers: [`x-ms-date: ${HTTP_NOW}`, "x-ms-version: 2017-04-17"],
    status: 400,
  });
  bearerCase("valid token, role assignment still propagating", goodClaims(), "bearer-authenticated-no-role", {
    story: 12,
    status: 403,
    code: "AuthorizationPermissionMismatch",
    decision: "rbac",
  });
  const httpToken = mintToken(goodClaims());
  cases.push({
    name: "bearer token over plain HTTP",
    request: [
      `GET http://${HOST}/reports/q3.csv HTTP/1.1`,
      `Host: ${HOST}`,
      `x-ms-date: ${HTTP_NOW}`,
      version,
      `Authorization: Bearer ${httpToken}`,
      "",
      "",
    ].join("\r\n"),
    response: response(400, "Bad Request", "InvalidAuthenticationInfo"),
    expect: { scheme: "Bearer", firstProblem: "bearer-over-http", decision: "authentication" },
    secrets: [httpToken],
  });

  // ---- SAS -------------------------------------------------------------------------------------------
  const sasCase = (
    name: string,
    method: string,
    target: string,
    sasQuery: string,
    expectId: string,
    opts: {
      story?: number;
      code?: string;
      detail?: string;
      clientIp?: string;
      skew?: boolean;
      decision?: string;
      date?: string;
    } = {},
  ) => {
    cases.push({
      name,
      story: opts.story,
      request: request(method, `${target}${target.includes("?") ? "&" : "?"}${sasQuery}`, [
        `x-ms-date: ${opts.date ?? HTTP_NOW}`,
        version,
      ]),
      response: response(
        403,
        "Server failed to authenticate the request.",
        opts.code ?? "AuthenticationFailed",
        [],
        opts.detail,
      ),
      clientIp: opts.clientIp,
      expect: {
        scheme: "SAS",
        firstProblem: expectId,
        decision: opts.decision ?? "sas",
        clockSkew: opts.skew,
      },
      secrets: [sigOf(sasQuery)].filter(Boolean),
    });
  };
  sasCase(
    "SAS expired an hour ago",
    "GET",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv", startsOn: minutes(-120), expiresOn: minutes(-60) }),
    "sas-expired",
  );
  sasCase(
    "SAS minted on a clock running ahead",
    "GET",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv", startsOn: minutes(4), expiresOn: minutes(64) }),
    "sas-not-yet-valid",
    { skew: true },
  );
  sasCase(
    "SAS with spr=https used over HTTP",
    "GET",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv", protocol: SASProtocol.Https }),
    "sas-protocol-mismatch",
    { code: "AuthorizationProtocolMismatch" },
  );
  // The request above is https (Host implies it); rebuild as http explicitly.
  cases[cases.length - 1]!.request = cases[cases.length - 1]!.request.replace(
    "GET /reports",
    `GET http://${HOST}/reports`,
  );
  sasCase(
    "SAS bound to another IP range",
    "GET",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv", ip: { start: "203.0.113.0", end: "203.0.113.255" } }),
    "sas-ip-mismatch",
    { code: "AuthorizationSourceIPMismatch", clientIp: "198.51.100.23" },
  );
  sasCase(
    "read-only SAS used to upload",
    "PUT",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv", permissions: "r" }),
    "sas-permission-mismatch",
    { code: "AuthorizationPermissionMismatch" },
  );
  sasCase(
    "blob SAS used to list the container",
    "GET",
    "/reports?restype=container&comp=list",
    blobSas({ blob: "q3.csv" }),
    "sas-resource-level",
  );
  const accountSas = generateAccountSASQueryParameters(
    {
      services: AccountSASServices.parse("q").toString(),
      resourceTypes: AccountSASResourceTypes.parse("o").toString(),
      permissions: AccountSASPermissions.parse("r"),
      expiresOn: minutes(60),
      version: "2022-11-02",
    },
    credential,
  ).toString();
  sasCase(
    "account SAS for queues used on blobs",
    "GET",
    "/reports/q3.csv",
    accountSas,
    "sas-service-mismatch",
    { code: "AuthorizationServiceMismatch" },
  );
  const accountSasObjects = generateAccountSASQueryParameters(
    {
      services: AccountSASServices.parse("b").toString(),
      resourceTypes: AccountSASResourceTypes.parse("o").toString(),
      permissions: AccountSASPermissions.parse("rl"),
      expiresOn: minutes(60),
      version: "2022-11-02",
    },
    credential,
  ).toString();
  sasCase(
    "account SAS without container resource type",
    "GET",
    "/reports?restype=container&comp=list",
    accountSasObjects,
    "sas-resource-type-mismatch",
    { code: "AuthorizationResourceTypeMismatch" },
  );
  const sasWithPlus = (() => {
    // Keep minting until the signature contains '+', then put it in the URL unencoded, as the broken policy did.
    for (let i = 0; i < 200; i++) {
      const q = blobSas({ blob: `q3-${i}.csv` });
      const sig = sigOf(q);
      if (sig.includes("+")) return { q: q.replace(/sig=[^&]*/, `sig=${sig}`), blob: `q3-${i}.csv`, sig };
    }
    throw new Error("no signature with '+' in 200 tries");
  })();
  cases.push({
    name: "SAS signature with an unencoded '+'",
    story: 10,
    request: request("GET", `/reports/${sasWithPlus.blob}?${sasWithPlus.q}`, [
      `x-ms-date: ${HTTP_NOW}`,
      version,
    ]),
    response: response(
      403,
      "Server failed to authenticate the request.",
      "AuthenticationFailed",
      [],
      "Signature did not match. String to sign used was r",
    ),
    expect: { scheme: "SAS", firstProblem: "sas-sig-unencoded-plus", decision: "sas" },
    secrets: [sasWithPlus.sig],
  });
  const encodedName = "123456%2E.json";
  const decodedSignedSas = blobSas({ blob: "123456..json" });
  sasCase(
    "SAS signed over the decoded blob name",
    "GET",
    `/reports/${encodedName}`,
    decodedSignedSas,
    "sas-path-mismatch",
    {
      story: 8,
      detail: `Signature did not match. String to sign used was r\n\n${minutes(60)
        .toISOString()
        .replace(/\.\d+Z$/, "Z")}\n/blob/${ACCOUNT}/reports/123456..json\n\n\n\n2022-11-02\nb\n\n\n\n\n\n`,
    },
  );
  // The server decodes %2E too, so make its string-to-sign name a different resource: the SAS was for another blob.
  cases[cases.length - 1]!.response = cases[cases.length - 1]!.response!.replace(
    "/reports/123456..json",
    "/reports/123456.json",
  );
  sasCase(
    "SAS for blob names with reserved characters",
    "GET",
    "/reports/a%2Cb%3Bc.csv",
    blobSas({ blob: "a,b;c.csv" }),
    "sas-path-encoding",
    { story: 9 },
  );
  sasCase(
    "SAS minted from the previous key",
    "GET",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv" }),
    // Every field checks out and Storage still rejects the signature: the key is named, not just the code.
    "sas-signature-rejected",
    { story: 14 },
  );
  sasCase(
    "service SAS refused: shared key disabled",
    "GET",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv" }),
    "sas-key-based-disabled",
    { story: 13, code: "KeyBasedAuthenticationNotPermitted", decision: "policy" },
  );
  const udk: UserDelegationKey = {
    signedObjectId: "6f1d3c2b-aaaa-4bbb-8ccc-123456789abc",
    signedTenantId: TENANT,
    signedStartsOn: minutes(-240),
    signedExpiresOn: minutes(-10),
    signedService: "b",
    signedVersion: "2022-11-02",
    value: randomBytes(32).toString("base64"),
  };
  const udSas = generateBlobSASQueryParameters(
    {
      containerName: "reports",
      blobName: "q3.csv",
      permissions: BlobSASPermissions.parse("r"),
      startsOn: minutes(-60),
      expiresOn: minutes(30),
      version: "2022-11-02",
    },
    udk,
    ACCOUNT,
  ).toString();
  sasCase("user delegation key expired", "GET", "/reports/q3.csv", udSas, "sas-delegation-key-expired");
  sasCase(
    "malformed sv",
    "GET",
    "/reports/q3.csv",
    blobSas({ blob: "q3.csv" }).replace("sv=2022-11-02", "sv=2022-11"),
    "sas-bad-version",
  );
  return cases;
}
