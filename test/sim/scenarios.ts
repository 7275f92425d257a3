/**
 * Scenario simulator: deterministic (seeded) Storage request rows and AzureActivity events for real
 * failure stories (../shared/reference/peers-and-failure-stories.md §(c)), each with its ground truth:
 * the incidents (challenges) a correct engine must find, their verdicts and their clusters.
 *
 * The truth is written by the scenario itself, independently of the engine: each failing request is
 * emitted with the verdict the story calls for, and the builder tallies what it emitted per cluster.
 */
import type { ActivityEvent } from "../../src/model/activity.js";
import type { ChallengeKey, Decision } from "../../src/model/incident.js";
import type { ServiceType, StorageRequest } from "../../src/model/storage-request.js";
import { Rng } from "./rng.js";

export const DEFAULT_START = "2026-11-20T09:00:00.000Z";
const MINUTE = 60_000;

export interface SimAccount {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  /** sha256 (upper-case hex) of the account keys as they are now; key1 may change on rotation. */
  key1Hash: string;
  key2Hash: string;
  /** ARM id of the storage account. */
  armId: string;
}

export interface SimCaller {
  ip: string;
  userAgent: string;
  /** x-ms-version the client sends. */
  version: string;
}

export interface SimPrincipal {
  objectId: string;
  appId: string;
  tenantId: string;
  upn?: string;
}

export type SimAuth =
  | { type: "AccountKey"; slot: "key1" | "key2"; keyHash?: string }
  | {
      type: "SAS";
      slot: "key1" | "key2";
      keyHash?: string;
      sigHash: string;
      st?: string;
      se: string;
      sp: string;
      sr?: string;
    }
  | { type: "OAuth"; principal: SimPrincipal; tokenHash: string }
  | { type: "Anonymous" };

export interface RequestSpec {
  account: SimAccount;
  timeMs: number;
  service: ServiceType;
  operation: string;
  status: number;
  /** StatusText: the storage error code on failures; defaults to Success for 2xx. */
  errorCode?: string;
  auth: SimAuth;
  caller: SimCaller;
  /** Container, queue or table. */
  container: string;
  /** Blob name (blob ops) or nothing for container/queue/table operations. */
  blob?: string;
  /** The verdict the story calls for: required for 401/403 rows, ignored otherwise. */
  decision?: Decision;
}

export interface ExpectedCluster {
  service: ServiceType;
  operation: string;
  count: number;
}

export interface ExpectedIncident {
  challenge: ChallengeKey;
  decision: Decision;
  clusters: ExpectedCluster[];
  /** What changed, for the root-cause stage: an OperationNameValue or a kind of change seen in the logs. */
  cause?: string;
  clockSkew?: boolean;
}

export interface ScenarioTruth {
  incidents: ExpectedIncident[];
  /** Rows emitted, and 401/403 rows among them. */
  rows: number;
  failures: number;
}

export interface ScenarioData {
  name: string;
  title: string;
  /** Story numbers in peers-and-failure-stories.md §(c). */
  stories: number[];
  requests: StorageRequest[];
  activity: ActivityEvent[];
  truth: ScenarioTruth;
}

export interface ScenarioOptions {
  seed?: number;
  /** Start of the simulated hour. */
  start?: string;
}

const USER_AGENTS = {
  jsBlob: (v: string) =>
    `azsdk-js-storage-blob/${v} core-rest-pipeline/1.16.3 Node/22.11.0 OS/(x64-Linux-5.15.0-1074-azure)`,
  jsQueue: (v: string) =>
    `azsdk-js-storage-queue/${v} core-rest-pipeline/1.16.3 Node/22.11.0 OS/(x64-Linux-5.15.0-1074-azure)`,
  netBlob: "azsdk-net-Storage.Blobs/12.22.2 (.NET 8.0.10; Microsoft Windows 10.0.20348)",
  pyBlob: "azsdk-python-storage-blob/12.23.1 Python/3.11.9 (Linux-6.5.0-1025-azure-x86_64-with-glibc2.35)",
  azcopy: "AzCopy/10.27.1 azsdk-go-azblob/v1.4.0 (go1.22.5; linux)",
  azcli: "Azure-Storage/2.1.0-2.1.0 (Python CPython 3.11.8; Linux 5.15.0) AZURECLI/2.65.0",
  explorer: "Microsoft Azure Storage Explorer, 1.36.1, win32, azcopy-node, 2.0.0, win32, AzCopy/10.26.0",
  terraform:
    "Go/go1.22.5 (amd64-linux) go-autorest/v14.2.1 tombuildsstuff/giovanni/v0.27.0 storage/2023-11-03 HashiCorp Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-azurerm/v3.117.0",
  functionsHost: "Azure-Functions-Host/4.1036.1.23224 azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.10; Linux)",
} as const;

/** Collects rows, activity and the ground truth of one scenario. */
class ScenarioBuilder {
  readonly requests: StorageRequest[] = [];
  readonly activity: ActivityEvent[] = [];
  private readonly expected = new Map<string, ExpectedIncident>();
  private failures = 0;

  constructor(
    readonly rng: Rng,
    readonly startMs: number,
  ) {}

  account(name: string, resourceGroup: string, subscriptionId?: string): SimAccount {
    const sub = subscriptionId ?? this.rng.guid();
    return {
      name,
      subscriptionId: sub,
      resourceGroup,
      key1Hash: this.rng.hex(64),
      key2Hash: this.rng.hex(64),
      armId: `/subscriptions/${sub}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${name}`,
    };
  }

  principal(upn?: string): SimPrincipal {
    const p: SimPrincipal = {
      objectId: this.rng.guid(),
      appId: this.rng.guid(),
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    };
    if (upn) p.upn = upn;
    return p;
  }

  /** Minute offset from the scenario start, plus a random second within it. */
  at(minute: number): number {
    return this.startMs + minute * MINUTE + this.rng.int(0, 59_999);
  }

