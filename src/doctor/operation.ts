/**
 * Which Storage service and operation a request targets, and which SAS permission letters that operation
 * needs. Kept as data so the mapping can be read and extended without touching the checks.
 */
import { operationPermissions } from "../permissions/index.js";
import type { StorageService } from "../signature/canonical.js";
import type { HttpHeader } from "../signature/http-request.js";
import {
  emulatorPortService,
  isPathStyleHost,
  safeDecode,
  storageHostOf,
} from "../signature/storage-host.js";

export type { StorageService };

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

/**
 * The service and account from a Storage host name (public, private-link and Azure DNS zone names); a
 * path-style URL (an IP, localhost, a single-label name, an emulator's port) puts the account first in
 * the path; any other host (a custom domain) names neither, and --service and --account tell them.
 */
export function targetOf(url: URL): RequestTarget {
  const rawPath = url.pathname;
  let segments = rawPath
    .split("/")
    .filter((s) => s.length > 0)
    .map(safeDecode);
  const port = url.port ? Number(url.port) : undefined;
  const host = storageHostOf(url.hostname);
  let service = host?.service;
  let account = host?.account;
  const pathStyle = !host && (isPathStyleHost(url.hostname) || emulatorPortService(port) !== undefined);
  if (pathStyle) {
    service = emulatorPortService(port);
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

/** Lease operations by x-ms-lease-action; the logged name is the action plus "Blob"/"Container" + "Lease". */
const LEASE_ACTION: Record<string, string> = {
  acquire: "Acquire",
  renew: "Renew",
  change: "Change",
  release: "Release",
  break: "Break",
};

const headerOf = (headers: readonly HttpHeader[], name: string): string | undefined =>
  headers.find((h) => h.name.toLowerCase() === name)?.value;

/**
 * The OperationName Storage logs for a request ("Storage Analytics logged operations and status
 * messages"), from its method, URL, resolved target and, where the REST API tells operations apart by a
 * header (lease action, copy source, page write), its headers. Undefined for shapes not mapped: never a
 * guess, so callers say "unknown operation" rather than name the wrong permission.
 */
export function operationOf(
  method: string,
  url: URL,
  target: RequestTarget,
  headers: readonly HttpHeader[] = [],
): string | undefined {
  const req: OpRequest = {
    m: method.toUpperCase(),
    comp: url.searchParams.get("comp")?.toLowerCase(),
    restype: url.searchParams.get("restype")?.toLowerCase(),
    level: target.level,
    segments: target.segments,
    query: url.searchParams,
    header: (name) => headerOf(headers, name),
  };
  switch (target.service) {
    case "blob":
      return (isDataLakeRequest(url) ? dataLakeOperation(req) : undefined) ?? blobOperation(req);
    case "queue":
      return queueOperation(req);
    case "table":
      return tableOperation(req);
    case "file":
      return fileOperation(req);
    default:
      return undefined;
  }
}

interface OpRequest {
  m: string;
  comp?: string;
  restype?: string;
  level: RequestTarget["level"];
  segments: string[];
  query: URLSearchParams;
  header(name: string): string | undefined;
}

const isRead = (m: string) => m === "GET" || m === "HEAD";

/** ADLS Gen2 requests: the dfs endpoint, or the `resource=` and `action=` parameters only it takes. */
function isDataLakeRequest(url: URL): boolean {
  return (
    /\.dfs\./i.test(url.hostname) ||
    /^(filesystem|directory|file|account)$/i.test(url.searchParams.get("resource") ?? "") ||
    /^(append|flush|setaccesscontrol|setaccesscontrolrecursive|getaccesscontrol|getstatus|setproperties)$/i.test(
      url.searchParams.get("action") ?? "",
    )
  );
}

/** PATCH ?action= on a path, as StorageBlobLogs names it. */
const DATA_LAKE_UPDATE: Record<string, string> = {
  append: "AppendFile",
  flush: "FlushFile",
  setaccesscontrol: "SetPathAccessControl",
  setaccesscontrolrecursive: "SetPathAccessControlRecursive",
};

/**
 * The ADLS Gen2 operations (Filesystem and Path of the Data Lake REST API) as StorageBlobLogs names them;
 * undefined for a request shaped like a Blob one, which the Blob rules then name.
 */
function dataLakeOperation(r: OpRequest): string | undefined {
  const resource = r.query.get("resource")?.toLowerCase();
  const action = r.query.get("action")?.toLowerCase();
  if (resource === "account" && r.m === "GET") return "ListFilesystems";
  if (r.level === "container" && resource === "filesystem") {
    if (r.m === "PUT") return "CreateFilesystem";
    if (r.m === "DELETE") return "DeleteFilesystem";
    if (r.m === "HEAD") return "GetFilesystemProperties";
    if (r.m === "PATCH") return "SetFilesystemProperties";
    if (r.m === "GET") return "ListFilesystemDir";
  }
  if (r.level !== "object") return undefined;
  if (r.m === "PUT") {
    if (r.header("x-ms-rename-source")) return resource === "directory" ? "RenamePathDir" : "RenamePathFile";
    if (resource === "file") return "CreatePathFile";
    if (resource === "directory") return "CreatePathDir";
  }
  if (r.m === "PATCH" && action) return DATA_LAKE_UPDATE[action];
  if (r.m === "HEAD") return action === "getaccesscontrol" ? "GetPathAccessControl" : "GetPathProperties";
  if (r.m === "GET") return "ReadFile";
  if (r.m === "DELETE") return r.query.has("recursive") ? "DeleteDirectory" : "DeleteFile";
  return undefined;
}

function leaseOperation(r: OpRequest, kind: "Blob" | "Container"): string | undefined {
  const action = LEASE_ACTION[r.header("x-ms-lease-action")?.toLowerCase() ?? ""];
  return r.m === "PUT" && action ? `${action}${kind}Lease` : undefined;
}

/** Service-level requests shared by every service: list, and service properties. */
function serviceOperation(r: OpRequest, kind: string, list: string): string | undefined {
  if (r.comp === "list" && r.m === "GET") return list;
  if (r.restype === "service" && r.comp === "properties")
    return r.m === "PUT"
      ? `Set${kind}ServiceProperties`
      : isRead(r.m)
        ? `Get${kind}ServiceProperties`
        : undefined;
  if (r.restype === "service" && r.comp === "stats" && isRead(r.m)) return `Get${kind}ServiceStats`;
  return undefined;
}

function blobOperation(r: OpRequest): string | undefined {
  const { m, comp, restype, level } = r;
  const copySource = r.header("x-ms-copy-source") !== undefined;
  if (level === "service") {
    if (comp === "userdelegationkey" && m === "POST") return "GetUserDelegationKey";
    if (comp === "blobs" && m === "GET") return "FindBlobsByTags";
    if (restype === "account" && comp === "properties" && isRead(m)) return "GetAccountInformation";
    return serviceOperation(r, "Blob", "ListContainers");
  }
  if (level === "container") {
    if (restype !== "container") return undefined;
    if (comp === "list" && m === "GET") return "ListBlobs";
    if (comp === "blobs" && m === "GET") return "FindBlobsByTags";
    if (comp === "metadata")
      return m === "PUT" ? "SetContainerMetadata" : isRead(m) ? "GetContainerMetadata" : undefined;
    if (comp === "acl") return m === "PUT" ? "SetContainerACL" : isRead(m) ? "GetContainerACL" : undefined;
    if (comp === "lease") return leaseOperation(r, "Container");
    if (comp) return undefined;
    if (m === "PUT") return "CreateContainer";
    if (m === "DELETE") return "DeleteContainer";
    if (isRead(m)) return "GetContainerProperties";
    return undefined;
  }
  switch (comp) {
    case undefined:
      if (m === "GET") return "GetBlob";
      if (m === "HEAD") return "GetBlobProperties";
      if (m === "DELETE") return "DeleteBlob";
      if (m !== "PUT") return undefined;
      // Put Blob From URL names the blob type; Copy Blob (async or sync) does not.
      if (copySource) return r.header("x-ms-blob-type") ? "PutBlobFromURL" : "CopyBlob";
      return "PutBlob";
    case "block":
      return m === "PUT" ? (copySource ? "PutBlockFromURL" : "PutBlock") : undefined;
    case "blocklist":
      return m === "PUT" ? "PutBlockList" : isRead(m) ? "GetBlockList" : undefined;
    case "appendblock":
      return m === "PUT" ? (copySource ? "AppendBlockFromURL" : "AppendBlock") : undefined;
    case "page":
      if (m !== "PUT") return undefined;
      return r.header("x-ms-page-write")?.toLowerCase() === "clear" ? "ClearPage" : "PutPage";
    case "pagelist":
      return isRead(m) ? "GetPageRegions" : undefined;
    case "metadata":
      return m === "PUT" ? "SetBlobMetadata" : isRead(m) ? "GetBlobMetadata" : undefined;
    case "properties":
      return m === "PUT" ? "SetBlobProperties" : undefined;
    case "tags":
      return m === "PUT" ? "SetBlobTags" : isRead(m) ? "GetBlobTags" : undefined;
    case "lease":
      return leaseOperation(r, "Blob");
    case "snapshot":
      return m === "PUT" ? "SnapshotBlob" : undefined;
    case "copy":
      return m === "PUT" && r.query.has("copyid") ? "AbortCopyBlob" : undefined;
    case "tier":
      return m === "PUT" ? "SetBlobTier" : undefined;
    case "expiry":
      return m === "PUT" ? "SetBlobExpiry" : undefined;
    case "undelete":
      return m === "PUT" ? "UndeleteBlob" : undefined;
    case "query":
      return m === "POST" ? "QueryBlobContents" : undefined;
    default:
      return undefined;
  }
}

function queueOperation(r: OpRequest): string | undefined {
  const { m, comp, level, segments } = r;
  if (level === "service") return serviceOperation(r, "Queue", "ListQueues");
  if (segments[1] === "messages") {
    if (segments.length > 3 || comp) return undefined;
    const single = segments.length === 3;
    if (m === "POST" && !single) return "PutMessage";
    if (m === "PUT" && single) return "UpdateMessage";
    if (m === "DELETE") return single ? "DeleteMessage" : "ClearMessages";
    if (m === "GET" && !single)
      return r.query.get("peekonly")?.toLowerCase() === "true" ? "PeekMessages" : "GetMessages";
    return undefined;
  }
  if (segments.length !== 1) return undefined;
  if (comp === "metadata")
    return m === "PUT" ? "SetQueueMetadata" : isRead(m) ? "GetQueueMetadata" : undefined;
  if (comp === "acl") return m === "PUT" ? "SetQueueACL" : isRead(m) ? "GetQueueACL" : undefined;
  if (comp) return undefined;
  if (m === "PUT") return "CreateQueue";
  if (m === "DELETE") return "DeleteQueue";
  // A plain GET on a queue is no operation (metadata needs comp=metadata): not guessed.
  return undefined;
}

function tableOperation(r: OpRequest): string | undefined {
  const { m, comp, level, segments } = r;
  if (level === "service" || segments.length !== 1) {
    return level === "service" && r.restype === "service"
      ? serviceOperation(r, "Table", "QueryTables")
      : undefined;
  }
  const first = segments[0]!;
  if (/^Tables(\(|$)/.test(first)) {
    if (comp) return undefined;
    if (m === "GET") return "QueryTables";
    if (m === "POST") return "CreateTable";
    if (m === "DELETE") return "DeleteTable";
    return undefined;
  }
  if (comp === "acl") return m === "PUT" ? "SetTableACL" : isRead(m) ? "GetTableACL" : undefined;
  if (comp) return undefined;
  const entity = /\(.+\)$/.test(first);
  // Without If-Match, PUT and MERGE on an entity are the upserts (Insert Or Replace / Insert Or Merge).
  const conditional = r.header("if-match") !== undefined;
  if (m === "GET") return entity ? "QueryEntity" : "QueryEntities";
  if (m === "POST") return entity ? undefined : "InsertEntity";
  if (!entity) return undefined;
  if (m === "PUT") return conditional ? "UpdateEntity" : "InsertOrReplaceEntity";
  if (m === "MERGE" || m === "PATCH") return conditional ? "MergeEntity" : "InsertOrMergeEntity";
  if (m === "DELETE") return "DeleteEntity";
  return undefined;
}

function fileOperation(r: OpRequest): string | undefined {
  const { m, comp, restype, level } = r;
  const copySource = r.header("x-ms-copy-source") !== undefined;
  if (level === "service") return serviceOperation(r, "File", "ListShares");
  if (restype === "share") {
    if (level !== "container") return undefined;
    switch (comp) {
      case undefined:
        return m === "PUT"
          ? "CreateShare"
          : m === "DELETE"
            ? "DeleteShare"
            : isRead(m)
              ? "GetShareProperties"
              : undefined;
      case "metadata":
        return m === "PUT" ? "SetShareMetadata" : isRead(m) ? "GetShareMetadata" : undefined;
      case "properties":
        return m === "PUT" ? "SetShareProperties" : undefined;
      case "acl":
        return m === "PUT" ? "SetShareACL" : isRead(m) ? "GetShareACL" : undefined;
      case "stats":
        return isRead(m) ? "GetShareStats" : undefined;
      case "filepermission":
        return m === "PUT" ? "CreatePermission" : m === "GET" ? "GetPermission" : undefined;
      case "snapshot":
        return m === "PUT" ? "SnapshotShare" : undefined;
      case "lease":
        return m === "PUT" ? "LeaseShare" : undefined;
      default:
        return undefined;
    }
  }
  if (comp === "listhandles") return m === "GET" ? "ListHandles" : undefined;
  if (comp === "forceclosehandles") return m === "PUT" ? "ForceCloseHandles" : undefined;
  // The share's root directory is the share URL with restype=directory.
  if (restype === "directory") {
    switch (comp) {
      case undefined:
        return m === "PUT"
          ? "CreateDirectory"
          : m === "DELETE"
            ? "DeleteDirectory"
            : isRead(m)
              ? "GetDirectoryProperties"
              : undefined;
      case "list":
        return m === "GET" ? "ListFilesAndDirectories" : undefined;
      case "metadata":
        return m === "PUT" ? "SetDirectoryMetadata" : isRead(m) ? "GetDirectoryMetadata" : undefined;
      case "properties":
        return m === "PUT" ? "SetDirectoryProperties" : undefined;
      case "rename":
        return m === "PUT" ? "RenameDirectory" : undefined;
      default:
        return undefined;
    }
  }
  if (restype || level !== "object") return undefined;
  switch (comp) {
    case undefined:
      if (m === "GET") return "GetFile";
      if (m === "HEAD") return "GetFileProperties";
      if (m === "DELETE") return "DeleteFile";
      // Copy File sends the source in x-ms-copy-source; Create File does not.
      if (m === "PUT") return copySource ? "CopyFile" : "CreateFile";
      return undefined;
    case "range":
      return m === "PUT" ? (copySource ? "PutRangeFromURL" : "PutRange") : undefined;
    case "rangelist":
      return m === "GET" ? "ListRanges" : undefined;
    case "metadata":
      return m === "PUT" ? "SetFileMetadata" : isRead(m) ? "GetFileMetadata" : undefined;
    case "properties":
      return m === "PUT" ? "SetFileProperties" : undefined;
    case "copy":
      return m === "PUT" && r.query.has("copyid") ? "AbortCopyFile" : undefined;
    case "lease":
      return m === "PUT" ? "LeaseFile" : undefined;
    case "rename":
      return m === "PUT" ? "RenameFile" : undefined;
    default:
      return undefined;
  }
}

/** The SAS permission an operation needs, from the one operation → permission table (src/permissions). */
export function permissionNeeded(
  method: string,
  url: URL,
  target: RequestTarget,
  headers: readonly HttpHeader[] = [],
): OperationNeed | undefined {
  const op = target.service ? operationOf(method, url, target, headers) : undefined;
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
