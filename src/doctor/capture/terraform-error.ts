import { codeOfStatusMessage } from "../../codes/error-codes.js";
import { CaptureError, storageAnswer, type CapturedExchange } from "./exchange.js";

/**
 * Terraform's error for a Storage data-plane call (the azurerm provider and the azurerm state backend), the
 * way platform teams meet the firewall, a missing data role and disabled Shared Key:
 * - go-azure-sdk (azurerm 3.9x and 4.x, current backends): `checking for existing Container "tfstate"
 *   (Account "Account \"st\" (IsEdgeZone false / ZoneName \"\" / Subdomain Type \"blob\" / DomainSuffix
 *   \"core.windows.net\")"): executing request: unexpected status 403 (403 This request is not authorized
 *   to perform this operation.) with AuthorizationFailure: …`, then `RequestId:` and `Time:` lines; an
 *   answer without a body (a HEAD) ends `with EOF`, and only its status text names the code.
 * - autorest (older providers and backends): `containers.Client#ListBlobs: Failure responding to request:
 *   StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403
 *   Code="AuthorizationFailure" Message="…"`.
 * Each line may carry Terraform's `│ ` frame. The text names the account, the resource and what was
 * being done, never the URL, a header or the credential: the request is rebuilt from those names (the
 * capture says so), and the answer from the status, code, message, request id and time.
 */
