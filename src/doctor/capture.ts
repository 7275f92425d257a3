import { codeQuotedIn } from "../codes/error-codes.js";
import { parseServerAuthError } from "../signature/index.js";
import { ABFS_ERROR, parseAbfsError } from "./capture/abfs-error.js";
import { armRefusal } from "./capture/arm-refusal.js";
import { AZ_CLI_ERROR, azCliErrorAnswer } from "./capture/az-cli-error.js";
import { AZCOPY_JSON_OUTPUT, azCopyJsonErrorText } from "./capture/azcopy-json-output.js";
import { AZCOPY_TRANSFER_FAILED, parseAzCopyTransferError } from "./capture/azcopy-transfer-error.js";
import { AZURITE_DEBUG_LOG, parseAzuriteDebugLog } from "./capture/azurite-debug-log.js";
import { BROWSER_CONSOLE, parseBrowserConsole } from "./capture/browser-console.js";
import { readDataFactoryError } from "./capture/data-factory-error.js";
import {
  holdsDotnetHttpRequest,
  parseDotnetHttpMessage,
  readDotnetHttpResponse,
} from "./capture/dotnet-http-message.js";
import { CURL_COMMAND, parseCurlCommand } from "./capture/curl-command.js";
import { CURL_NOTE_OR_ANSWER, CURL_REQUEST_LINE, parseCurlVerbose } from "./capture/curl-verbose.js";
import { FETCH_CALL, parseFetchCall } from "./capture/fetch-call.js";
import {
  DOTNET_SDK_REQUEST,
  parseDotnetSdkLog,
  parseRequestFailedException,
} from "./capture/dotnet-sdk-log.js";
import { CaptureError, header, type CapturedExchange, type CapturedResponse } from "./capture/exchange.js";
import { GO_RESPONSE_ERROR, GO_SDK_LOG, parseGoResponseError, parseGoSdkLog } from "./capture/go-sdk-log.js";
import {
  GO_STORAGE_ERROR,
  parseGoStorageError,
  readGoStorageError,
  readGoStorageServiceError,
} from "./capture/go-storage-error.js";
import { parseJsonCapture, responseFromJson } from "./capture/json-har.js";
import { JAVA_SDK_LOG, parseJavaSdkLog } from "./capture/java-sdk-log.js";
import { JS_SDK_REQUEST, parseJsSdkLog } from "./capture/js-sdk-log.js";
import { parsePowerShellWebRequest, POWERSHELL_WEB_REQUEST } from "./capture/powershell-web-request.js";
import {
  parsePythonHttpClient,
  PYTHON_HTTP_CLIENT,
  readPythonHttpClientReply,
} from "./capture/python-http-client.js";
import { parsePythonSdkLog, SDK_LOG_URL, URLLIB3_REQUEST } from "./capture/python-sdk-log.js";
import {
  isRestErrorJson,
  parseRestErrorJson,
  parseRestErrorResponse,
  PRINTED_REST_ERROR,
  printedRestErrorJson,
} from "./capture/rest-error-json.js";
import { pastedText } from "./capture/pasted-text.js";
import { parseRawHttpResponse, parseRawSession } from "./capture/raw-http.js";
import { burpItems, isBurpItems } from "./capture/burp-items.js";
import { charlesTransactions, isCharlesSession } from "./capture/charles-session.js";
import { parseTerraformDebugLog, TERRAFORM_DEBUG_LOG } from "./capture/terraform-debug-log.js";
import { parseTerraformError, TERRAFORM_ERROR } from "./capture/terraform-error.js";

export {
  CaptureError,
  header,
  headerAll,
  type CapturedExchange,
  type CapturedResponse,
} from "./capture/exchange.js";

