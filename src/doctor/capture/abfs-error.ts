import { codeOfStatusMessage } from "../../codes/error-codes.js";
import { CaptureError, storageAnswer, type CapturedExchange } from "./exchange.js";

/**
 * Hadoop's ABFS driver's error (AbfsRestOperationException), what Spark on Databricks, Synapse and
 * HDInsight print for a refused Data Lake call: `Operation failed: "<status text>", 403, GET, <URL>,
 * AuthorizationPermissionMismatch, "<message> RequestId:… Time:…"`; in newer Hadoop with `rId: <id>`
 * after the URL; a HEAD has no code or message (and its URL gets a stray `s` from the driver's format).
 * The URL is masked by the driver (`sig=XXXXX`); no header is shown, so a token or Shared Key is unseen.
 */
export const ABFS_ERROR =
  /Operation failed: "((?:[^"\\]|\\.)*)", (\d{3}), ([A-Z]{3,7}), (https?:\/\/\S+?)(?:s?, rId: ([\w-]*))?(?:, (\w+), "((?:[^"\\]|\\.)*)")?(?=,? *$|,? *\r?\n|, \S)/m;

export function parseAbfsError(text: string, where: string): CapturedExchange {
  const m = ABFS_ERROR.exec(text);
  if (!m) throw new CaptureError(`${where}: no ABFS "Operation failed: "…", NNN, METHOD, URL" found`);
  const [, statusText, status, method, url, requestIdField, named, message] = m;
  const code = named ?? codeOfStatusMessage(statusText!);
  // The message keeps Storage's RequestId and Time, its line breaks made spaces by the driver.
  const requestId = requestIdField || /RequestId:([0-9a-f-]{36})/i.exec(message ?? "")?.[1];
  const time = /Time:(\d{4}-\d{2}-\d{2}T[\d:.]+Z)/.exec(message ?? "")?.[1];
  const plainMessage = (message ?? statusText!).replace(/\s*RequestId:.*$/s, "");
  return {
    request: { method: method!, url: url!, headers: [] },
    response: storageAnswer({ status: Number(status), code, message: plainMessage, requestId, time }),
    format: "sdk-log",
    credentialNotShown:
      "Hadoop's ABFS error (Spark on Databricks, Synapse, HDInsight) names the method and URL, not the headers: whether the driver sent an OAuth token or a Shared Key is not shown (fs.azure.account.auth.type says which)",
  };
}