  request(s: RequestSpec): StorageRequest {
    const r = buildRequest(this.rng, s);
    this.requests.push(r);
    if (s.status === 401 || s.status === 403) {
      if (!s.decision) throw new Error(`scenario bug: ${s.operation} ${s.status} emitted without a decision`);
      this.failures++;
      const challenge: ChallengeKey = {
        account: s.account.name,
        statusCode: s.status,
        errorCode: r.statusText,
        authType: r.authType,
      };
      const ck = `${challenge.account}|${challenge.statusCode}|${challenge.errorCode}|${challenge.authType}`;
      let inc = this.expected.get(ck);
      if (!inc) {
        inc = { challenge, decision: s.decision, clusters: [] };
        this.expected.set(ck, inc);
      }
      if (inc.decision !== s.decision) throw new Error(`scenario bug: two verdicts for ${ck}`);
      let cl = inc.clusters.find((c) => c.service === s.service && c.operation === s.operation);
      if (!cl) {
        cl = { service: s.service, operation: s.operation, count: 0 };
        inc.clusters.push(cl);
      }
      cl.count++;
    }
    return r;
  }

  /** Annotates the expected incidents of an account with the cause and skew the story implies. */
  annotate(account: SimAccount, note: { cause?: string; clockSkew?: boolean }, authType?: string): void {
    for (const inc of this.expected.values()) {
      if (inc.challenge.account !== account.name) continue;
      if (authType && inc.challenge.authType !== authType) continue;
      if (note.cause) inc.cause = note.cause;
      if (note.clockSkew !== undefined) inc.clockSkew = note.clockSkew;
    }
  }

  /** One control-plane operation: a start and an end event sharing a CorrelationId, as AzureActivity logs it. */
  change(c: {
    timeMs: number;
    operationName: string;
    displayName: string;
    resourceId: string;
    subscriptionId: string;
    resourceGroup: string;
    caller: string;
    requestBody?: unknown;
    status?: "Succeeded" | "Failed";
  }): void {
    const correlationId = this.rng.guid();
    const provider = c.operationName.split("/")[0]!;
    const base = {
      operationName: c.operationName,
      operationDisplayName: c.displayName,
      category: "Administrative",
      correlationId,
      resourceId: c.resourceId,
      resourceGroup: c.resourceGroup,
      subscriptionId: c.subscriptionId,
      resourceProvider: provider,
      caller: c.caller,
      callerIpAddress: "20.61.12.7",
      level: "Informational",
    };
    const props: Record<string, unknown> = {};
    if (c.requestBody !== undefined) props["requestbody"] = JSON.stringify(c.requestBody);
    this.activity.push({
      ...base,
      timeMs: c.timeMs - this.rng.int(1_000, 4_000),
      status: "Started",
      eventDataId: this.rng.guid(),
      operationId: this.rng.guid(),
      properties: props,
    });
    const end = c.status ?? "Succeeded";
    this.activity.push({
      ...base,
      timeMs: c.timeMs,
      status: end,
      subStatus: end === "Succeeded" ? "OK (HTTP Status Code: 200)" : "Forbidden (HTTP Status Code: 403)",
      eventDataId: this.rng.guid(),
      operationId: this.rng.guid(),
      properties: { statusCode: end === "Succeeded" ? "OK" : "Forbidden" },
    });
  }

  /**
   * Ordinary traffic that must never become an incident: successes plus the everyday 404/409/412/304
   * answers of a working application.
   */
  background(
    account: SimAccount,
    opts: { fromMin: number; toMin: number; rows: number; callers: SimCaller[] },
  ): void {
    const container = "appdata";
    for (let i = 0; i < opts.rows; i++) {
      const caller = this.rng.pick(opts.callers);
      const timeMs = this.at(this.rng.int(opts.fromMin, opts.toMin - 1));
      const blob = `orders/2026/11/${this.rng.int(1000, 9999)}.json`;
      const roll = this.rng.next();
      const auth: SimAuth = { type: "AccountKey", slot: "key1" };
      const common = { account, timeMs, auth, caller, container };
      if (roll < 0.5) this.request({ ...common, service: "blob", operation: "GetBlob", status: 200, blob });
      else if (roll < 0.65)
        this.request({ ...common, service: "blob", operation: "PutBlob", status: 201, blob });
      else if (roll < 0.72) this.request({ ...common, service: "blob", operation: "ListBlobs", status: 200 });
      else if (roll < 0.78)
        this.request({
          ...common,
          service: "queue",
          operation: "GetMessages",
          status: 200,
          container: "jobs",
        });
      else if (roll < 0.84)
        this.request({
          ...common,
          service: "blob",
          operation: "GetBlob",
          status: 404,
          errorCode: "BlobNotFound",
          blob,
        });
      else if (roll < 0.88)
        this.request({
          ...common,
          service: "blob",
          operation: "CreateContainer",
          status: 409,
          errorCode: "ContainerAlreadyExists",
        });
      else if (roll < 0.92)
        this.request({
          ...common,
          service: "blob",
          operation: "PutBlob",
          status: 412,
          errorCode: "ConditionNotMet",
          blob,
        });
      else if (roll < 0.96)
        this.request({
          ...common,
          service: "blob",
          operation: "GetBlob",
          status: 304,
          errorCode: "ConditionNotMet",
          blob,
        });
      else
        this.request({
          ...common,
          service: "table",
          operation: "QueryEntities",
          status: 200,
          container: "sessions",
        });
    }
  }

  finish(name: string, title: string, stories: number[]): ScenarioData {
    this.requests.sort((a, b) => a.timeMs - b.timeMs);
    this.activity.sort((a, b) => a.timeMs - b.timeMs);
    const incidents = [...this.expected.values()].map((i) => ({
      ...i,
      clusters: [...i.clusters].sort((a, b) =>
        `${a.service}/${a.operation}`.localeCompare(`${b.service}/${b.operation}`),
      ),
    }));
    return {
      name,
      title,
      stories,
      requests: this.requests,
      activity: this.activity,
      truth: { incidents, rows: this.requests.length, failures: this.failures },
    };
  }
}