/**
 * Reads a captured request/response pair in the shapes people actually have: raw HTTP, JSON
 * ({method,url,headers} / {status,headers,body}), a HAR file or entry, Azurite's debug log, Storage
 * Explorer's error details (the JavaScript SDK's RestError as JSON), the HTTP logging of the Azure SDKs
 * (what `az … --debug` prints, the JavaScript SDK's AZURE_LOG_LEVEL=info, the .NET SDK's event source,
 * the Go SDK's as AzCopy logs and prints it, the Java SDK's), Python's http.client debugging, AzCopy's
 * JSON output and its line for a failed transfer, Hadoop's ABFS error (Spark on Databricks, Synapse), the error text of the
 * older Go Storage SDKs (what AzCopy 10.18 and older print), .NET's HttpRequestMessage as PowerShell 7's
 * error record and .NET programs print it, a JavaScript SDK RestError as Node prints it, Terraform's error
 * for a Storage call and its TF_LOG=DEBUG dumps, what `curl -v` prints, a curl command line, a fetch call
 * or an Invoke-WebRequest call (a browser's "Copy as cURL", "Copy as fetch", "Copy as PowerShell"), a
 * browser console's line for the call, pasted as they are (from a CI job's log, with terminal colours, or
 * with doubled line breaks: pastedText). The format is detected, not configured; each format's reader
 * is a file of ./capture/.
 */

/** What the user told that a capture may not (`--account`): Terraform's backend errors name no account. */
export interface CaptureHints {
  account?: string;
}

/** Reads the request capture (which may also hold the response: HAR, SDK logs, curl -v, a raw session). */
export function parseRequestCapture(
  text: string,
  source: string,
  hints: CaptureHints = {},
): CapturedExchange {
  const { text: trimmed, where } = pastedText(text, source);
  if (trimmed.length === 0) throw new CaptureError(`${where}: the file is empty`);
  // AzCopy's --output-type json: the error text it holds, read as AzCopy prints it on a terminal.
  if (AZCOPY_JSON_OUTPUT.test(trimmed))
    return parseRequestCapture(azCopyJsonError(trimmed, where), `${where} (AzCopy's JSON output)`, hints);
  if (trimmed.startsWith("{")) return parseJsonCapture(trimmed, where);
  if (AZURITE_DEBUG_LOG.test(trimmed)) return parseAzuriteDebugLog(trimmed, where);
  // Before the error Terraform prints at the end of the same log.
  if (TERRAFORM_DEBUG_LOG.test(trimmed)) return parseTerraformDebugLog(trimmed, where);
  // http.client's `send:` shows every header as sent, more than the SDK's or urllib3's logging beside it.
  if (PYTHON_HTTP_CLIENT.test(trimmed)) return parsePythonHttpClient(trimmed, where);
  if (SDK_LOG_URL.test(trimmed) || URLLIB3_REQUEST.test(trimmed)) return parsePythonSdkLog(trimmed, where);
  if (JS_SDK_REQUEST.test(trimmed)) return parseJsSdkLog(trimmed, where);
  if (DOTNET_SDK_REQUEST.test(trimmed)) return parseDotnetSdkLog(trimmed, where);
  if (holdsDotnetHttpRequest(trimmed)) return parseDotnetHttpMessage(trimmed, where);
  if (GO_SDK_LOG.test(trimmed)) return parseGoSdkLog(trimmed, where);
  if (GO_STORAGE_ERROR.test(trimmed)) return parseGoStorageError(trimmed, where);
  if (AZCOPY_TRANSFER_FAILED.test(trimmed)) return parseAzCopyTransferError(trimmed, where);
  if (ABFS_ERROR.test(trimmed)) return parseAbfsError(trimmed, where);
  if (JAVA_SDK_LOG.test(trimmed)) return parseJavaSdkLog(trimmed, where);
  if (TERRAFORM_ERROR.test(trimmed)) return parseTerraformError(trimmed, where, hints.account);
  if (PRINTED_REST_ERROR.test(trimmed)) {
    const doc = printedRestErrorJson(trimmed, where);
    if (isRestErrorJson(doc)) return parseRestErrorJson(doc, where);
  }
  if (GO_RESPONSE_ERROR.test(trimmed)) {
    const { request, response } = parseGoResponseError(trimmed, where);
    if (!request)
      throw new CaptureError(
        `${where}: the error names no request ("METHOD https://…" before "RESPONSE NNN:")`,
      );
    return {
      request: { ...request, headers: [] },
      response,
      format: "sdk-log",
      queryNotShown: true,
      credentialNotShown:
        "the Go SDK's error text (what AzCopy prints) leaves out the URL's query and every header",
    };
  }
  if (CURL_REQUEST_LINE.test(trimmed) && CURL_NOTE_OR_ANSWER.test(trimmed))
    return parseCurlVerbose(trimmed, where);
  // Before curl: Windows PowerShell's `curl -Uri …` is Invoke-WebRequest.
  if (POWERSHELL_WEB_REQUEST.test(trimmed)) return parsePowerShellWebRequest(trimmed, where);
  if (CURL_COMMAND.test(trimmed)) return parseCurlCommand(trimmed, where);
  if (FETCH_CALL.test(trimmed)) return parseFetchCall(trimmed, where);
  if (BROWSER_CONSOLE.test(trimmed)) return parseBrowserConsole(trimmed, where);
  try {
    return parseRawSession(trimmed, where);
  } catch (err) {
    throw armRefusal(trimmed, where) ?? answerGivenAsRequest(trimmed, where) ?? err;
  }
}

