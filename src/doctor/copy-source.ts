import { redactUri } from "../redact.js";
import { header } from "./capture/exchange.js";
import type { HttpHeader } from "../signature/index.js";
import type { Finding } from "./finding.js";
import { isHiddenByLogger } from "./hidden.js";

/**
 * A copy from a URL (Copy Blob From URL, Put Block From URL, Put Range From URL: AzCopy's
 * service-to-service copies) names its source in x-ms-copy-source, and Storage itself reads it. When
 * that read is refused, Storage answers CannotVerifyCopySource: the caller's own credential passed, and
 * the source's is what failed. Its message is the source's ("This request is not authorized…"), so the
 * code alone does not say why; the source URL, when the capture shows it, often does.
 */

/** The copy source as the request names it, its SAS signature redacted. */
export function copySourceOf(headers: readonly HttpHeader[]): string | undefined {
  const source = header([...headers], "x-ms-copy-source");
  return source ? redactUri(source.trim()) : undefined;
}

/**
 * Why the source's read was refused, as far as the request shows it: `source` is copySourceOf its
 * headers; empty when no source is shown.
 */
export function copySourceFindings(
  source: string | undefined,
  headers: readonly HttpHeader[],
  requestTimeMs: number | undefined,
): Finding[] {
  if (!source) return [];
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return [];
  }
  const q = url.searchParams;
  const token = header([...headers], "x-ms-copy-source-authorization");
  const found = (
    id: string,
    title: string,
    detail: string,
    decision: Finding["decision"] = "sas",
  ): Finding => ({
    id,
    severity: "error",
    title,
    detail,
    decision,
  });
  if (token)
    return [
      found(
        "copy-source-token-refused",
        "The copy source refused the caller's token",
        "The request reads its source with a token (x-ms-copy-source-authorization). Storage reads the source as that identity, which needs a data role on the source (Storage Blob Data Reader on its container, or the file share's reader role), not only on the destination.",
        "rbac",
      ),
    ];
  if (!q.has("sig") && !q.has("sv"))
    return [
      found(
        "copy-source-anonymous",
        "The copy source URL carries no SAS",
        "The source URL has no SAS and the request no x-ms-copy-source-authorization, so Storage reads the source anonymously, which only a container open to public reads allows. Append a read SAS (sp=r) to the source URL, or send a token for the source.",
      ),
    ];
  const out: Finding[] = [];
  // A value the logger hid (`sp=REDACTED`) is unknown: nothing is said of it.
  const shown = (name: string) => {
    const v = q.get(name);
    return v === null || isHiddenByLogger(v) ? null : v;
  };
  const se = Date.parse(shown("se") ?? "");
  const st = Date.parse(shown("st") ?? "");
  if (requestTimeMs !== undefined && Number.isFinite(se) && se < requestTimeMs)
    out.push(
      found(
        "copy-source-sas-expired",
        "The copy source's SAS has expired",
        `The source URL's SAS expired at ${new Date(se).toISOString()}, before the request (${new Date(requestTimeMs).toISOString()}). A long copy outlives a short SAS: mint the source's SAS again, valid for the whole copy.`,
      ),
    );
  if (requestTimeMs !== undefined && Number.isFinite(st) && st > requestTimeMs)
    out.push(
      found(
        "copy-source-sas-not-yet-valid",
        "The copy source's SAS is not valid yet",
        `The source URL's SAS starts at ${new Date(st).toISOString()}, after the request (${new Date(requestTimeMs).toISOString()}): the clock that minted it runs ahead. Mint it without st.`,
      ),
    );
  const sp = shown("sp");
  if (sp !== null && !sp.includes("r"))
    out.push(
      found(
        "copy-source-sas-no-read",
        "The copy source's SAS does not allow reading",
        `The source URL's SAS has sp=${sp}, without r: Storage must read the source to copy it. Mint the source's SAS with r.`,
      ),
    );
  const sip = shown("sip");
  if (sip)
    out.push(
      found(
        "copy-source-sas-ip-bound",
        "The copy source's SAS is bound to an IP range Storage does not read from",
        `The source URL's SAS carries sip=${sip}. In a copy from a URL Storage reads the source from its own addresses, never from the client's, so a SAS bound to the client's address refuses the copy. Mint the source's SAS without sip (short-lived instead).`,
      ),
    );
  if (out.length === 0)
    out.push(
      found(
        "copy-source-refused",
        "Storage could not read the copy source",
        "The source URL's SAS is in date and allows reading as far as the capture shows (its signature is not checked here). What is left: its signature (a key since rotated, or another account's), or the source account's network rules, which a copy between accounts must pass from Storage's own addresses. Request the source URL alone (curl -I): AuthenticationFailed there is its SAS; AuthorizationFailure, or a success while the copy still fails, is the source account's firewall.",
      ),
    );
  return out;
}
