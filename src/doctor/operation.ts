/**
 * Which Storage service and operation a request targets, and which SAS permission letters that operation
 * needs. Kept as data so the mapping can be read and extended without touching the checks.
 */
import { operationPermissions } from "../permissions/index.js";

export type StorageService = "blob" | "queue" | "table" | "file";

export interface RequestTarget {
  service?: StorageService;
  account?: string;
  /** Path segments after the account (decoded), e.g. ["container", "dir", "blob.txt"]. */
  segments: string[];
  /** The path exactly as sent, still percent-encoded. */
  rawPath: string;
  /** Whether the URL is path-style (emulator/IP): /account/container/… */
  pathStyle: boolean;
  /** Resource level: service, container/share/queue/table, or object (blob/file/message/entity). */
  level: "service" | "container" | "object";
}

const HOST_SERVICE: Array<[RegExp, StorageService]> = [
  [/^([a-z0-9]+)(?:-secondary)?\.(?:blob|dfs)\./i, "blob"],
  [/^([a-z0-9]+)(?:-secondary)?\.queue\./i, "queue"],
  [/^([a-z0-9]+)(?:-secondary)?\.table\./i, "table"],
  [/^([a-z0-9]+)(?:-secondary)?\.file\./i, "file"],
];

/** Azurite's default ports, for path-style emulator URLs. */
const EMULATOR_PORTS: Record<string, StorageService> = {
  "10000": "blob",
  "10001": "queue",
  "10002": "table",
};

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function targetOf(url: URL): RequestTarget {
  const rawPath = url.pathname;
  let segments = rawPath
    .split("/")
    .filter((s) => s.length > 0)
    .map(safeDecode);
  let service: StorageService | undefined;
  let account: string | undefined;
  let pathStyle = false;
  for (const [re, svc] of HOST_SERVICE) {
    const m = re.exec(url.hostname);
    if (m) {
      service = svc;
      account = m[1]!.toLowerCase();
      break;
    }
  }
  if (!account) {
    pathStyle = true;
    service = EMULATOR_PORTS[url.port];
    account = segments[0];
    segments = segments.slice(1);
  }
  const level = segments.length === 0 ? "service" : segments.length === 1 ? "container" : "object";
  // Tables address entities as Table(PartitionKey=…,RowKey=…) in one segment.
  const tableEntity = service === "table" && segments.length === 1 && /\(.+\)$/.test(segments[0]!);
  return { service, account, segments, rawPath, pathStyle, level: tableEntity ? "object" : level };
}

export interface OperationNeed {
  /** The logged operation name and what it does, e.g. "PutBlob (write a blob)". */
  name: string;
  /** Alternatives: every letter of one alternative must be in sp (from src/permissions, the one table). */
  anyOf: string[];
}

/** The logged operation name a request performs; undefined for shapes not mapped (never a guess). */
export function operationOf(method: string, url: URL, target: RequestTarget): string | undefined {
  const m = method.toUpperCase();
  const comp = url.searchParams.get("comp")?.toLowerCase();
  const restype = url.searchParams.get("restype")?.toLowerCase();
  const level = target.level;
  switch (target.service) {
    case "blob":
      if (comp === "list") return level === "service" ? "ListContainers" : "ListBlobs";
      if (comp === "tags") return m === "GET" ? "GetBlobTags" : "SetBlobTags";
      if (level === "object") {
        if (comp === "block") return "PutBlock";
        if (comp === "blocklist") return m === "GET" ? "GetBlockList" : "PutBlockList";
        if (comp === "appendblock") return "AppendBlock";
        if (comp === "metadata") return m === "GET" || m === "HEAD" ? "GetBlobMetadata" : "SetBlobMetadata";
        if (comp) return undefined;
        if (m === "GET") return "GetBlob";
        if (m === "HEAD") return "GetBlobProperties";
        if (m === "PUT") return "PutBlob";
        if (m === "DELETE") return "DeleteBlob";
        return undefined;
      }
      if (level === "container" && restype === "container" && !comp) {
        if (m === "PUT") return "CreateContainer";
        if (m === "DELETE") return "DeleteContainer";
        if (m === "GET" || m === "HEAD") return "GetContainerProperties";
      }
      return undefined;
    case "queue": {
      const messages = target.segments[1] === "messages";
      if (!messages) {
        if (level === "service" && comp === "list") return "ListQueues";
        if (comp === "metadata") return m === "PUT" ? "SetQueueMetadata" : "GetQueueMetadata";
        if (comp) return undefined;
        if (m === "PUT") return "CreateQueue";
        if (m === "DELETE") return "DeleteQueue";
        return undefined;
      }
      const single = target.segments.length > 2;
      if (m === "POST") return "PutMessage";
      if (m === "PUT") return "UpdateMessage";
      if (m === "DELETE") return single ? "DeleteMessage" : "ClearMessages";
      if (m === "GET") return url.searchParams.get("peekonly") === "true" ? "PeekMessages" : "GetMessages";
      return undefined;
    }
    case "table": {
      const first = target.segments[0] ?? "";
      if (/^Tables(\(|$)/.test(first)) {
        if (m === "GET") return "QueryTables";
        if (m === "POST") return "CreateTable";
        if (m === "DELETE") return "DeleteTable";
        return undefined;
      }
      const entity = /\(.+\)$/.test(first);
      if (m === "GET") return entity ? "QueryEntity" : "QueryEntities";
      if (m === "POST") return "InsertEntity";
      if (m === "PUT") return "UpdateEntity";
      if (m === "MERGE" || m === "PATCH") return "MergeEntity";
      if (m === "DELETE") return "DeleteEntity";
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The SAS permission an operation needs, from the one operation → permission table (src/permissions). */
export function permissionNeeded(method: string, url: URL, target: RequestTarget): OperationNeed | undefined {
  const op = target.service ? operationOf(method, url, target) : undefined;
  const perms = op && target.service ? operationPermissions(target.service, op) : undefined;
  if (!perms || perms.sas.length === 0) return undefined;
  return { name: `${perms.operation} (${perms.does})`, anyOf: [...perms.sas] };
}

/** The target with another service (from --service or the request's own evidence); the level is recomputed. */
export function withService(target: RequestTarget, service: StorageService): RequestTarget {
  const s = target.segments;
  const base = s.length === 0 ? "service" : s.length === 1 ? "container" : "object";
  const tableEntity = service === "table" && s.length === 1 && /\(.+\)$/.test(s[0]!);
  return { ...target, service, level: tableEntity ? "object" : base };
}