/** The refused call's error text inside AzCopy's JSON output, or the error that it holds none. */
function azCopyJsonError(text: string, where: string): string {
  const error = azCopyJsonErrorText(text);
  if (error === undefined)
    throw new CaptureError(
      `${where}: AzCopy's JSON output holds no refused call (no "Error" message and no Storage error text in its messages)`,
    );
  return error;
}

/**
 * When the text given as the request is Storage's answer alone (an SDK exception's text, an XML error,
 * a status line): the error that says so and what to give instead, or undefined.
 */
function answerGivenAsRequest(text: string, where: string): CaptureError | undefined {
  if (/^[A-Z]+ \S+ HTTP\/\d/.test(text)) return undefined;
  let answer: CapturedResponse;
  try {
    answer = parseResponseCapture(text, where);
  } catch {
    return undefined;
  }
  const code = storageErrorOf(answer).code;
  if (answer.status === undefined && code === undefined) return undefined;
  // What `az storage …` printed: its --debug output shows the call itself.
  if (AZ_CLI_ERROR.test(text))
    return new CaptureError(
      `${where}: this is what the Azure CLI printed for Storage's answer (${code ?? answer.status}${azCliErrorAnswer(text) ? ": az prints its own message for that code" : ""}), not the request: run the same az command with --debug and give what it prints as the request (it shows the call and the answer)`,
    );
  return new CaptureError(
    `${where}: this is Storage's answer${answer.status !== undefined ? ` (${answer.status}${code ? ` ${code}` : ""})` : ` (${code})`}, not the request: give it as the response (--response, or the page's Response box), and as the request what shows the call itself (the SDK's HTTP logging, a HAR, curl -v, raw HTTP)`,
  );
}

/** A capture given as several sessions already apart (a Fiddler archive's): each one's text and label. */
export interface CaptureSessions {
  sessions: ReadonlyArray<{ text: string; label: string }>;
}

/**
 * Reads every request of a capture: a HAR file yields one exchange per entry (in order), Burp's saved
 * items one per item, a Charles session one per transaction, a capture of several sessions one per
 * session; any other shape yields the one request `parseRequestCapture` reads.
 */
export function parseRequestCaptures(
  capture: string | CaptureSessions,
  source: string,
  hints: CaptureHints = {},
): CapturedExchange[] {
  if (typeof capture !== "string")
    return capture.sessions.map((s) => parseRequestCapture(s.text, `${source} (${s.label})`, hints));
  const text = capture;
  const { text: trimmed, where } = pastedText(text, source);
  if (isBurpItems(trimmed)) {
    const items = burpItems(trimmed);
    if (items.length === 0) throw new CaptureError(`${where}: Burp's saved items hold no request`);
    return items.map((i) => parseRequestCapture(i.text, `${where} (item ${i.number})`, hints));
  }
  if (trimmed.startsWith("[")) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch {
      // Not JSON: the single-request readers say what it is.
    }
    if (isCharlesSession(doc)) {
      const transactions = charlesTransactions(doc);
      if (transactions.length === 0)
        throw new CaptureError(
          `${where}: the Charles session holds no request but CONNECT tunnels; enable SSL proxying for the Storage host and record again`,
        );
      return transactions.map((t) =>
        parseRequestCapture(t.text, `${where} (transaction ${t.number})`, hints),
      );
    }
  }
  if (trimmed.startsWith("{") && !AZCOPY_JSON_OUTPUT.test(trimmed)) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new CaptureError(
        `${where}: looks like JSON but does not parse (${(err as Error).message}); was the capture cut off?`,
      );
    }
    const entries = (doc as { log?: { entries?: unknown } } | null)?.log?.entries;
    if (Array.isArray(entries)) {
      if (entries.length === 0) throw new CaptureError(`${where}: the HAR file has no entries`);
      return entries.map((entry, i) =>
        parseRequestCapture(JSON.stringify(entry), `${where} (entry ${i + 1})`),
      );
    }
  }
  return [parseRequestCapture(text, source, hints)];
}