const SAS_VERSION = "2022-11-02";

function encodeSasTime(iso: string): string {
  return encodeURIComponent(iso.replace(/\.\d{3}Z$/, "Z"));
}

function uriFor(s: RequestSpec): { uri: string; objectKey: string } {
  const host = `https://${s.account.name}.${s.service === "file" ? "file" : s.service}.core.windows.net:443`;
  const name = s.account.name;
  let path: string;
  let query: string[] = [];
  let objectKey: string;
  switch (s.service) {
    case "queue":
      path = `/${s.container}/messages`;
      objectKey = `/${name}/${s.container}`;
      if (s.operation === "GetMessages") query = ["numofmessages=16", "visibilitytimeout=30"];
      break;
    case "table":
      path = s.operation === "QueryEntities" ? `/${s.container}()` : `/${s.container}`;
      objectKey = `/${name}/${s.container}`;
      break;
    default: {
      if (s.blob) {
        path = `/${s.container}/${encodeBlobPath(s.blob)}`;
        objectKey = `/${name}/${s.container}/${s.blob}`;
      } else {
        path = `/${s.container}`;
        objectKey = `/${name}/${s.container}`;
      }
      const opQuery: Record<string, string[]> = {
        ListBlobs: ["restype=container", "comp=list", "maxresults=5000"],
        CreateContainer: ["restype=container"],
        GetContainerProperties: ["restype=container"],
        PutBlock: ["comp=block", "blockid=QmxvY2tJZC0wMDAwMQ%3D%3D"],
        PutBlockList: ["comp=blocklist"],
        AcquireBlobLease: ["comp=lease"],
        RenewBlobLease: ["comp=lease"],
        SetBlobMetadata: ["comp=metadata"],
      };
      query = opQuery[s.operation] ?? [];
    }
  }
  if (s.auth.type === "SAS") {
    const sas = [`sv=${SAS_VERSION}`];
    if (s.auth.st) sas.push(`st=${encodeSasTime(s.auth.st)}`);
    sas.push(`se=${encodeSasTime(s.auth.se)}`, `sr=${s.auth.sr ?? "b"}`, `sp=${s.auth.sp}`, "sig=XXXXX");
    query = [...query, ...sas];
  }
  return { uri: host + path + (query.length ? `?${query.join("&")}` : ""), objectKey };
}

/** Blob names as the SDKs put them on the wire: reserved characters percent-encoded, slashes kept. */
function encodeBlobPath(blob: string): string {
  return blob
    .split("/")
    .map((seg) =>
      encodeURIComponent(seg).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()),
    )
    .join("/");
}

function buildRequest(rng: Rng, s: RequestSpec): StorageRequest {
  const { uri, objectKey } = uriFor(s);
  const statusText = s.errorCode ?? (s.status < 300 ? "Success" : "Unknown");
  const r: StorageRequest = {
    timeMs: s.timeMs,
    account: s.account.name,
    service: s.service,
    operation: s.operation,
    statusCode: s.status,
    statusText,
    authType: s.auth.type,
    callerIp: s.caller.ip,
    userAgent: s.caller.userAgent,
    operationVersion: s.caller.version,
    uri,
    objectKey,
    resourceId: `${s.account.armId}/${s.service}Services/default`,
    correlationId: `${rng.hex(8).toLowerCase()}-${rng.hex(4).toLowerCase()}-00${rng.hex(2).toLowerCase()}-${rng.hex(4).toLowerCase()}-${rng.hex(6).toLowerCase()}000000`,
    clientRequestId: rng.guid(),
    protocol: "HTTPS",
    tlsVersion: "TLS 1.2",
  };
  const keyHash = (slot: "key1" | "key2", override?: string) =>
    override ?? (slot === "key1" ? s.account.key1Hash : s.account.key2Hash);
  switch (s.auth.type) {
    case "AccountKey":
      r.authHash = `${s.auth.slot}(${keyHash(s.auth.slot, s.auth.keyHash)})`;
      break;
    case "SAS":
      r.authHash = `${s.auth.slot}(${keyHash(s.auth.slot, s.auth.keyHash)}),SasSignature(${s.auth.sigHash})`;
      break;
    case "OAuth":
      r.authHash = s.auth.tokenHash;
      // A rejected token (401) identifies nobody: Storage logs no requester for it.
      if (s.auth.principal.objectId) {
        r.requesterObjectId = s.auth.principal.objectId;
        r.requesterAppId = s.auth.principal.appId;
        r.requesterTenantId = s.auth.principal.tenantId;
        r.requesterAudience = "https://storage.azure.com/";
      }
      if (s.auth.principal.upn) r.requesterUpn = s.auth.principal.upn;
      break;
    case "Anonymous":
      break;
  }
  return r;
}

const iso = (ms: number): string => new Date(ms).toISOString();

type Generator = (b: ScenarioBuilder) => void;

interface ScenarioDef {
  name: string;
  title: string;
  stories: number[];
  generate: Generator;
}

const callersOf = (rng: Rng, n: number, prefix: string, ua: string, version: string): SimCaller[] =>
  Array.from({ length: n }, () => ({ ip: `${prefix}.${rng.int(2, 250)}`, userAgent: ua, version }));

