import { parseRawHttp } from "../../signature/index.js";
import { CaptureError, lastFailedTry, withoutFormat, type CapturedExchange } from "./exchange.js";
import { parseRawHttpResponse } from "./raw-http.js";

/**
 * Terraform's `TF_LOG=DEBUG` output for Storage calls: the azurerm state backend's `[DEBUG] Azure Backend
 * Request:` and `[DEBUG] Azure Backend Response for <url>:`, the azurerm provider's `[DEBUG]
 * provider.terraform-provider-azurerm…: AzureRM Request:` and `AzureRM Response for <url>:`, each followed
 * by the HTTP dump on lines of their own (the provider's last line ends `: timestamp=…`). The dump is
 * made before the credential is added, so the Authorization header is usually not there.
 */
export const TERRAFORM_DEBUG_LOG = /\[DEBUG\] (?:[\w.-]+: )?(?:Azure Backend|AzureRM) Request:[ \t]*$/m;

const ENTRY = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)? \[[A-Z]+\]/;
const REQUEST_HEAD = /\[DEBUG\] (?:[\w.-]+: )?(?:Azure Backend|AzureRM) Request:[ \t]*$/;
const RESPONSE_HEAD = /\[DEBUG\] (?:[\w.-]+: )?(?:Azure Backend|AzureRM) Response for (\S+?):?[ \t]*$/;
const PROVIDER_TAIL = /: timestamp=\S+$/;

interface Dump {
  kind: "request" | "response";
  /** The URL a response is for. */
  url?: string;
  lines: string[];
  /** The line the dump starts on, 1-based, for errors. */
  line: number;
}

function dumpsOf(text: string): Dump[] {
  const dumps: Dump[] = [];
  let open: Dump | undefined;
  text.split("\n").forEach((line, i) => {
    const request = REQUEST_HEAD.test(line);
    const response = RESPONSE_HEAD.exec(line);
    if (request || response) {
      open = { kind: request ? "request" : "response", lines: [], line: i + 2 };
      if (response) open.url = response[1];
      dumps.push(open);
    } else if (ENTRY.test(line)) open = undefined;
    else open?.lines.push(line);
  });
  for (const d of dumps) {
    const last = d.lines.findLastIndex((l) => l.trim() !== "");
    if (last >= 0) d.lines[last] = d.lines[last]!.replace(PROVIDER_TAIL, "");
  }
  return dumps;
}

export function parseTerraformDebugLog(text: string, where: string): CapturedExchange {
  const dumps = dumpsOf(text.replace(/\r\n/g, "\n"));
  const responses = dumps
    .filter((d) => d.kind === "response")
    .map((d) => ({ d, response: parseRawHttpResponse(d.lines.join("\n").trim(), `${where}:${d.line}`) }));
  const failed = lastFailedTry(responses, (r) => r.response.status);
  // The request a response answers: the last one before it whose path its URL has, else the last one.
  const before = dumps.filter((d) => d.kind === "request" && (!failed || d.line < failed.d.line));
  const path = failed?.d.url ? safePath(failed.d.url) : undefined;
  const dump =
    before.findLast((d) => path !== undefined && d.lines[0]?.split(" ")[1] === path) ?? before.at(-1);
  if (!dump)
    throw new CaptureError(
      `${where}: Terraform's debug log holds no "Request:" dump${failed ? " before its answer" : ""}`,
    );
  const request = parseRawHttp(dump.lines.join("\n").trim(), `${where}:${dump.line}`);
  const authorized = request.headers.some((h) => h.name.toLowerCase() === "authorization");
  return {
    request: withoutFormat(request),
    ...(failed ? { response: failed.response } : {}),
    format: "terraform-debug-log",
    ...(authorized
      ? {}
      : {
          credentialNotShown:
            "Terraform's debug log dumps the request before its credential is added, so neither the Authorization header nor the way it authenticated (storage_use_azuread / use_azuread_auth, a key, a SAS) is shown",
        }),
  };
}

function safePath(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return undefined;
  }
}