const JAVA_STATUS = /StorageException: Status code (\d{3}),/;
const POWERSHELL_STORAGE_STATUS = /HTTP Status Code: (\d{3}) - HTTP Error Message:/;
/** The older .NET Storage SDKs (WindowsAzure.Storage, Microsoft.Azure.Storage.*): the WebException's text. */
const WEB_EXCEPTION_STATUS = /The remote server returned an error: \((\d{3})\)/;

/**
 * Reads a separate response capture: raw HTTP, JSON, Azurite's debug log (the answer to its last failed
 * request, with the string-to-sign), Terraform's debug log, the text of a .NET RequestFailedException (its
 * `Status:`, `ErrorCode:`, `Content:` and `Headers:`, also as Azure PowerShell prints it after the
 * cmdlet's name), .NET's HttpResponseMessage or PowerShell 7's error record, of Azure PowerShell's older
 * Storage cmdlets (`HTTP Status Code: 403 - …`, `ErrorCode: …`), of the older .NET SDKs' StorageException,
 * of a Go azcore.ResponseError (`RESPONSE 403: …`, as AzCopy prints it), of the older Go Storage SDKs'
 * StorageError (`===== RESPONSE ERROR (ServiceCode=…)`) and the oldest one's `storage: service returned
 * error: StatusCode=…`, AzCopy's line for a failed transfer, Hadoop's ABFS error, Data Factory's and
 * Synapse pipelines' Storage errors, Python's http.client `reply:` and `header:` lines, a browser
 * console's line, a RestError as Node prints it, the Azure CLI's own message for a code, or just the XML
 * error body. Azure Resource Manager's AuthorizationFailed, and text giving neither a status nor a code,
 * are refused, saying why.
 */