export const SCENARIOS: readonly ScenarioDef[] = [
  {
    name: "clock-drift-one-host",
    title: "One VM's clock drifts: Shared Key requests from that host only fail as 'date header too old'",
    stories: [1, 3],
    generate: (b) => {
      const acct = b.account("stinvoicesprod01", "rg-invoices-prod");
      const healthy = callersOf(b.rng, 3, "10.20.1", USER_AGENTS.netBlob, "2024-08-04");
      const drifting: SimCaller = { ip: "10.20.1.14", userAgent: USER_AGENTS.netBlob, version: "2024-08-04" };
      b.background(acct, { fromMin: 0, toMin: 60, rows: 300, callers: healthy });
      // Before it drifts past the 15-minute limit the host works like the others.
      for (let m = 0; m < 12; m++) {
        b.request({
          account: acct,
          timeMs: b.at(m),
          service: "blob",
          operation: "GetBlob",
          status: 200,
          auth: { type: "AccountKey", slot: "key1" },
          caller: drifting,
          container: "invoices",
          blob: `2026/11/INV-${b.rng.int(100000, 999999)}.pdf`,
        });
      }
      for (let m = 12; m < 60; m++) {
        for (let i = 0; i < 4; i++) {
          // The drifting host still succeeds now and then when its clock is briefly resynced.
          const ok = b.rng.chance(0.15);
          const op = b.rng.pick(["GetBlob", "PutBlob"]);
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: ok ? (op === "GetBlob" ? 200 : 201) : 403,
            errorCode: ok ? undefined : "AuthenticationFailed",
            auth: { type: "AccountKey", slot: "key1" },
            caller: drifting,
            container: "invoices",
            blob: `2026/11/INV-${b.rng.int(100000, 999999)}.pdf`,
            decision: "authentication",
          } as RequestSpec);
        }
      }
      b.annotate(acct, { cause: "logs:single-host", clockSkew: true });
    },
  },
  {
    name: "proxy-path-prefix",
    title:
      "An nginx ingress forwards /blobstorage/… so the signed path differs: every Shared Key call through it fails",
    stories: [5, 4],
    generate: (b) => {
      const acct = b.account("stmediaingest02", "rg-media");
      const direct = callersOf(b.rng, 2, "10.40.3", USER_AGENTS.jsBlob("12.25.0"), "2025-01-05");
      const ingress: SimCaller = {
        ip: "10.40.0.5",
        userAgent: USER_AGENTS.jsBlob("12.25.0"),
        version: "2025-01-05",
      };
      b.background(acct, { fromMin: 0, toMin: 60, rows: 250, callers: direct });
      for (let m = 20; m < 60; m++) {
        for (const op of ["GetBlob", "PutBlob", "ListBlobs"] as const) {
          if (!b.rng.chance(0.8)) continue;
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: 403,
            errorCode: "AuthenticationFailed",
            auth: { type: "AccountKey", slot: "key1" },
            caller: ingress,
            container: "media",
            ...(op === "ListBlobs" ? {} : { blob: `uploads/${b.rng.hex(8).toLowerCase()},thumb.jpg` }),
            decision: "authentication",
          });
        }
      }
      b.change({
        timeMs: b.startMs + 19 * MINUTE,
        operationName: "Microsoft.Network/applicationGateways/write",
        displayName: "Create or Update Application Gateway",
        resourceId: `/subscriptions/${acct.subscriptionId}/resourceGroups/rg-media/providers/Microsoft.Network/applicationGateways/agw-media`,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-media",
        caller: "platform-pipeline@contoso.com",
      });
      // One address failing while the same key works elsewhere is also what a drifting host looks like;
      // the gateway change ranked first, with no intermittent success or burst after idle, tells them apart.
      b.annotate(acct, { cause: "Microsoft.Network/applicationGateways/write", clockSkew: false });
    },
  },
  {
    name: "telemetry-header-injection",
    title:
      "A telemetry SDK upgrade adds x-ms-* headers after signing: every Shared Key call of the app fails, OAuth callers are fine",
    stories: [6],
    generate: (b) => {
      const acct = b.account("stordersqueue03", "rg-orders");
      const app = callersOf(b.rng, 3, "10.60.2", USER_AGENTS.jsQueue("12.24.0"), "2024-11-04");
      const oauthApp: SimCaller = { ip: "10.60.9.20", userAgent: USER_AGENTS.pyBlob, version: "2025-01-05" };
      const reporting = b.principal();
      b.background(acct, { fromMin: 0, toMin: 25, rows: 200, callers: app });
      b.change({
        timeMs: b.startMs + 24 * MINUTE,
        operationName: "Microsoft.Web/sites/publish/action",
        displayName: "Publish Web App",
        resourceId: `/subscriptions/${acct.subscriptionId}/resourceGroups/rg-orders/providers/Microsoft.Web/sites/app-orders-api`,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-orders",
        caller: "ado-release@contoso.com",
      });
      for (let m = 0; m < 60; m++) {
        for (let i = 0; i < 2; i++) {
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: "GetBlob",
            status: 200,
            auth: { type: "OAuth", principal: reporting, tokenHash: b.rng.hex(64) },
            caller: oauthApp,
            container: "reports",
            blob: `daily/${b.rng.int(1, 28)}.csv`,
          });
        }
      }
      for (let m = 25; m < 60; m++) {
        for (let i = 0; i < 5; i++) {
          const roll = b.rng.next();
          const [service, op, container] =
            roll < 0.45
              ? (["queue", "PutMessage", "orders"] as const)
              : roll < 0.8
                ? (["queue", "GetMessages", "orders"] as const)
                : (["blob", "PutBlob", "receipts"] as const);
          b.request({
            account: acct,
            timeMs: b.at(m),
            service,
            operation: op,
            status: 403,
            errorCode: "AuthenticationFailed",
            auth: { type: "AccountKey", slot: "key1" },
            caller: b.rng.pick(app),
            container,
            ...(service === "blob" ? { blob: `r/${b.rng.hex(12).toLowerCase()}.json` } : {}),
            decision: "authentication",
          });
        }
      }
      b.annotate(acct, { cause: "Microsoft.Web/sites/publish/action", clockSkew: false });
    },
  },
  {
    name: "sas-encoded-names",
    title: "A SAS signed over the decoded blob name: only names with %-escapes or reserved characters fail",
    stories: [8, 9],
    generate: (b) => {
      const acct = b.account("stpartnerdrop04", "rg-partners");
      const partner: SimCaller = {
        ip: "52.174.33.81",
        userAgent: USER_AGENTS.netBlob,
        version: "2024-08-04",
      };
      const sas = {
        type: "SAS" as const,
        slot: "key2" as const,
        sigHash: b.rng.hex(64),
        st: iso(b.startMs - 60 * MINUTE),
        se: iso(b.startMs + 7 * 24 * 60 * MINUTE),
        sp: "rl",
        sr: "c",
      };
      b.background(acct, {
        fromMin: 0,
        toMin: 60,
        rows: 150,
        callers: callersOf(b.rng, 2, "10.70.1", USER_AGENTS.azcli, "2022-11-02"),
      });
      for (let m = 0; m < 60; m++) {
        for (let i = 0; i < 3; i++) {
          const bad = b.rng.chance(0.35);
          const blob = bad
            ? b.rng.pick([
                `feeds/123456%2E.json`,
                `feeds/report(${m}).csv`,
                `feeds/a,b;c=${i}.txt`,
                `feeds/q&a!${m}.xml`,
              ])
            : `feeds/batch-${m}-${i}.json`;
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: "GetBlob",
            status: bad ? 403 : 200,
            errorCode: bad ? "AuthenticationFailed" : undefined,
            auth: sas,
            caller: partner,
            container: "partner-feeds",
            blob,
            decision: "sas",
          } as RequestSpec);
        }
      }
      // No change event and no caller change: the pattern is in the object names (shown as samples).
      b.annotate(acct, { clockSkew: false });
    },
  },
  {
    name: "sdk-upgrade-version",
    title:
      "Bumping @azure/storage-blob changes the user agent and x-ms-version at onset; Shared Key signatures fail until rollback",
    stories: [11],
    generate: (b) => {
      const acct = b.account("stbuildartifacts05", "rg-ci");
      const before = callersOf(b.rng, 2, "10.80.4", USER_AGENTS.jsBlob("12.26.0"), "2025-01-05");
      const after = before.map((c) => ({
        ...c,
        userAgent: USER_AGENTS.jsBlob("12.27.0"),
        version: "2025-05-05",
      }));
      for (let m = 0; m < 60; m++) {
        const upgraded = m >= 30 && m < 52;
        for (let i = 0; i < 4; i++) {
          const op = b.rng.pick(["PutBlock", "PutBlockList", "GetBlob"]);
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: upgraded ? 403 : op === "GetBlob" ? 200 : 201,
            errorCode: upgraded ? "AuthenticationFailed" : undefined,
            auth: { type: "AccountKey", slot: "key1" },
            caller: b.rng.pick(upgraded ? after : before),
            container: "artifacts",
            blob: `builds/${4000 + m}/bundle.tgz`,
            decision: "authentication",
          } as RequestSpec);
        }
      }
      b.annotate(acct, { cause: "logs:user-agent", clockSkew: false });
    },
  },
  {
    name: "rbac-propagation",
    title:
      "A role assignment was just created: AuthorizationPermissionMismatch for a few minutes, then it clears on its own",
    stories: [12],
    generate: (b) => {
      const acct = b.account("stdatalake06", "rg-analytics");
      const etl = b.principal();
      const caller: SimCaller = { ip: "10.90.7.31", userAgent: USER_AGENTS.pyBlob, version: "2025-01-05" };
      b.background(acct, {
        fromMin: 0,
        toMin: 60,
        rows: 150,
        callers: callersOf(b.rng, 2, "10.90.2", USER_AGENTS.azcli, "2022-11-02"),
      });
      b.change({
        timeMs: b.startMs + 10 * MINUTE,
        operationName: "Microsoft.Authorization/roleAssignments/write",
        displayName: "Create role assignment",
        resourceId: `${acct.armId}/providers/Microsoft.Authorization/roleAssignments/${b.rng.guid()}`,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-analytics",
        caller: "terraform-sp@contoso.com",
        requestBody: {
          Id: b.rng.guid(),
          Properties: {
            PrincipalId: etl.objectId,
            PrincipalType: "ServicePrincipal",
            RoleDefinitionId:
              "/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            Scope: acct.armId,
          },
        },
      });
      for (let m = 11; m < 45; m++) {
        const propagated = m >= 19;
        for (let i = 0; i < 3; i++) {
          const op = b.rng.pick(["ListBlobs", "GetBlob"]);
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: propagated ? 200 : 403,
            errorCode: propagated ? undefined : "AuthorizationPermissionMismatch",
            auth: { type: "OAuth", principal: etl, tokenHash: b.rng.hex(64) },
            caller,
            container: "raw",
            ...(op === "GetBlob" ? { blob: `events/2026/11/20/part-${b.rng.int(0, 99)}.parquet` } : {}),
            decision: "rbac",
          } as RequestSpec);
        }
      }
      b.annotate(acct, { cause: "Microsoft.Authorization/roleAssignments/write", clockSkew: false });
    },
  },
  {
    name: "shared-key-disabled",
    title:
      "Policy remediation sets allowSharedKeyAccess=false: every key-signed request and key-signed SAS fails",
    stories: [13],
    generate: (b) => {
      const acct = b.account("stfuncruntime07", "rg-functions");
      const host: SimCaller = {
        ip: "10.100.0.12",
        userAgent: USER_AGENTS.functionsHost,
        version: "2023-11-03",
      };
      const uploader: SimCaller = { ip: "10.100.5.40", userAgent: USER_AGENTS.azcopy, version: "2023-08-03" };
      const mi = b.principal();
      const miCaller: SimCaller = {
        ip: "10.100.0.77",
        userAgent: USER_AGENTS.netBlob,
        version: "2024-08-04",
      };
      const sas = {
        type: "SAS" as const,
        slot: "key1" as const,
        sigHash: b.rng.hex(64),
        se: iso(b.startMs + 30 * 24 * 60 * MINUTE),
        sp: "racwl",
        sr: "c",
      };
      b.change({
        timeMs: b.startMs + 15 * MINUTE,
        operationName: "Microsoft.Storage/storageAccounts/write",
        displayName: "Create/Update Storage Account",
        resourceId: acct.armId,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-functions",
        caller: "b6a4ad3d-5c2e-4f4b-9a47-3c0f5a7c1e21",
        requestBody: { properties: { allowSharedKeyAccess: false } },
      });
      for (let m = 0; m < 60; m++) {
        const disabled = m >= 16;
        for (let i = 0; i < 3; i++) {
          const roll = b.rng.next();
          const [service, op, container] =
            roll < 0.4
              ? (["blob", "RenewBlobLease", "azure-webjobs-hosts"] as const)
              : roll < 0.75
                ? (["queue", "GetMessages", "func-work-items"] as const)
                : (["queue", "PutMessage", "func-work-items"] as const);
          b.request({
            account: acct,
            timeMs: b.at(m),
            service,
            operation: op,
            status: disabled ? 403 : service === "queue" && op === "PutMessage" ? 201 : 200,
            errorCode: disabled ? "KeyBasedAuthenticationNotPermitted" : undefined,
            auth: { type: "AccountKey", slot: "key1" },
            caller: host,
            container,
            ...(service === "blob" ? { blob: "locks/func-app/host" } : {}),
            decision: "policy",
          } as RequestSpec);
        }
        if (m % 2 === 0) {
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: "PutBlob",
            status: disabled ? 403 : 201,
            errorCode: disabled ? "KeyBasedAuthenticationNotPermitted" : undefined,
            auth: sas,
            caller: uploader,
            container: "uploads",
            blob: `in/${b.rng.hex(10).toLowerCase()}.csv`,
            decision: "policy",
          } as RequestSpec);
        }
        b.request({
          account: acct,
          timeMs: b.at(m),
          service: "blob",
          operation: "GetBlob",
          status: 200,
          auth: { type: "OAuth", principal: mi, tokenHash: b.rng.hex(64) },
          caller: miCaller,
          container: "config",
          blob: "settings.json",
        });
      }
      b.annotate(acct, { cause: "Microsoft.Storage/storageAccounts/write", clockSkew: false });
    },
  },
  {
    name: "key-rotation-stale-secret",
    title:
      "key1 is regenerated while the apps' secret copy lags: Shared Key and SAS signed with the old key1 fail until the secret syncs",
    stories: [14],
    generate: (b) => {
      const acct = b.account("stpipelinejobs08", "rg-batch");
      const oldKey1 = acct.key1Hash;
      const newKey1 = b.rng.hex(64);
      const workers = callersOf(b.rng, 4, "10.110.8", USER_AGENTS.jsBlob("12.25.0"), "2025-01-05");
      const key2User: SimCaller = { ip: "10.110.9.3", userAgent: USER_AGENTS.azcli, version: "2022-11-02" };
      const sasClient: SimCaller = {
        ip: "40.113.20.9",
        userAgent: USER_AGENTS.azcopy,
        version: "2023-08-03",
      };
      const sasSig = b.rng.hex(64);
      b.change({
        timeMs: b.startMs + 20 * MINUTE,
        operationName: "Microsoft.Storage/storageAccounts/regenerateKey/action",
        displayName: "Regenerate Storage Account Keys",
        resourceId: acct.armId,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-batch",
        caller: "secops@contoso.com",
        requestBody: { keyName: "key1" },
      });
      // Portal listKeys: routine noise, never a cause.
      b.change({
        timeMs: b.startMs + 5 * MINUTE,
        operationName: "Microsoft.Storage/storageAccounts/listKeys/action",
        displayName: "List Storage Account Keys",
        resourceId: acct.armId,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-batch",
        caller: "dev@contoso.com",
      });
      for (let m = 0; m < 60; m++) {
        const stale = m >= 21 && m < 48;
        for (let i = 0; i < 5; i++) {
          const op = b.rng.pick(["GetBlob", "PutBlob", "ListBlobs", "DeleteBlob"]);
          const okStatus = op === "PutBlob" ? 201 : op === "DeleteBlob" ? 202 : 200;
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: stale ? 403 : okStatus,
            errorCode: stale ? "AuthenticationFailed" : undefined,
            auth: {
              type: "AccountKey",
              slot: "key1",
              keyHash: m < 21 ? oldKey1 : m >= 48 ? newKey1 : oldKey1,
            },
            caller: b.rng.pick(workers),
            container: "jobs",
            ...(op === "ListBlobs" ? {} : { blob: `run-${b.rng.int(1, 500)}/output.json` }),
            decision: "authentication",
          } as RequestSpec);
        }
        b.request({
          account: acct,
          timeMs: b.at(m),
          service: "blob",
          operation: "GetBlob",
          status: 200,
          auth: { type: "AccountKey", slot: "key2" },
          caller: key2User,
          container: "jobs",
          blob: "manifest.json",
        });
        if (m % 3 === 0) {
          const sasStale = m >= 21;
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: "GetBlob",
            status: sasStale ? 403 : 200,
            errorCode: sasStale ? "AuthenticationFailed" : undefined,
            auth: {
              type: "SAS",
              slot: "key1",
              keyHash: oldKey1,
              sigHash: sasSig,
              se: iso(b.startMs + 24 * 60 * MINUTE),
              sp: "r",
            },
            caller: sasClient,
            container: "exports",
            blob: "weekly/export.zip",
            decision: "sas",
          } as RequestSpec);
        }
      }
      b.annotate(acct, { cause: "Microsoft.Storage/storageAccounts/regenerateKey/action", clockSkew: false });
    },
  },
  {
    name: "firewall-change",
    title:
      "networkAcls tightened: callers outside the allowed ranges get AuthorizationFailure (reported as an 'authentication error')",
    stories: [15],
    generate: (b) => {
      const acct = b.account("stcustomerportal09", "rg-portal");
      const inside = callersOf(b.rng, 2, "10.120.1", USER_AGENTS.netBlob, "2024-08-04");
      const outside: SimCaller[] = [
        { ip: "52.232.18.40", userAgent: USER_AGENTS.netBlob, version: "2024-08-04" },
        { ip: "86.12.201.7", userAgent: USER_AGENTS.explorer, version: "2023-08-03" },
      ];
      const analyst = b.principal("analyst@contoso.com");
      const analystCaller: SimCaller = {
        ip: "86.12.201.7",
        userAgent: USER_AGENTS.explorer,
        version: "2023-08-03",
      };
      b.background(acct, { fromMin: 0, toMin: 60, rows: 200, callers: inside });
      b.change({
        timeMs: b.startMs + 33 * MINUTE,
        operationName: "Microsoft.Storage/storageAccounts/write",
        displayName: "Create/Update Storage Account",
        resourceId: acct.armId,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-portal",
        caller: "netops@contoso.com",
        requestBody: {
          properties: {
            networkAcls: { defaultAction: "Deny", ipRules: [{ value: "10.120.0.0/16", action: "Allow" }] },
          },
        },
      });
      // A distractor in another subscription, just before onset.
      b.change({
        timeMs: b.startMs + 31 * MINUTE,
        operationName: "Microsoft.Resources/deployments/write",
        displayName: "Create Deployment",
        resourceId:
          "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-other/providers/Microsoft.Resources/deployments/web-42",
        subscriptionId: "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
        resourceGroup: "rg-other",
        caller: "someone@contoso.com",
      });
      for (let m = 0; m < 60; m++) {
        const blocked = m >= 34;
        for (let i = 0; i < 3; i++) {
          const op = b.rng.pick(["GetBlob", "ListBlobs"]);
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: blocked ? 403 : 200,
            errorCode: blocked ? "AuthorizationFailure" : undefined,
            auth: { type: "AccountKey", slot: "key2" },
            caller: outside[0]!,
            container: "statements",
            ...(op === "GetBlob" ? { blob: `cust-${b.rng.int(1000, 9999)}/2026-10.pdf` } : {}),
            decision: "network",
          } as RequestSpec);
        }
        if (m % 4 === 0) {
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: "GetBlob",
            status: blocked ? 403 : 200,
            errorCode: blocked ? "AuthorizationFailure" : undefined,
            auth: { type: "OAuth", principal: analyst, tokenHash: b.rng.hex(64) },
            caller: analystCaller,
            container: "statements",
            blob: "summary.xlsx",
            decision: "network",
          } as RequestSpec);
        }
      }
      void outside[1];
      b.annotate(acct, { cause: "Microsoft.Storage/storageAccounts/write", clockSkew: false });
    },
  },
  {
    name: "expired-sas",
    title: "A long-lived SAS in a partner's config expired yesterday: every request with it fails",
    stories: [],
    generate: (b) => {
      const acct = b.account("stsharedexports10", "rg-exports");
      const partner: SimCaller = { ip: "20.50.100.7", userAgent: USER_AGENTS.azcopy, version: "2023-08-03" };
      const sas = {
        type: "SAS" as const,
        slot: "key1" as const,
        sigHash: b.rng.hex(64),
        st: "2026-08-01T00:00:00Z",
        se: iso(b.startMs - 20 * 60 * MINUTE),
        sp: "rl",
        sr: "c",
      };
      b.background(acct, {
        fromMin: 0,
        toMin: 60,
        rows: 120,
        callers: callersOf(b.rng, 2, "10.130.1", USER_AGENTS.azcli, "2022-11-02"),
      });
      for (let m = 5; m < 60; m += 2) {
        for (const op of ["ListBlobs", "GetBlob"] as const) {
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: 403,
            errorCode: "AuthenticationFailed",
            auth: sas,
            caller: partner,
            container: "exports",
            ...(op === "GetBlob"
              ? { blob: `daily/2026-11-${String(b.rng.int(1, 19)).padStart(2, "0")}.csv.gz` }
              : {}),
            decision: "sas",
          });
        }
      }
      b.annotate(acct, { clockSkew: false });
    },
  },
  {
    name: "wrong-audience-token",
    title:
      "A service requests tokens for the wrong audience after a config change: 401 InvalidAuthenticationInfo",
    stories: [],
    generate: (b) => {
      const acct = b.account("stprofilesvc11", "rg-profile");
      const svc: SimCaller = { ip: "10.140.2.18", userAgent: USER_AGENTS.pyBlob, version: "2025-01-05" };
      b.background(acct, {
        fromMin: 0,
        toMin: 60,
        rows: 120,
        callers: callersOf(b.rng, 2, "10.140.1", USER_AGENTS.netBlob, "2024-08-04"),
      });
      b.change({
        timeMs: b.startMs + 27 * MINUTE,
        operationName: "Microsoft.Web/sites/config/write",
        displayName: "Update website configuration",
        resourceId: `/subscriptions/${acct.subscriptionId}/resourceGroups/rg-profile/providers/Microsoft.Web/sites/app-profile/config/appsettings`,
        subscriptionId: acct.subscriptionId,
        resourceGroup: "rg-profile",
        caller: "dev-lead@contoso.com",
      });
      for (let m = 28; m < 60; m++) {
        for (let i = 0; i < 2; i++) {
          const op = b.rng.pick(["GetBlob", "PutBlob"]);
          b.request({
            account: acct,
            timeMs: b.at(m),
            service: "blob",
            operation: op,
            status: 401,
            errorCode: "InvalidAuthenticationInfo",
            auth: {
              type: "OAuth",
              principal: { objectId: "", appId: "", tenantId: "" },
              tokenHash: b.rng.hex(64),
            },
            caller: svc,
            container: "avatars",
            blob: `u/${b.rng.int(10000, 99999)}.png`,
            decision: "authentication",
          });
        }
      }
      b.annotate(acct, { cause: "Microsoft.Web/sites/config/write", clockSkew: false });
    },
  },
  {
    name: "sas-permission-mismatch",
    title:
      "A read-only SAS (sp=r) is used to upload: AuthorizationPermissionMismatch with SAS is a SAS problem, not RBAC",
    stories: [],
    generate: (b) => {
      const acct = b.account("stmobileuploads12", "rg-mobile");
      const app: SimCaller = {
        ip: "91.204.12.77",
        userAgent: USER_AGENTS.jsBlob("12.25.0"),
        version: "2025-01-05",
      };
      const sas = {
        type: "SAS" as const,
        slot: "key1" as const,
        sigHash: b.rng.hex(64),
        st: iso(b.startMs - 5 * MINUTE),
        se: iso(b.startMs + 180 * MINUTE),
        sp: "r",
        sr: "c",
      };
      b.background(acct, {
        fromMin: 0,
        toMin: 60,
        rows: 100,
        callers: callersOf(b.rng, 2, "10.150.1", USER_AGENTS.netBlob, "2024-08-04"),
      });
      for (let m = 2; m < 60; m++) {
        b.request({
          account: acct,
          timeMs: b.at(m),
          service: "blob",
          operation: "PutBlob",
          status: 403,
          errorCode: "AuthorizationPermissionMismatch",
          auth: sas,
          caller: app,
          container: "user-uploads",
          blob: `img/${b.rng.hex(16).toLowerCase()}.jpg`,
          decision: "sas",
        });
        b.request({
          account: acct,
          timeMs: b.at(m),
          service: "blob",
          operation: "GetBlob",
          status: 200,
          auth: sas,
          caller: app,
          container: "user-uploads",
          blob: "img/placeholder.jpg",
        });
      }
      b.annotate(acct, { clockSkew: false });
    },
  },
  {
    name: "sas-not-yet-valid",
    title:
      "The SAS minting host's clock runs 20 minutes ahead: fresh SASes fail as not yet valid, then the same SAS succeeds",
    stories: [2, 3],
    generate: (b) => {
      const acct = b.account("stcdnorigin13", "rg-cdn");
      const client: SimCaller = { ip: "20.71.4.99", userAgent: USER_AGENTS.netBlob, version: "2024-08-04" };
      b.background(acct, {
        fromMin: 0,
        toMin: 60,
        rows: 100,
        callers: callersOf(b.rng, 2, "10.160.1", USER_AGENTS.azcli, "2022-11-02"),
      });
      // A new SAS every 15 minutes, minted with st = the minting host's (fast) clock: 20 minutes ahead.
      for (let batch = 0; batch < 4; batch++) {
        const mintedAt = b.startMs + batch * 15 * MINUTE;
        const sas = {
          type: "SAS" as const,
          slot: "key1" as const,
          sigHash: b.rng.hex(64),
          st: iso(mintedAt + 20 * MINUTE),
          se: iso(mintedAt + 80 * MINUTE),
          sp: "r",
        };
        for (let m = batch * 15; m < batch * 15 + 15; m++) {
          const t = b.at(m);
          const early = t < mintedAt + 20 * MINUTE;
          b.request({
            account: acct,
            timeMs: t,
            service: "blob",
            operation: "GetBlob",
            status: early ? 403 : 200,
            errorCode: early ? "AuthenticationFailed" : undefined,
            auth: sas,
            caller: client,
            container: "assets",
            blob: `site/${b.rng.pick(["app.js", "styles.css", "logo.svg"])}`,
            decision: "sas",
          } as RequestSpec);
        }
      }
      b.annotate(acct, { cause: "logs:sas-not-yet-valid", clockSkew: true });
    },
  },
];

