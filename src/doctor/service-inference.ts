/**
 * Which Storage service a request is for when the host does not say (path-style URLs, the emulator, custom
 * domains, private endpoints, proxies in front of Storage): read it from the request itself. Each rule is
 * evidence with a reason, strongest first; the first rule that speaks wins. Pure.
 */
import type { HttpHeader } from "../signature/http-request.js";
import type { StorageService } from "./operation.js";

export interface ServiceInference {
  service: StorageService;
  /** Why, in words: "the path ends in /messages (Queue)". */
  reason: string;
}

const has = (headers: HttpHeader[], name: string) =>
  headers.some((h) => h.name.toLowerCase() === name.toLowerCase());
const value = (headers: HttpHeader[], name: string) =>
  headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

/** comp= values that only one service uses. */
const COMP_SERVICE: Record<string, StorageService> = {
  block: "blob",
  blocklist: "blob",
  appendblock: "blob",
  page: "blob",
  pagelist: "blob",
  blobs: "blob",
  tags: "blob",
  userdelegationkey: "blob",
  snapshot: "blob",
  copy: "blob",
  seal: "blob",
  incrementalcopy: "blob",
  query: "blob",
  expiry: "blob",
  batch: "blob",
  range: "file",
  rangelist: "file",
  listhandles: "file",
  forceclosehandles: "file",
  filepermission: "file",
};

/** Infers the service from the request; undefined when nothing in it is specific to one service. */
export function inferServiceFromRequest(
  url: URL,
  headers: HttpHeader[],
  pathStyle: boolean,
): ServiceInference | undefined {
  const segments = url.pathname.split("/").filter((s) => s.length > 0);
  // Path-style: the first segment is the account.
  const resource = pathStyle ? segments.slice(1) : segments;
  const comp = url.searchParams.get("comp")?.toLowerCase();
  const restype = url.searchParams.get("restype")?.toLowerCase();

  if (resource[1] === "messages")
    return { service: "queue", reason: "the path's second segment is /messages (Queue messages)" };
  if (resource.length > 0 && /^Tables(\(|$)/.test(resource[0]!))
    return { service: "table", reason: "the path addresses Tables (the Table service's table list)" };
  if (resource.length > 0 && /\(.*(PartitionKey|RowKey).*\)$|\(\)$/.test(resource[resource.length - 1]!))
    return { service: "table", reason: "the path addresses an entity as Table(PartitionKey=…,RowKey=…)" };
  if (has(headers, "DataServiceVersion") || has(headers, "MaxDataServiceVersion"))
    return {
      service: "table",
      reason: "the request carries OData headers (DataServiceVersion), which only Table uses",
    };
  if (/odata=/i.test(value(headers, "accept") ?? "") || /odata=/i.test(value(headers, "content-type") ?? ""))
    return { service: "table", reason: "the request negotiates OData JSON (odata=…), which only Table uses" };
  if (url.searchParams.has("tn")) return { service: "table", reason: "the SAS names a table (tn=)" };

  if (restype === "container")
    return { service: "blob", reason: "restype=container is a Blob container operation" };
  if (restype === "share" || restype === "directory")
    return { service: "file", reason: `restype=${restype} is an Azure Files operation` };
  if (comp && COMP_SERVICE[comp])
    return {
      service: COMP_SERVICE[comp],
      reason: `comp=${comp} exists only in the ${COMP_SERVICE[comp]} service`,
    };
  const blobHeader = headers.find((h) =>
    /^x-ms-(blob-|access-tier|copy-source|encryption-scope|range-get-content)/i.test(h.name),
  );
  if (blobHeader) return { service: "blob", reason: `the ${blobHeader.name} header exists only in Blob` };
  const fileHeader = headers.find((h) => /^x-ms-(file-|type$|content-length$)/i.test(h.name));
  if (fileHeader)
    return { service: "file", reason: `the ${fileHeader.name} header exists only in Azure Files` };
  const sr = url.searchParams.get("sr");
  if (sr && ["b", "bs", "bv", "c", "d"].includes(sr))
    return { service: "blob", reason: `the SAS's signed resource sr=${sr} is a Blob resource` };
  if (sr === "s" || sr === "f")
    return { service: "file", reason: `the SAS's signed resource sr=${sr} is an Azure Files resource` };
  const ss = url.searchParams.get("ss");
  if (ss && ss.length === 1) {
    const bySs: Record<string, StorageService> = { b: "blob", q: "queue", t: "table", f: "file" };
    if (bySs[ss]) return { service: bySs[ss], reason: `the account SAS covers only one service (ss=${ss})` };
  }
  // The Table service stopped at x-ms-version 2019-02-02: a newer version rules it out but names no service.
  return undefined;
}

/** True when the x-ms-version is newer than any the Table service accepts (2019-02-02). */
export function versionRulesOutTable(headers: HttpHeader[]): boolean {
  const v = value(headers, "x-ms-version");
  return v !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(v) && v > "2019-02-02";
}

/** Server header products per service: Azure's `Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0`, Azurite's `Azurite-Blob/3.35.0`. */
const SERVER_SERVICE: Record<string, StorageService> = {
  blob: "blob",
  hdfs: "blob", // the Data Lake (dfs) endpoint, a view of the Blob service
  queue: "queue",
  table: "table",
  file: "file",
};

/**
 * The service that answered, from the response's Server header; undefined when there is none or it is
 * not Storage's or Azurite's. Who answered outranks what the request looks like: a request sent to the
 * wrong port or endpoint is judged by the service that got it.
 */
export function inferServiceFromAnswer(headers: HttpHeader[] | undefined): ServiceInference | undefined {
  const server = headers ? value(headers, "server") : undefined;
  const product = server ? /^\s*(?:Windows-Azure|Azurite)-([A-Za-z]+)\//.exec(server) : null;
  const service = product ? SERVER_SERVICE[product[1]!.toLowerCase()] : undefined;
  if (!service) return undefined;
  return { service, reason: `the answer's Server header is ${server!.trim().slice(0, 60)}` };
}