export const TERRAFORM_ERROR =
  /executing request: unexpected status \d{3} \(|\.Client#\w+: Failure responding to request: StatusCode=\d{3}|[Ll]isting [Kk]eys for Storage Account/;

/**
 * Terraform lists the account's keys through Azure Resource Manager before any Storage call, unless told to
 * use Microsoft Entra ID: a refusal there is the control plane's, and no Storage request was made.
 */
const LIST_KEYS_REFUSED = /[Ll]isting [Kk]eys for Storage Account|storageAccounts\/listKeys\/action/;

/** What Terraform was doing, as its message words it, and the request that does it (operationOf names it). */
interface Action {
  method: string;
  /** The query (and header) that names the operation, on the resource's path. */
  query: string;
  headers?: Array<{ name: string; value: string }>;
  /** The resource level the path stops at. */
  level: "service" | "container" | "object";
}

const ACTIONS: Array<[RegExp, Action]> = [
  [
    /listing blobs|Failed to get existing workspaces|containers\.Client#ListBlobs/i,
    { method: "GET", query: "restype=container&comp=list", level: "container" },
  ],
  [
    /(?:checking for existing|retrieving) Container "|containers\.Client#GetProperties/i,
    { method: "GET", query: "restype=container", level: "container" },
  ],
  [
    /creating Container "|containers\.Client#Create/i,
    { method: "PUT", query: "restype=container", level: "container" },
  ],
  [
    /deleting Container "|containers\.Client#Delete/i,
    { method: "DELETE", query: "restype=container", level: "container" },
  ],
  [
    /state lock|acquiring lease|blobs\.Client#AcquireLease/i,
    {
      method: "PUT",
      query: "comp=lease",
      headers: [{ name: "x-ms-lease-action", value: "acquire" }],
      level: "object",
    },
  ],
  [
    /(?:retrieving properties for|checking for existing) Blob "|blobs\.Client#GetProperties/i,
    { method: "HEAD", query: "", level: "object" },
  ],
  [
    /(?:uploading|creating|putting) Blob "|blobs\.Client#Put\w*/i,
    { method: "PUT", query: "", headers: [{ name: "x-ms-blob-type", value: "BlockBlob" }], level: "object" },
  ],
  [/deleting Blob "|blobs\.Client#Delete/i, { method: "DELETE", query: "", level: "object" }],
  [/retrieving Blob "|blobs\.Client#Get\b/i, { method: "GET", query: "", level: "object" }],
  [
    /(?:checking for existing|retrieving) File Share "|shares\.Client#GetProperties/i,
    { method: "GET", query: "restype=share", level: "container" },
  ],
  [
    /creating File Share "|shares\.Client#Create/i,
    { method: "PUT", query: "restype=share", level: "container" },
  ],
  [
    /(?:checking for existing|retrieving) Queue "|queues\.Client#GetMetaData/i,
    { method: "GET", query: "comp=metadata", level: "container" },
  ],
  [/creating Queue "|queues\.Client#Create/i, { method: "PUT", query: "", level: "container" }],
  [
    /(?:checking for existence of existing|retrieving) File System "/i,
    { method: "HEAD", query: "resource=filesystem", level: "container" },
  ],
  [
    /retrieving (?:blob|queue|file|table) (?:service )?properties|Blob Service to become available|accounts\.Client#GetServiceProperties|queues\.Client#GetServiceProperties/i,
    { method: "GET", query: "restype=service&comp=properties", level: "service" },
  ],
];

/** The resource kinds Terraform names, and the service each lives in (anything else is Blob). */
const RESOURCE_SERVICE: Array<[RegExp, "blob" | "queue" | "table" | "file" | "dfs"]> = [
  [/\bFile System\b|\bfilesystems?\.Client#/i, "dfs"],
  [/\bFile Share\b|\bshares\.Client#|\bfile (?:service )?properties/i, "file"],
  [/\bQueue\b|\bqueues\.Client#|\bqueue (?:service )?properties/i, "queue"],
  [/\bTable\b|\btables\.Client#|\btable (?:service )?properties/i, "table"],
];

const ACCOUNT_NAME = [
  /Account \\"([a-z0-9]{3,24})\\"/, // go-azure-sdk's nested `Account "Account \"st\" (…)"`
  /Storage Account Name: "([a-z0-9]{3,24})"/,
  /[Aa]ccount "([a-z0-9]{3,24})"/,
];

function first(text: string, patterns: RegExp[]): string | undefined {
  for (const re of patterns) {
    const m = re.exec(text);
    if (m) return m[1];
  }
  return undefined;
}

/** Terraform's text without its frame (`╷`, `│ `, `╵`). */
function unframed(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .split("\n")
    .filter((l) => !/^\s*[╷╵]\s*$/.test(l))
    .map((l) => l.replace(/^\s*│ ?/, ""))
    .join("\n");
}

export function parseTerraformError(text: string, where: string, account?: string): CapturedExchange {
  const t = unframed(text);
  if (LIST_KEYS_REFUSED.test(t) && /\b(?:403|AuthorizationFailed)\b/.test(t))
    throw new CaptureError(
      `${where}: Azure Resource Manager refused to list the account's keys (Microsoft.Storage/storageAccounts/listKeys/action), so no Storage request was made: Terraform reads the key this way unless storage_use_azuread = true (use_azuread_auth = true in a backend). Set that and give the identity Terraform runs as a data role (Storage Blob Data Contributor for containers and state), or let it list keys (Storage Account Key Operator Service Role on the account)`,
    );
  const go =
    /executing request: unexpected status (\d{3}) \(\d{3} ([^\n]*?)\) with (\w+)(?::[ \t]*([^\n]*))?/.exec(t);
  const auto =
    /(\w+)\.Client#(\w+): Failure responding to request: StatusCode=(\d{3})(?: -- Original Error: autorest\/azure: Service returned an error\. Status=\d{3} Code="([^"]*)" Message="((?:[^"\\]|\\.)*)")?/.exec(
      t,
    );
  if (!go && !auto)
    throw new CaptureError(`${where}: no "unexpected status NNN" or "Failure responding to request" found`);
  const status = Number(go ? go[1] : auto![3]);
  const reason = go?.[2]?.trim();
  const named = go ? (go[3] === "EOF" ? undefined : go[3]) : auto![4] || undefined;
  // An answer without a body (a HEAD) ends `with EOF`: its status text is Storage's message for one code.
  const code = named ?? (reason ? codeOfStatusMessage(reason) : undefined);
  const message = (
    go ? (go[3] === "EOF" ? reason : go[4]?.trim() || reason) : auto![5]?.replace(/\\n/g, "\n").split("\n")[0]
  )?.trim();
  const requestId = /RequestId:([0-9a-f-]{36})/i.exec(t)?.[1];
  const time = /Time:(\d{4}-\d{2}-\d{2}T[\d:.]+Z)/.exec(t)?.[1];

  const acct = account ?? first(t, ACCOUNT_NAME);
  const subdomain = /Subdomain Type \\"(blob|queue|table|file|dfs)\\"/.exec(t)?.[1];
  const service = subdomain ?? RESOURCE_SERVICE.find(([re]) => re.test(t))?.[1] ?? "blob";
  const suffix = /DomainSuffix \\"([a-z0-9.-]+)\\"/.exec(t)?.[1] ?? "core.windows.net";
  const container = /(?:Container|File Share|Queue|Table|File System)(?: Name)? "([^"\\]+)"/.exec(t)?.[1];
  const blob = /\bBlob "([^"\\]+)"/.exec(t)?.[1];
  const action = ACTIONS.find(([re]) => re.test(t))?.[1];
  if (!acct)
    throw new CaptureError(
      `${where}: Terraform's error names no storage account (a backend's "Failed to get existing workspaces" does not): give the account (--account, or the page's Account field) as the backend's storage_account_name`,
    );

  // The path down to the level the action works at; without the names it needs, or an action not
  // recognised, the request stays at the account and no operation is named.
  const parts = action
    ? [action.level !== "service" ? container : "", action.level === "object" ? blob : ""]
    : [undefined];
  const rebuilt = action && parts.every((p) => p !== undefined) ? action : undefined;
  const path = rebuilt
    ? parts
        .filter((p) => p)
        .map((p) => encodeURIComponent(p!))
        .join("/")
    : "";
  const url = `https://${acct}.${service}.${suffix}/${path}${rebuilt?.query ? `?${rebuilt.query}` : ""}`;
  return {
    request: {
      method: rebuilt?.method ?? "GET",
      url,
      headers: [...(rebuilt?.headers ?? [])],
    },
    response: storageAnswer({ status, code, message, requestId, time }),
    format: "terraform-error",
    queryNotShown: true,
    credentialNotShown: `Terraform's error names the account${container ? ` (and ${container})` : ""}${rebuilt ? " and what it was doing" : ""}, but no URL, header or credential (the request shown is rebuilt from those names)`,
  };
}
