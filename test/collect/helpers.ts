import { mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { readActivityEvents, readStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { defaultResourceId } from "../sim/forms.js";

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "collect-test-"));
}

/** Writes `content` under a fresh temp dir (or `dir`) and returns the file's path. */
export async function writeTemp(name: string, content: string | Buffer, dir?: string): Promise<string> {
  const root = dir ?? (await tempDir());
  const path = join(root, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

export function gz(content: string | Buffer): Buffer {
  return gzipSync(typeof content === "string" ? Buffer.from(content) : content);
}

export async function readStorage(
  paths: string[],
): Promise<{ records: StorageRequest[]; rejections: RejectionCollector }> {
  const rejections = new RejectionCollector(1000);
  const records: StorageRequest[] = [];
  for await (const r of readStorageRequests(paths, { rejections })) records.push(r);
  return { records, rejections };
}

export async function readActivity(
  paths: string[],
): Promise<{ events: ActivityEvent[]; rejections: RejectionCollector }> {
  const rejections = new RejectionCollector(1000);
  const events: ActivityEvent[] = [];
  for await (const e of readActivityEvents(paths, { rejections })) events.push(e);
  return { events, rejections };
}

/** A realistic archive record line (storage-logs.md §1 sample shape). */
export function archiveLine(overrides: Record<string, unknown> = {}): string {
  const rec: Record<string, unknown> = {
    time: "2024-05-01T10:00:00.1234567Z",
    resourceId:
      "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1/blobServices/default",
    category: "StorageRead",
    operationName: "GetBlob",
    operationVersion: "2023-11-03",
    schemaVersion: "1.0",
    statusCode: 403,
    statusText: "AuthorizationPermissionMismatch",
    durationMs: 9,
    callerIpAddress: "10.1.2.3:58555",
    correlationId: "a5c61a66-e01e-005f-4c8c-8f82f3000000",
    identity: {
      type: "OAuth",
      tokenHash: "ABCDEF",
      authorization: [
        {
          action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
          result: "Denied",
          reason: "NoApplicablePolicy",
        },
      ],
      requester: {
        objectId: "oid-1",
        tenantId: "tid-1",
        appId: "app-1",
        audience: "https://storage.azure.com/",
      },
    },
    location: "West Europe",
    properties: {
      accountName: "acct1",
      userAgentHeader: "azsdk-js-storageblob/12.0.0",
      serviceType: "blob",
      objectKey: "/acct1/c/b.txt",
      tlsVersion: "TLS 1.2",
    },
    uri: "https://acct1.blob.core.windows.net:443/c/b.txt",
    protocol: "HTTPS",
    ...overrides,
  };
  return JSON.stringify(rec);
}

const noCr = (s: string) => !s.includes("\r");

/** Non-empty text without CR (line splitting normalises CRLF) in any script. */
export const someText = fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).filter(noCr);

const operations = [
  "GetBlob",
  "PutBlob",
  "ListBlobs",
  "DeleteBlob",
  "GetMessages",
  "QueryEntities",
  "CreateFile",
];
const statusTexts = [
  "Success",
  "AuthenticationFailed",
  "AuthorizationPermissionMismatch",
  "AuthorizationFailure",
  "",
];

const hex64 = fc.stringMatching(/^[0-9A-F]{64}$/);
const sasAuthHash = fc
  .tuple(fc.constantFrom("key1", "key2"), hex64, hex64)
  .map(([slot, key, sig]) => `${slot}(${key}),SasSignature(${sig})`);

/** Arbitrary storage requests that every form can carry exactly. */
export const storageRequestArb: fc.Arbitrary<StorageRequest> = fc
  .record(
    {
      timeMs: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
      account: fc.stringMatching(/^[a-z0-9]{3,24}$/),
      service: fc.constantFrom("blob" as const, "queue" as const, "table" as const, "file" as const),
      operation: fc.oneof(fc.constantFrom(...operations), someText),
      statusCode: fc.oneof(fc.constant(null), fc.constantFrom(200, 201, 304, 401, 403, 404, 409, 412, 500)),
      statusText: fc.oneof(fc.constantFrom(...statusTexts), someText),
      authType: fc.constantFrom("AccountKey", "SAS", "OAuth", "Anonymous", "Kerberos", ""),
      // Key and token hashes as logged, a SAS's with its signature's hash (its URI is then read).
      authHash: fc.option(fc.oneof(someText, sasAuthHash), { nil: undefined }),
      callerIp: fc.option(fc.oneof(fc.ipV4(), fc.ipV6()), { nil: undefined }),
      userAgent: fc.option(
        someText.filter((s) => !(s.length >= 2 && s.startsWith('"') && s.endsWith('"'))),
        { nil: undefined },
      ),
      operationVersion: fc.option(fc.constantFrom("2023-11-03", "2019-02-02"), { nil: undefined }),
      uri: fc.option(someText, { nil: undefined }),
      objectKey: fc.option(someText, { nil: undefined }),
      requesterObjectId: fc.option(fc.uuid(), { nil: undefined }),
      requesterUpn: fc.option(someText, { nil: undefined }),
      authorizationDetails: fc.option(
        fc.array(fc.record({ action: someText, result: fc.constantFrom("Granted", "Denied") }), {
          maxLength: 2,
        }),
        { nil: undefined },
      ),
      correlationId: fc.option(fc.uuid(), { nil: undefined }),
      protocol: fc.option(fc.constantFrom("HTTPS", "HTTP", "SMB"), { nil: undefined }),
      tlsVersion: fc.option(fc.constantFrom("TLS 1.2", "TLS 1.3"), { nil: undefined }),
    },
    { requiredKeys: ["timeMs", "account", "service", "operation", "statusCode", "statusText", "authType"] },
  )
  .map((r) => {
    const out: StorageRequest = { ...r, resourceId: defaultResourceId(r.account, r.service) };
    for (const k of Object.keys(out) as (keyof StorageRequest)[]) if (out[k] === undefined) delete out[k];
    return out;
  });

/** Compares without the fields a reader may set to undefined (records share one shape). */
export function defined<T extends object>(x: T): Partial<T> {
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Lines the skim declines amid lines it takes: a failure, a non-ASCII value, bad rows, a blank. */
export function linesTheSkimDeclinesAmidOthers(): string {
  return [
    archiveLine({ statusCode: 200, statusText: "Success" }),
    archiveLine({ statusCode: 403 }),
    archiveLine({ statusCode: 200, properties: { accountName: "stäcct", serviceType: "blob" } }),
    "not json",
    "",
    archiveLine({ statusCode: 200, time: "yesterday" }),
    archiveLine({ statusCode: 201, callerIpAddress: "[2001:db8::1]:443" }),
  ].join("\n");
}
