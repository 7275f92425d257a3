import { codeOfStatusMessage } from "../../codes/error-codes.js";
import { CaptureError, checkedRequest, storageAnswer, type CapturedExchange } from "./exchange.js";

/**
 * What a browser's console prints for a page's failed Storage call (a SPA uploading with a SAS):
 * - Chrome and Edge: `upload.ts:42  PUT https://…?sv=…&sig=… 403 (This request is not authorized to perform
 *   this operation using this permission.)`, with `net::ERR_FAILED` before the status when CORS hid the
 *   answer; Storage's reason phrase is its error message.
 * - Firefox: `XHR PUT https://…[HTTP/1.1 403 This request is not authorized … 120ms]`.
 * - The CORS refusal: `Access to fetch at '…' from origin '…' has been blocked by CORS policy: …`.
 * The console shows the method, URL and answer, never the request's headers.
 */
export const BROWSER_CONSOLE =
  /(?:^|\s)(?:XHR |fetch )?[A-Z]{3,7} https?:\/\/\S+?(?: net::ERR_\w+)? \d{3} \(|(?:XHR|GET|PUT|POST|DELETE|HEAD)\s+https?:\/\/\S+?\s*\[HTTP\/[\d.]+ \d{3}|Access to (?:fetch|XMLHttpRequest) at '[^']+' from origin '[^']+' has been blocked by CORS policy/;

const CHROME = /(?:^|\s)([A-Z]{3,7}) (https?:\/\/\S+?)(?: net::ERR_\w+)? (\d{3}) \(([^)\n]*)\)/;
const FIREFOX =
  /(?:XHR |fetch )?([A-Z]{3,7})\s+(https?:\/\/\S+?)\s*\[HTTP\/[\d.]+ (\d{3}) ([^\]\n]*?)(?: \d+ms)?\]/;
const CORS =
  /Access to (?:fetch|XMLHttpRequest) at '([^']+)' from origin '([^']+)' has been blocked by CORS policy: ([^\n]*)/;

export function parseBrowserConsole(text: string, where: string): CapturedExchange {
  const call = FIREFOX.exec(text) ?? CHROME.exec(text);
  if (call) {
    const [, method, url, status, reason] = call as unknown as string[];
    const code = reason ? codeOfStatusMessage(reason) : undefined;
    return {
      request: checkedRequest({ method: method!, url: url!, headers: [] }, where),
      response: storageAnswer({ status: Number(status), code, message: reason || undefined }),
      format: "sdk-log",
      credentialNotShown:
        "the browser's console names the method, the URL and the answer's status, not the request's headers (the Network tab's request, saved as a HAR or copied as cURL, has them)",
    };
  }
  const cors = CORS.exec(text);
  if (cors) {
    const [, url, origin, reason] = cors as unknown as string[];
    let host = url!;
    try {
      host = new URL(url!).host;
    } catch {
      // the message's URL as written
    }
    throw new CaptureError(
      `${where}: the browser refused the page's cross-origin call to ${host} from ${origin} (${reason!.trim()}): the service's CORS rules on that account do not allow that origin with the method and headers the page used, so Storage never judged a key, SAS or token. The console does not say which method and headers the page asked for: give the failed request from the browser's Network tab (its preflight OPTIONS, saved as a HAR or copied as cURL), and the doctor names the exact CORS rule to add`,
    );
  }
  throw new CaptureError(`${where}: no browser console line for a Storage call found`);
}
