/**
 * Who answered, and to what: the storage emulator (its error codes differ from Azure's), or something in
 * front of Storage (a gateway's HTML page, a forward proxy's 407) that never let Storage judge the
 * credential. Pure.
 */
import { header, storageErrorOf, type CapturedResponse } from "./capture.js";
import type { Finding } from "./finding.js";
import type { RequestTarget } from "./operation.js";

export interface Emulator {
  /** What gave it away: the account, the Server header, the port. */
  reason: string;
  /** How its answers differ from Azure's, for the report. */
  note: string;
}

const EMULATOR_NOTE =
  "The emulator's error codes differ from Azure's: Azurite answers a Shared Key or SAS signature that does not verify with 403 AuthorizationFailure (Azure: 403 AuthenticationFailed with the string-to-sign in AuthenticationErrorDetail; on Azure AuthorizationFailure means a firewall or network rule), token problems with 403 AuthenticationFailed (Azure: 401 InvalidAuthenticationInfo with a WWW-Authenticate challenge), and it has no firewall at all. The verdict therefore rests on the request's own evidence, not on the code.";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|host\.docker\.internal|azurite)$/i;

export function emulatorOf(
  url: URL,
  target: RequestTarget,
  res: CapturedResponse | undefined,
): Emulator | undefined {
  const server = res ? header(res.headers, "server") : undefined;
  if (server && /azurite/i.test(server))
    return { reason: `the response's Server header is ${server}`, note: EMULATOR_NOTE };
  if (target.account?.toLowerCase() === "devstoreaccount1")
    return {
      reason: "the account is devstoreaccount1, the emulator's well-known account",
      note: EMULATOR_NOTE,
    };
  if (target.pathStyle && LOOPBACK.test(url.hostname) && ["10000", "10001", "10002"].includes(url.port))
    return { reason: `a path-style URL on ${url.host}, the emulator's default port`, note: EMULATOR_NOTE };
  return undefined;
}

/**
 * Storage's answers always carry a request id and, for errors, a Storage error code: in a header, its
 * XML or JSON error, or the code line an SDK's exception text prints (`ErrorCode: …`).
 */
function fromStorage(res: CapturedResponse): boolean {
  if (header(res.headers, "x-ms-request-id") || storageErrorOf(res).code) return true;
  const body = res.body?.trim() ?? "";
  return /<Error>\s*<Code>/i.test(body) || /"odata\.error"|"error"\s*:\s*\{\s*"code"/.test(body);
}

function htmlTitle(body: string): string | undefined {
  const t = /<title>([^<]{1,120})<\/title>/i.exec(body)?.[1] ?? /<h1>([^<]{1,120})<\/h1>/i.exec(body)?.[1];
  return t?.replace(/\s+/g, " ").trim();
}

/** Findings about the response itself: a proxy's 407, an answer that is not Storage's, a cut-off body. */
export function responseOriginFindings(res: CapturedResponse | undefined, truncated: boolean): Finding[] {
  if (!res || res.status === undefined) return [];
  const out: Finding[] = [];
  if (res.status === 407) {
    const realm = header(res.headers, "proxy-authenticate");
    out.push({
      id: "proxy-authentication-required",
      severity: "error",
      title: "A forward proxy wants its own credentials (407)",
      detail: `407 Proxy Authentication Required${realm ? ` (Proxy-Authenticate: ${realm.slice(0, 80)})` : ""} comes from an HTTP proxy between the client and Storage, not from Storage: Storage never saw the request, so nothing here says anything about the Storage credential. Give the client the proxy's credentials (HTTPS_PROXY=http://user:password@proxy:port) or have *.core.windows.net allowed or bypassed (NO_PROXY).`,
      decision: "network",
    });
    return out;
  }
  if (res.status >= 400 && !fromStorage(res)) {
    const body = res.body ?? "";
    const html =
      /^\s*(<!doctype html|<html)/i.test(body) ||
      /text\/html/i.test(header(res.headers, "content-type") ?? "");
    const title = html ? htmlTitle(body) : undefined;
    const server = header(res.headers, "server");
    out.push({
      id: "response-not-from-storage",
      severity: "error",
      title: "The answer did not come from Storage",
      detail: `The ${res.status} carries no x-ms-request-id and no Storage error code${html ? `; it is an HTML page${title ? ` ("${title}")` : ""}` : ""}${server ? ` from Server: ${server.slice(0, 80)}` : ""}. A gateway, WAF, load balancer or proxy in front of Storage answered, so Storage never judged the credential: look at that component (its health probes, backend settings, rules and logs). Do not rotate keys or change roles because of this answer.`,
      decision: "network",
    });
  }
  if (truncated) {
    out.push({
      id: "response-truncated",
      severity: "warning",
      title: "The response body is cut off",
      detail:
        "The error body ends before its closing tag: it was truncated (a log line limit, a terminal copy). What it said after the cut, including any string-to-sign, is lost; capture the whole body for a field-by-field answer.",
      decision: "authentication",
    });
  }
  return out;
}
