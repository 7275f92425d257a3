/**
 * Which Storage service and operation a request targets, and which SAS permission letters that operation
 * needs. Kept as data so the mapping can be read and extended without touching the checks.
 */
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
  /** Human name, e.g. "read blob". */
  name: string;
  /** Any one of these permission letters suffices. */
  anyOf: string[];
}

/**
 * The SAS permission an operation needs (Microsoft's "Create a service SAS" permission tables).
 * `comp` and method decide; unknown shapes return undefined rather than a guess.
 */
export function permissionNeeded(method: string, url: URL, target: RequestTarget): OperationNeed | undefined {
  const m = method.toUpperCase();
  const comp = url.searchParams.get("comp")?.toLowerCase();
  const restype = url.searchParams.get("restype")?.toLowerCase();
  const svc = target.service;
  if (svc === "blob" || svc === "file") {
    const obj = svc === "blob" ? "blob" : "file";
    if (comp === "list") return { name: "list", anyOf: ["l"] };
    if (comp === "tags") return { name: `${m === "GET" ? "read" : "write"} ${obj} tags`, anyOf: ["t"] };
    if (
      target.level === "object" ||
      (restype !== "container" && restype !== "share" && restype !== "directory")
    ) {
      if (target.level !== "object") return undefined;
      if (m === "GET" || m === "HEAD") return { name: `read ${obj}`, anyOf: ["r"] };
      if (m === "DELETE") return { name: `delete ${obj}`, anyOf: ["d"] };
      if (m === "PUT" && comp === "appendblock") return { name: "append block", anyOf: ["a", "w"] };
      if (m === "PUT") return { name: `write ${obj}`, anyOf: ["w", "c"] };
    }
    if (m === "PUT") return { name: `create ${svc === "blob" ? "container" : "share"}`, anyOf: ["c", "w"] };
    if (m === "DELETE") return { name: `delete ${svc === "blob" ? "container" : "share"}`, anyOf: ["d"] };
    if (m === "GET" || m === "HEAD")
      return { name: `read ${svc === "blob" ? "container" : "share"} properties`, anyOf: ["r"] };
    return undefined;
  }
  if (svc === "queue") {
    const messages = target.segments[1] === "messages";
    if (!messages) {
      if (m === "PUT") return { name: "create queue", anyOf: ["c"] };
      if (m === "DELETE") return { name: "delete queue", anyOf: ["d"] };
      if (m === "GET" || m === "HEAD") return { name: "read queue metadata", anyOf: ["r"] };
      return undefined;
    }
    if (m === "POST") return { name: "add message", anyOf: ["a"] };
    if (m === "PUT") return { name: "update message", anyOf: ["u"] };
    if (m === "DELETE") return { name: "delete or clear messages", anyOf: ["p"] };
    if (m === "GET") {
      return url.searchParams.get("peekonly") === "true"
        ? { name: "peek messages", anyOf: ["r"] }
        : { name: "get messages", anyOf: ["p"] };
    }
    return undefined;
  }
  if (svc === "table") {
    if (m === "GET" || m === "HEAD") return { name: "query entities", anyOf: ["r"] };
    if (m === "POST") return { name: "insert entity", anyOf: ["a"] };
    if (m === "PUT" || m === "MERGE" || m === "PATCH") return { name: "update entity", anyOf: ["u"] };
    if (m === "DELETE") return { name: "delete entity", anyOf: ["d"] };
  }
  return undefined;
}

/** The target with another service (from --service or the request's own evidence); the level is recomputed. */
export function withService(target: RequestTarget, service: StorageService): RequestTarget {
  const s = target.segments;
  const base = s.length === 0 ? "service" : s.length === 1 ? "container" : "object";
  const tableEntity = service === "table" && s.length === 1 && /\(.+\)$/.test(s[0]!);
  return { ...target, service, level: tableEntity ? "object" : base };
}
