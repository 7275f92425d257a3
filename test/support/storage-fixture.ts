import type { StorageRequest } from "../../src/model/storage-request.js";
import type { IngestedRow, RawRow } from "./logs-api-server.js";
import { Rng } from "../sim/rng.js";

/**
 * A deterministic day of Storage traffic with several auth-failure stories and background noise, each
 * request rendered both as the engine's StorageRequest and as the Log Analytics row Storage would write
 * (port on the caller IP, sometimes-quoted user agent, StatusCode as a string, sig masked in the Uri),
 * with an ingestion time 3–20 minutes after TimeGenerated (reference §7).
 */
export interface FixtureRequest {
  request: StorageRequest;
  table: string;
  row: RawRow;
  /** ingestion_time() of the Log Analytics row. */
  ingestedAtMs: number;
}

/** The simulator's seeded PRNG as a function, so fixtures are identical on every run. */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

const TABLE_OF: Record<StorageRequest["service"], string> = {
  blob: "StorageBlobLogs",
  queue: "StorageQueueLogs",
  table: "StorageTableLogs",
  file: "StorageFileLogs",
};

const KEY1 = "key1(" + "a1".repeat(32) + ")";
const KEY2 = "key2(" + "b2".repeat(32) + ")";

interface Story {
  account: string;
  service: StorageRequest["service"];
  operations: string[];
  statusCode: number;
  statusText: string;
  authType: string;
  /** [start, end) offsets in minutes from the fixture start. */
  minutes: [number, number];
  perMinute: number;
  callers: Array<{
    ip: string;
    port: boolean;
    userAgent: string;
    quoted?: boolean;
    objectId?: string;
    upn?: string;
    authHash?: string;
  }>;
  uri: (i: number, timeMs: number) => string;
  objectKey: (i: number) => string;
  version: (i: number) => string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function stories(startMs: number): Story[] {
  return [
    {
      // Key1 regenerated: two app hosts keep signing with the old key1.
      account: "contosoprod",
      service: "blob",
      operations: ["PutBlob", "GetBlob"],
      statusCode: 403,
      statusText: "AuthenticationFailed",
      authType: "AccountKey",
      minutes: [30, 90],
      perMinute: 3,
      callers: [
        {
          ip: "10.1.0.4",
          port: true,
          userAgent: "azsdk-js-storage-blob/12.26.0 (NODE-VERSION v20.11.1; Linux)",
          authHash: KEY1,
        },
        {
          ip: "10.1.0.5",
          port: true,
          userAgent: "azsdk-js-storage-blob/12.26.0 (NODE-VERSION v20.11.1; Linux)",
          quoted: true,
          authHash: KEY1,
        },
      ],
      uri: (i) => `https://contosoprod.blob.core.windows.net:443/invoices/2026/inv-${i % 7}.pdf`,
      objectKey: (i) => `/contosoprod/invoices/2026/inv-${i % 7}.pdf`,
      version: (i) => (i % 5 === 0 ? "2021-08-06" : "2025-01-05"),
    },
    {
      // Managed identity lost its Storage Queue Data Contributor role.
      account: "contosoprod",
      service: "queue",
      operations: ["PutMessage"],
      statusCode: 403,
      statusText: "AuthorizationPermissionMismatch",
      authType: "OAuth",
      minutes: [45, 70],
      perMinute: 2,
      callers: [
        {
          ip: "10.2.0.9",
          port: true,
          userAgent: "azsdk-net-Storage.Queues/12.19.1 (.NET 8.0.4; Microsoft Windows 10.0.20348)",
          objectId: "6f1c2a9e-1111-4c8e-9a55-0d9b8e1f2a3b",
        },
      ],
      uri: () => "https://contosoprod.queue.core.windows.net:443/orders/messages",
      objectKey: () => "/contosoprod/orders",
      version: () => "2018-03-28",
    },
    {
      // Expired SAS handed to a partner; sig masked by Storage as in real logs.
      account: "partnerdrop",
      service: "blob",
      operations: ["GetBlob", "ListBlobs"],
      statusCode: 403,
      statusText: "AuthenticationFailed",
      authType: "SAS",
      minutes: [10, 200],
      perMinute: 1,
      callers: [
        {
          ip: "203.0.113.50",
          port: true,
          userAgent: "AzCopy/10.27.1 Linux 5.15 amd64",
          authHash: `${KEY2},SasSignature(${"C3".repeat(32)})`,
        },
        {
          ip: "2001:db8::7",
          port: false,
          userAgent: "curl/8.5.0",
          authHash: `${KEY2},SasSignature(${"C3".repeat(32)})`,
        },
      ],
      uri: (i) =>
        `https://partnerdrop.blob.core.windows.net:443/drop/batch-${i % 3}.csv?sv=2022-11-02&st=${encodeURIComponent(iso(startMs - 86_400_000))}&se=${encodeURIComponent(iso(startMs + 60 * 60_000))}&sr=c&sp=rl&sig=XXXXX`,
      objectKey: (i) => `/partnerdrop/drop/batch-${i % 3}.csv`,
      version: () => "2022-11-02",
    },
    {
      // SAS minted on a host whose clock runs ahead: st in the future.
      account: "partnerdrop",
      service: "table",
      operations: ["QueryEntities"],
      statusCode: 403,
      statusText: "AuthenticationFailed",
      authType: "SAS",
      minutes: [120, 126],
      perMinute: 2,
      callers: [
        {
          ip: "[2001:db8::9]",
          port: true,
          userAgent: "azsdk-python-data-tables/12.5.0 Python/3.11.8 (Linux)",
          authHash: `${KEY1},SasSignature(${"D4".repeat(32)})`,
        },
      ],
      uri: (i, t) =>
        `https://partnerdrop.table.core.windows.net:443/Telemetry()?st=${encodeURIComponent(iso(t + 5 * 60_000))}&se=${encodeURIComponent(iso(t + 65 * 60_000))}&sv=2019-02-02&tn=Telemetry&sp=r&sig=${i % 2 ? "XXXXX" : "c2VjcmV0c2lnbmF0dXJl"}`,
      objectKey: () => "/partnerdrop/Telemetry",
      version: () => "2019-02-02",
    },
    {
      // Firewall tightened: a build agent outside the allowed ranges.
      account: "contosoprod",
      service: "blob",
      operations: ["ListBlobs", "GetBlobProperties", "GetBlob"],
      statusCode: 403,
      statusText: "AuthorizationFailure",
      authType: "OAuth",
      minutes: [150, 170],
      perMinute: 4,
      callers: [
        {
          ip: "198.51.100.23",
          port: true,
          userAgent: "azsdk-go-azblob/v1.3.2 (go1.22.1; linux)",
          objectId: "0b5e8c1d-2222-4f1a-8c3d-5e6f7a8b9c0d",
          upn: "build@contoso.example",
        },
      ],
      uri: () => "https://contosoprod.blob.core.windows.net:443/artifacts?restype=container&comp=list",
      objectKey: () => "/contosoprod/artifacts",
      version: () => "2023-11-03",
    },
    {
      // Shared key disabled on the account; a file share client still uses the key.
      account: "contosofiles",
      service: "file",
      operations: ["GetFile", "ListFilesAndDirectories"],
      statusCode: 403,
      statusText: "KeyBasedAuthenticationNotPermitted",
      authType: "AccountKey",
      minutes: [60, 64],
      perMinute: 5,
      callers: [
        {
          ip: "10.3.0.11",
          port: true,
          userAgent: "Microsoft Azure Storage Explorer, 1.33.0, win32",
          authHash: KEY2,
        },
      ],
      uri: () => "https://contosofiles.file.core.windows.net:443/share/reports?restype=directory&comp=list",
      objectKey: () => "/contosofiles/share/reports",
      version: () => "2024-05-04",
    },
    {
      // An expired bearer token (401), very small.
      account: "contosoprod",
      service: "blob",
      operations: ["GetBlob"],
      statusCode: 401,
      statusText: "InvalidAuthenticationInfo",
      authType: "OAuth",
      minutes: [200, 202],
      perMinute: 1,
      callers: [
        {
          ip: "10.1.0.6",
          port: true,
          userAgent: "azsdk-java-azure-storage-blob/12.25.1",
          objectId: "9d8c7b6a-3333-4e5f-8a9b-0c1d2e3f4a5b",
        },
      ],
      uri: () => "https://contosoprod.blob.core.windows.net:443/reports/q3.xlsx",
      objectKey: () => "/contosoprod/reports/q3.xlsx",
      version: () => "2024-08-04",
    },
  ];
}

function laRow(r: StorageRequest, callerIpAddress: string, userAgentHeader: string): RawRow {
  const row: RawRow = {
    TimeGenerated: new Date(r.timeMs).toISOString(),
    AccountName: r.account,
    ServiceType: r.service,
    OperationName: r.operation,
    StatusCode: r.statusCode === null ? "Unknown" : String(r.statusCode),
    StatusText: r.statusText,
    AuthenticationType: r.authType,
    AuthenticationHash: r.authHash ?? "",
    CallerIpAddress: callerIpAddress,
    UserAgentHeader: userAgentHeader,
    OperationVersion: r.operationVersion ?? "",
    Uri: r.uri ?? "",
    ObjectKey: r.objectKey ?? "",
    RequesterObjectId: r.requesterObjectId ?? "",
    RequesterUpn: r.requesterUpn ?? "",
    CorrelationId: r.correlationId ?? "",
    Protocol: "HTTPS",
    Category:
      r.operation.startsWith("Get") || r.operation.startsWith("List") || r.operation.startsWith("Query")
        ? "StorageRead"
        : "StorageWrite",
    Type: TABLE_OF[r.service],
    // Log Analytics lower-cases _ResourceId.
    _ResourceId: `/subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-prod/providers/microsoft.storage/storageaccounts/${r.account}/${r.service}services/default`,
  };
  return row;
}

export function generateStorageFixture(startMs: number, seed = 7): FixtureRequest[] {
  const random = seededRandom(seed);
  const out: FixtureRequest[] = [];
  let serial = 0;
  const push = (request: StorageRequest, ipWithPort: string, ua: string) => {
    const delay = 3 * 60_000 + Math.floor(random() * 17 * 60_000);
    out.push({
      request,
      table: TABLE_OF[request.service],
      row: laRow(request, ipWithPort, ua),
      ingestedAtMs: request.timeMs + delay,
    });
  };
  for (const s of stories(startMs)) {
    let i = 0;
    for (let minute = s.minutes[0]; minute < s.minutes[1]; minute++) {
      for (let k = 0; k < s.perMinute; k++, i++) {
        const caller = s.callers[i % s.callers.length]!;
        const timeMs = startMs + minute * 60_000 + Math.floor(random() * 60_000);
        const request: StorageRequest = {
          timeMs,
          account: s.account,
          service: s.service,
          operation: s.operations[i % s.operations.length]!,
          statusCode: s.statusCode,
          statusText: s.statusText,
          authType: s.authType,
          callerIp: caller.ip.replace(/^\[|\]$/g, ""),
          userAgent: caller.userAgent,
          operationVersion: s.version(i),
          uri: s.uri(i, timeMs),
          objectKey: s.objectKey(i),
          correlationId: `00000000-0000-0000-0000-${String(++serial).padStart(12, "0")}`,
          ...(caller.authHash ? { authHash: caller.authHash } : {}),
          ...(caller.objectId ? { requesterObjectId: caller.objectId } : {}),
          ...(caller.upn ? { requesterUpn: caller.upn } : {}),
        };
        const ipWithPort = caller.port ? `${caller.ip}:${40000 + (i % 2000)}` : caller.ip;
        push(request, ipWithPort, caller.quoted ? `"${caller.userAgent}"` : caller.userAgent);
      }
    }
  }
  // Background: successes and non-auth client errors, which are counted by nobody's clusters.
  const background: Array<[number, string]> = [
    [200, "Success"],
    [404, "BlobNotFound"],
    [409, "ContainerAlreadyExists"],
    [412, "ConditionNotMet"],
  ];
  for (let n = 0; n < 600; n++) {
    const [statusCode, statusText] = background[n % background.length]!;
    const timeMs = startMs + Math.floor(random() * 240 * 60_000);
    push(
      {
        timeMs,
        account: "contosoprod",
        service: "blob",
        operation: "GetBlob",
        statusCode,
        statusText,
        authType: "AccountKey",
        authHash: KEY2,
        callerIp: "10.1.0.7",
        userAgent: "azsdk-js-storage-blob/12.26.0",
        operationVersion: "2025-01-05",
        uri: `https://contosoprod.blob.core.windows.net:443/public/item-${n}.json`,
        objectKey: `/contosoprod/public/item-${n}.json`,
        correlationId: `00000000-0000-0000-0000-${String(++serial).padStart(12, "0")}`,
      },
      `10.1.0.7:${50000 + n}`,
      "azsdk-js-storage-blob/12.26.0",
    );
  }
  return out.sort((a, b) => a.request.timeMs - b.request.timeMs);
}

export function asIngestedRows(fixture: readonly FixtureRequest[]): IngestedRow[] {
  return fixture.map((f) => ({
    table: f.table,
    ingestedAt: new Date(f.ingestedAtMs).toISOString(),
    row: f.row,
  }));
}

/** The archived JSON Lines record (reference §2) Storage writes for a request. */
export function archiveRecordOf(f: FixtureRequest): Record<string, unknown> {
  const r = f.request;
  const service = `${r.service}Services`;
  const record: Record<string, unknown> = {
    time: new Date(r.timeMs).toISOString(),
    resourceId: `/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/${r.account}/${service}/default`,
    category: f.row.Category,
    operationName: r.operation,
    operationVersion: r.operationVersion,
    schemaVersion: "1.0",
    statusCode: r.statusCode,
    statusText: r.statusText,
    durationMs: 7,
    callerIpAddress: f.row.CallerIpAddress,
    correlationId: r.correlationId,
    identity: {
      type: r.authType,
      ...(r.authHash ? { tokenHash: r.authHash } : {}),
      ...(r.requesterObjectId || r.requesterUpn
        ? {
            requester: {
              ...(r.requesterObjectId ? { objectId: r.requesterObjectId } : {}),
              ...(r.requesterUpn ? { upn: r.requesterUpn } : {}),
            },
          }
        : {}),
    },
    location: "West Europe",
    properties: {
      accountName: r.account,
      userAgentHeader: f.row.UserAgentHeader,
      serviceType: r.service,
      objectKey: r.objectKey,
      metricResponseType: r.statusCode === 200 ? "Success" : "AuthorizationError",
      tlsVersion: "TLS 1.2",
    },
    uri: r.uri,
    protocol: "HTTPS",
    resourceType: `Microsoft.Storage/storageAccounts/${service}`,
  };
  return record;
}
