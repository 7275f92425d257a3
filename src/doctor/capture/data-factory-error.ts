import { codeOfStatusMessage } from "../../codes/error-codes.js";
import { storageAnswer, type CapturedResponse } from "./exchange.js";

/**
 * Azure Data Factory's and Synapse pipelines' error for a refused Storage call, which names the account,
 * the file system and path, Storage's code, message, request id and time, but not the call:
 * - ADLS Gen2: `ErrorCode=AdlsGen2OperationFailed,…Message=ADLS Gen2 operation failed for: Operation
 *   returned an invalid status code 'Forbidden'. Account: 'st'. FileSystem: 'raw'. Path: '…'. ErrorCode:
 *   'AuthorizationPermissionMismatch'. Message: '…'. RequestId: '…'. TimeStamp: '<HTTP date>'..`;
 * - Blob (the older .NET SDK inside): `ErrorCode=AzureBlobOperationFailed,…StorageExtendedMessage=<message>
 *   RequestId:… Time:…,,''Type=System.Net.WebException,Message=The remote server returned an error: (403)
 *   Forbidden.`.
 * So it is read as Storage's answer only (`--response`); given as the request, the doctor says so.
 */
const ADLS_GEN2_STATUS = /Operation returned an invalid status code '(\w+)'/;
const BLOB_EXTENDED =
  /StorageExtendedMessage=(.*?)(?: RequestId:([\w-]+))?(?: Time:(\S+?))?,.*?The remote server returned an error: \((\d{3})\)/s;

/** The HTTP status a .NET HttpStatusCode name stands for, for the ones Storage refuses with. */
const STATUS_NAMES: Record<string, number> = {
  forbidden: 403,
  unauthorized: 401,
  badrequest: 400,
  notfound: 404,
};

export function readDataFactoryError(text: string): CapturedResponse | undefined {
  const gen2 = ADLS_GEN2_STATUS.exec(text);
  const gen2Status = gen2 ? STATUS_NAMES[gen2[1]!.toLowerCase()] : undefined;
  if (gen2 && gen2Status !== undefined) {
    const rest = text.slice(gen2.index);
    const message = /Message: '(.*?)'\. RequestId: /s.exec(rest)?.[1];
    const stamp = /TimeStamp: '([^']+)'/.exec(rest)?.[1];
    const time =
      stamp && !Number.isNaN(Date.parse(stamp)) ? new Date(Date.parse(stamp)).toISOString() : undefined;
    const code = /ErrorCode: '(\w+)'/.exec(rest)?.[1] ?? (message ? codeOfStatusMessage(message) : undefined);
    const requestId = /RequestId: '([\w-]+)'/.exec(rest)?.[1];
    return storageAnswer({ status: gen2Status, code, message, requestId, time });
  }
  const blob = BLOB_EXTENDED.exec(text);
  if (blob) {
    const [, message, requestId, time, status] = blob;
    return storageAnswer({
      status: Number(status),
      code: codeOfStatusMessage(message!),
      message,
      requestId,
      time,
    });
  }
  return undefined;
}