export function parseResponseCapture(text: string, source: string): CapturedResponse {
  const { text: trimmed, where } = pastedText(text, source);
  if (AZCOPY_JSON_OUTPUT.test(trimmed))
    return parseResponseCapture(azCopyJsonError(trimmed, where), `${where} (AzCopy's JSON output)`);
  if (trimmed.startsWith("{")) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(trimmed) as Record<string, unknown>;
    } catch (err) {
      throw new CaptureError(`${where}: looks like JSON but does not parse (${(err as Error).message})`);
    }
    if (isRestErrorJson(doc)) return parseRestErrorResponse(doc, where);
    const response = responseFromJson(doc, where);
    if (response.status !== undefined || response.body !== undefined || response.headers.length > 0)
      return response;
    // Storage's JSON error itself (Table's `odata.error`, Data Lake's `{"error":{"code":…}}`): the body.
    const body = { headers: [], body: trimmed };
    if (storageErrorOf(body).code) return body;
    throw new CaptureError(
      `${where}: this JSON has no status, headers or body ({status, headers, body}) and is not Storage's JSON error: give the answer as it was printed`,
    );
  }
  if (AZURITE_DEBUG_LOG.test(trimmed)) {
    const { response } = parseAzuriteDebugLog(trimmed, where);
    if (!response) throw new CaptureError(`${where}: Azurite's log holds no answer to its last request`);
    return response;
  }
  if (TERRAFORM_DEBUG_LOG.test(trimmed)) {
    const { response } = parseTerraformDebugLog(trimmed, where);
    if (!response) throw new CaptureError(`${where}: Terraform's debug log holds no "Response for …:" dump`);
    return response;
  }
  if (!trimmed.startsWith("HTTP/")) {
    const exception = parseRequestFailedException(trimmed, where);
    if (exception) return exception;
    const httpMessage = readDotnetHttpResponse(trimmed);
    if (httpMessage) return httpMessage;
    if (GO_RESPONSE_ERROR.test(trimmed)) return parseGoResponseError(trimmed, where).response;
    if (GO_STORAGE_ERROR.test(trimmed)) return readGoStorageError(trimmed, where).response;
    const goService = readGoStorageServiceError(trimmed);
    if (goService) return goService;
    if (AZCOPY_TRANSFER_FAILED.test(trimmed)) return parseAzCopyTransferError(trimmed, where).response!;
    if (ABFS_ERROR.test(trimmed)) return parseAbfsError(trimmed, where).response!;
    const dataFactory = readDataFactoryError(trimmed);
    if (dataFactory) return dataFactory;
    const pythonReply = readPythonHttpClientReply(trimmed);
    if (pythonReply) return pythonReply;
    if (BROWSER_CONSOLE.test(trimmed)) return parseBrowserConsole(trimmed, where).response!;
    if (PRINTED_REST_ERROR.test(trimmed)) {
      const doc = printedRestErrorJson(trimmed, where);
      if (isRestErrorJson(doc)) return parseRestErrorResponse(doc, where);
    }
    const arm = armRefusal(trimmed, where);
    if (arm) throw arm;
    const az = azCliErrorAnswer(trimmed);
    if (az) return az;
    // Java's BlobStorageException (`Status code 403, "<?xml …"`), Azure PowerShell's older Storage
    // cmdlets (`… HTTP Status Code: 403 - HTTP Error Message: …`, then `ErrorCode: …`) and the older .NET
    // SDKs' StorageException (`The remote server returned an error: (403) Forbidden.`, then its
    // `Request Information` with `ErrorCode:`).
    const status =
      JAVA_STATUS.exec(trimmed) ??
      POWERSHELL_STORAGE_STATUS.exec(trimmed) ??
      WEB_EXCEPTION_STATUS.exec(trimmed);
    if (status) return { status: Number(status[1]), headers: [], body: trimmed };
  }
  const response = parseRawHttpResponse(trimmed, where);
  if (response.status === undefined && storageErrorOf(response).code === undefined) {
    // A tool that prints only Storage's message (the Hadoop WASB driver's StorageException): its code.
    const quoted = codeQuotedIn(trimmed);
    if (quoted) return { ...response, headers: [{ name: "x-ms-error-code", value: quoted }] };
    throw new CaptureError(
      `${where}: neither a status nor a Storage error code could be read from it: give the answer as raw HTTP ("HTTP/1.1 403 …" and its headers), JSON {status, headers, body}, an SDK's or tool's error text as it was printed, or Storage's XML error body`,
    );
  }
  return response;
}

export interface StorageError {
  code?: string;
  /** AuthenticationErrorDetail, MAC redacted. */
  authenticationErrorDetail?: string;
  /** The server's Shared Key string-to-sign, when the detail carries one. */
  stringToSign?: string;
  /** The `Time:` stamp of the error: when the server rejected the request. */
  timeMs?: number;
}

/** The storage error from the body (XML or JSON, via the signature diagnostics' parser) and x-ms-error-code. */
export function storageErrorOf(res: CapturedResponse | undefined): StorageError {
  if (!res) return {};
  const parsed = res.body ? parseServerAuthError(res.body) : undefined;
  const timeMs = parsed?.time ? Date.parse(parsed.time) : NaN;
  return {
    code: header(res.headers, "x-ms-error-code") ?? parsed?.errorCode ?? codeLineOf(res.body),
    authenticationErrorDetail: parsed?.detail,
    stringToSign: parsed?.stringToSign,
    timeMs: Number.isNaN(timeMs) ? undefined : timeMs,
  };
}

/**
 * The code of an error written as text: the Python Storage SDK's exception ends its message with
 * `ErrorCode:AuthorizationPermissionMismatch`, and azure-core's with `Code: …`.
 */
function codeLineOf(body: string | undefined): string | undefined {
  return body ? /^(?:ErrorCode|Code):\s*([A-Za-z]+)\s*$/m.exec(body)?.[1] : undefined;
}
