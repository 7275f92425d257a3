import { codeOfStatusMessage } from "../../codes/error-codes.js";
import { CaptureError, storageAnswer, type CapturedExchange } from "./exchange.js";

/**
 * AzCopy's line for a failed transfer, the one its job log and its issues quote (ste's logTransferError):
 * `ERR: [P#0-T#2] COPYFAILED: <source> : 403 : 403 This request is not authorized to perform this
 * operation.. When Staging block from URL. X-Ms-Request-Id: <id>`, then a blank line and `   Dst:
 * <destination>`. Source and destination are URLs (their SAS signature written `-REDACTED-`, or the query
 * left out) or local paths; the status text is Storage's message for the code; `When …` is the step
 * that failed, not the call. So the request is rebuilt: the URL that failed and the call the step makes.
 */
export const AZCOPY_TRANSFER_FAILED =
  /\b(UPLOAD|DOWNLOAD|COPY)FAILED: (?:\((?:folder|file) properties\) )?(\S(?:.*?\S)?) : (\d{3}) : (?:\d{3} )?(.*?)\.? When (.+?)\. X-Ms-Request-Id: ?([0-9a-fA-F-]*)/;
const DESTINATION = /^[ \t]*Dst: (\S+)/m;

/** The call behind each step AzCopy names (its FailActive* descriptions); the first that matches wins. */
const STEPS: Array<[RegExp, { method: string; query?: string; headers?: Array<[string, string]> }]> = [
  [/^Staging block from URL/i, { method: "PUT", query: "comp=block", headers: [["x-ms-copy-source", ""]] }],
  [/^Staging block/i, { method: "PUT", query: "comp=block" }],
  [/^Uploading page from URL/i, { method: "PUT", query: "comp=page", headers: [["x-ms-copy-source", ""]] }],
  [/^Uploading page/i, { method: "PUT", query: "comp=page" }],
  [/^Uploading range from URL/i, { method: "PUT", query: "comp=range", headers: [["x-ms-copy-source", ""]] }],
  [/^Uploading range/i, { method: "PUT", query: "comp=range" }],
  [/\bSet(?:ting)? (?:blob )?tags\b/i, { method: "PUT", query: "comp=tags" }],
  [/\bSetting (?:blob )?metadata\b/i, { method: "PUT", query: "comp=metadata" }],
  [/\bSet blob tier\b/i, { method: "PUT", query: "comp=tier" }],
  // One-shot uploads (Put Blob) are described as committing too; a block list follows staged blocks.
  [
    /^(?:Committing block list|Uploading blob)/i,
    { method: "PUT", headers: [["x-ms-blob-type", "BlockBlob"]] },
  ],
  [/^Creating file\b/i, { method: "PUT", headers: [["x-ms-type", "file"]] }],
];

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

export function parseAzCopyTransferError(text: string, where: string): CapturedExchange {
  const m = AZCOPY_TRANSFER_FAILED.exec(text);
  if (!m) throw new CaptureError(`${where}: no AzCopy "…FAILED: <source> : NNN : …" line found`);
  const [, direction, source, statusText, message, step, requestId] = m as unknown as string[];
  const destination = DESTINATION.exec(text.slice(m.index + m[0].length))?.[1];
  // Downloads read the source; uploads and copies write the destination, unless the step was on the source.
  const readsSource = direction === "DOWNLOAD" || (direction === "COPY" && /\bsource\b/i.test(step!));
  const url = readsSource ? source! : destination;
  if (!url || !isUrl(url))
    throw new CaptureError(
      readsSource
        ? `${where}: AzCopy's ${direction}FAILED line names ${source} as the source, not a URL`
        : `${where}: AzCopy's ${direction}FAILED line is followed by no "Dst: https://…" line: give the line after it too (the destination that failed)`,
    );
  const call = readsSource
    ? { method: /propert/i.test(step!) ? "HEAD" : "GET" }
    : (STEPS.find(([re]) => re.test(step!))?.[1] ?? { method: "PUT" });
  const status = Number(statusText);
  const code = codeOfStatusMessage(message!);
  // AzCopy's job log stamps each line in UTC: the time of the failure, for a SAS's start and expiry.
  const stamp = /(\d{4})\/(\d{2})\/(\d{2}) (\d{2}:\d{2}:\d{2})\s+ERR: \S+ $/.exec(
    text.slice(Math.max(0, m.index - 60), m.index),
  );
  const time = stamp ? `${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}Z` : undefined;
  const withQuery = call.query ? `${url}${url.includes("?") ? "&" : "?"}${call.query}` : url;
  return {
    request: {
      method: call.method,
      url: withQuery,
      headers: (call.headers ?? [])
        .filter(([name]) => name !== "x-ms-copy-source" || (direction === "COPY" && isUrl(source!)))
        .map(([name, value]) => ({ name, value: name === "x-ms-copy-source" ? source! : value })),
    },
    response: storageAnswer({ status, code, message: `${message}.`, requestId, time }),
    format: "sdk-log",
    credentialNotShown: `AzCopy's ${direction}FAILED line names the URL${url.includes("?") ? " (its signature hidden)" : " without its query"} and the step that failed ("When ${step}"), not the call's headers: the request is rebuilt as the call that step makes${time ? ", and the time is the line's (AzCopy logs in UTC)" : ""}`,
    ...(url.includes("?") ? {} : { queryNotShown: true }),
  };
}
