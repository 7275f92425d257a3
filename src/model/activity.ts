/**
 * One AzureActivity event (Log Analytics row or archived activity-log record), normalised just enough to
 * be validated and kept. Interpreting it (start/end pairing, casing, status words, request bodies) is the
 * correlate stage's job, so the raw words are kept as logged.
 */
export interface ActivityEvent {
  /** TimeGenerated / archive `time`. */
  timeMs: number;
  /** OperationNameValue as logged, e.g. `Microsoft.Storage/storageAccounts/regenerateKey/action`. */
  operationName: string;
  /** Legacy display name (OperationName column) when present. */
  operationDisplayName?: string;
  /** ActivityStatusValue as logged: Started, Accepted, Succeeded, Success, Failed, Failure, Start… */
  status: string;
  /** ActivitySubstatusValue as logged. */
  subStatus?: string;
  category?: string;
  /** Shared by the start and end events of one operation. */
  correlationId?: string;
  eventDataId?: string;
  operationId?: string;
  resourceId: string;
  resourceGroup?: string;
  subscriptionId?: string;
  resourceProvider?: string;
  /** UPN for users, object/app id for service principals. */
  caller?: string;
  callerIpAddress?: string;
  level?: string;
  /** Properties / Properties_d parsed to an object (may contain `requestbody` as a JSON string). */
  properties?: Record<string, unknown>;
  /** Authorization / Authorization_d parsed. */
  authorization?: Record<string, unknown>;
  /** Claims / Claims_d parsed. */
  claims?: Record<string, unknown>;
}