/** Seed per scenario, so adding a scenario does not change the others' rows. */
function seedFor(name: string, seed: number): number {
  let h = seed >>> 0;
  for (const ch of name) h = (Math.imul(h ^ ch.charCodeAt(0), 16777619) + 0x9e3779b9) >>> 0;
  return h;
}

export function generateScenario(name: string, opts: ScenarioOptions = {}): ScenarioData {
  const def = SCENARIOS.find((s) => s.name === name);
  if (!def) throw new Error(`unknown scenario '${name}'; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  const b = new ScenarioBuilder(
    new Rng(seedFor(name, opts.seed ?? 1)),
    Date.parse(opts.start ?? DEFAULT_START),
  );
  def.generate(b);
  return b.finish(def.name, def.title, def.stories);
}

/** Every scenario at once (each uses its own account), plus a quiet account with background traffic only. */
export function generateAll(opts: ScenarioOptions = {}): ScenarioData {
  const parts = SCENARIOS.map((s) => generateScenario(s.name, opts));
  const quiet = new ScenarioBuilder(
    new Rng(seedFor("quiet", opts.seed ?? 1)),
    Date.parse(opts.start ?? DEFAULT_START),
  );
  const acct = quiet.account("stquietbackground", "rg-quiet");
  quiet.background(acct, {
    fromMin: 0,
    toMin: 60,
    rows: 400,
    callers: callersOf(quiet.rng, 3, "10.200.1", USER_AGENTS.jsBlob("12.26.0"), "2025-01-05"),
  });
  const q = quiet.finish("quiet", "Background traffic only", []);
  const all = [...parts, q];
  return {
    name: "all",
    title: "Every scenario together",
    stories: [...new Set(parts.flatMap((p) => p.stories))].sort((a, b) => a - b),
    requests: all.flatMap((p) => p.requests).sort((a, b) => a.timeMs - b.timeMs),
    activity: all.flatMap((p) => p.activity).sort((a, b) => a.timeMs - b.timeMs),
    truth: {
      incidents: parts.flatMap((p) => p.truth.incidents),
      rows: all.reduce((n, p) => n + p.truth.rows, 0),
      failures: all.reduce((n, p) => n + p.truth.failures, 0),
    },
  };
}
