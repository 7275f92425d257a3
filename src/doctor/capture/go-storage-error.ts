import type { HttpHeader } from "../../signature/index.js";
import {
  CaptureError,
  storageAnswer,
  storageErrorBody,
  type CapturedExchange,
  type CapturedResponse,
} from "./exchange.js";
import { bracketedValue, INDENTED_HEADER, RESPONSE_STATUS, RULE } from "./go-sdk-log.js";

/**
 * The error text of the Azure Storage SDKs for Go before azcore (azure-storage-blob-go, -file-go and
 * -queue-go): what AzCopy 10.18 and older print on the terminal for a failed transfer (and later versions
 * for Azure Files), and what the Go programs built on them print with their `err`:
 *
 *     -> github.com/Azure/azure-storage-blob-go/azblob.newStorageError, …/zc_storage_error.go:42
 *     ===== RESPONSE ERROR (ServiceCode=AuthenticationFailed) =====
 *     Description=Server failed to authenticate the request. …
 *     RequestId:…
 *     Time:2021-05-26T18:18:07.5931967Z, Details:
 *        AuthenticationErrorDetail: The MAC signature found in the HTTP request '…' is not the same …
 *        Code: AuthenticationFailed
 *        PUT https://acct.blob.core.windows.net/c/b?…&sig=-REDACTED-&…
 *        Authorization: REDACTED
 *        X-Ms-Date: [Wed, 26 May 2021 18:18:07 GMT]
 *        --------------------------------------------------------------------------------
 *        RESPONSE Status: 403 Server failed to authenticate the request. …
 *        X-Ms-Error-Code: [AuthenticationFailed]
 *
 * Description is the error's Message (its RequestId and Time lines with it) and each other element of
 * Storage's XML error is a detail (`Key: value`, sorted; AuthenticationErrorDetail runs over lines of
 * its own when it quotes the server's string-to-sign). The XML error is rebuilt from them, so the doctor
 * reads the code, the Time and the server's string-to-sign as from the body Storage sent. The request's
 * headers are sorted, `Name: [value]`, the Authorization header `REDACTED`. The first releases of the
 * azcore-based azblob (v0.x, what Pulumi's and gocloud's Azure blob backends printed) wrote the same text
 * with `(ErrorCode=…)` and `Details: (none)`.
 */
export const GO_STORAGE_ERROR = /^.*===== RESPONSE ERROR \((?:ServiceCode|ErrorCode)=([^)]*)\) =====[ \t]*$/m;

const DESCRIPTION = "Description=";
const DETAILS = ", Details:";
const DETAIL = /^ {3}([A-Za-z]*): ?(.*)$/;
const REQUEST_LINE = /^ {3}([A-Z]+) (https?:\/\/\S+)\s*$/;

/** The request and Storage's answer of the RESPONSE ERROR block in `text`. */
export function parseGoStorageError(text: string, where: string): CapturedExchange {
  const { request, response } = readGoStorageError(text, where);
  if (!request)
    throw new CaptureError(
      `${where}: the RESPONSE ERROR block names no request (an indented "METHOD https://…" line after its details): give the whole error as printed (AzCopy prints the call in it), or, where the program prints only the answer (Pulumi's and gocloud's blob backends), give it as the response (--response) and as the request what shows the call (the SDK's HTTP logging, curl -v)`,
    );
  return { request, response, format: "sdk-log" };
}

/** Storage's answer in the RESPONSE ERROR block of `text`, and the request when the text still has it. */
export function readGoStorageError(
  text: string,
  where: string,
): { request?: CapturedExchange["request"]; response: CapturedResponse } {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const at = lines.findIndex((l) => GO_STORAGE_ERROR.test(l));
  if (at < 0) throw new CaptureError(`${where}: no "===== RESPONSE ERROR (ServiceCode=…) =====" line found`);
  const serviceCode = GO_STORAGE_ERROR.exec(lines[at]!)![1]!.trim();
  let i = at + 1;
  if (!lines[i]?.startsWith(DESCRIPTION))
    throw new CaptureError(`${where}:${i + 1}: expected "${DESCRIPTION}…" after the RESPONSE ERROR line`);

  // The Message, up to the ", Details: " its last line ends with.
  const described: string[] = [];
  for (; i < lines.length; i++) {
    const line = i === at + 1 ? lines[i]!.slice(DESCRIPTION.length) : lines[i]!;
    const end = line.lastIndexOf(DETAILS);
    if (end >= 0) {
      described.push(line.slice(0, end));
      i++;
      break;
    }
    described.push(line);
  }
  const message = described.join("\n").trim();

  // The error's other elements, up to the request line. A detail's value may run over lines of its own.
  const details: Array<[string, string]> = [];
  for (; i < lines.length && !REQUEST_LINE.test(lines[i]!); i++) {
    const detail = DETAIL.exec(lines[i]!);
    if (detail) details.push([detail[1]!, detail[2]!]);
    else if (details.length > 0) details.at(-1)![1] += "\n" + lines[i];
  }
  const kept = details
    .map(([name, value]) => [name, value.trim()] as [string, string])
    .filter(([name, value]) => name !== "" && value !== "");
  const code = kept.find(([name]) => name === "Code")?.[1] || serviceCode || undefined;

  const body = storageErrorBody({ code, message, details: kept.filter(([name]) => name !== "Code") });
  const request = REQUEST_LINE.exec(lines[i] ?? "");
  if (!request)
    return { response: { headers: code ? [{ name: "x-ms-error-code", value: code }] : [], body } };
  const requestHeaders: HttpHeader[] = [];
  const responseHeaders: HttpHeader[] = [];
  let status: number | undefined;
  let part: "request" | "response" = "request";
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") break;
    if (RULE.test(line)) {
      part = "response";
      continue;
    }
    const answered = RESPONSE_STATUS.exec(line);
    if (answered) {
      status = Number(answered[1]);
      continue;
    }
    if (/^ {3}ERROR:/.test(line)) break;
    const h = INDENTED_HEADER.exec(line);
    if (!h) break;
    (part === "request" ? requestHeaders : responseHeaders).push({
      name: h[1]!,
      value: bracketedValue(h[2]!),
    });
  }
  return {
    request: { method: request[1]!, url: request[2]!, headers: requestHeaders },
    response: { ...(status === undefined ? {} : { status }), headers: responseHeaders, body },
  };
}

/**
 * The oldest Go Storage SDK (azure-sdk-for-go's `storage` package, still in older Kubernetes volume
 * drivers and tools): `storage: service returned error: StatusCode=403, ErrorCode=…, ErrorMessage=…
 * RequestId:… Time:…, RequestInitiated=…, RequestId=…, API Version=…`. Storage's answer alone (no URL,
 * no header): its status, code and message.
 */
export function readGoStorageServiceError(text: string): CapturedResponse | undefined {
  const m =
    /storage: service returned error: StatusCode=(\d{3}), ErrorCode=([^,]*), ErrorMessage=([\s\S]*?)(?:, RequestInitiated=|$)/.exec(
      text,
    );
  if (!m) return undefined;
  return storageAnswer({ status: Number(m[1]), code: m[2]!.trim() || undefined, message: m[3]!.trim() });
}
