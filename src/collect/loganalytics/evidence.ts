import { z } from "zod";
import {
  ACTIVITY_BIN_MS,
  CALLER_DIMENSIONS,
  DEFAULT_EVIDENCE_LIMITS,
  OTHER_VALUE,
  mergeEvidence,
  type CallerDimension,
  type CallerValueRecord,
  type RootCauseEvidence,
} from "../../correlate/evidence.js";
import type { RejectedRecord } from "../../engine/contracts.js";
import { kqlString } from "../../codes/kql.js";
import { DEFAULT_EVIDENCE_QUERY_CAPS, type EvidenceQueryCaps } from "./caps.js";
import { QUERY_MARKER, kqlDatetime } from "./queries.js";
import { STORAGE_LOG_TABLES } from "./schemas.js";
import { kustoTimeMs, rowObjects, type Converted, type ResultOrigin, type ResultTable } from "./results.js";

/**
 * Root-cause evidence built server-side: the same caller records the root-cause stage's EvidenceObserver
 * (src/correlate/evidence.ts) builds row by row, as `summarize … by` over every request (successes too) of
 * the accounts that have failures, from the lookback before the first failure to the end of the window,
 * for the callers the caps keep (EvidenceQueryCaps in caps.ts).
 * The result is a RootCauseEvidence, ready for `explainFromEvidence` and `mergeEvidence`.
 */
export type ServerEvidence = RootCauseEvidence;

/** The root-cause stage's caps and bins, applied server-side. */
const EVIDENCE_VALUES_PER_DIMENSION = DEFAULT_EVIDENCE_LIMITS.maxValuesPerDimension;
const EVIDENCE_OTHER_VALUE = OTHER_VALUE;
const EVIDENCE_BIN_MINUTES = ACTIVITY_BIN_MS / 60_000;

/**
 * The evidence query. `accounts` are the accounts with failures (lower case), or "failing" for a
 * self-contained query that finds them itself (what `auth-triage kql` prints for the portal); [fromMs,
 * toMs] the TimeGenerated range. Callers are capped as EvidenceQueryCaps says. Four kinds of rows come
 * back in one table, told apart by `Kind`.
 */
export function rootCauseEvidenceQuery(
  accounts: readonly string[] | "failing",
  fromMs: number,
  toMs: number,
  caps: EvidenceQueryCaps = DEFAULT_EVIDENCE_QUERY_CAPS,
): string {
  const group = "Account, Caller, Outcome, Dimension";
  const inRange = `| where TimeGenerated > ${kqlDatetime(fromMs)} and TimeGenerated <= ${kqlDatetime(toMs)}`;
  const accountsLet =
    accounts === "failing"
      ? `let FailingAccounts = union isfuzzy=true ${STORAGE_LOG_TABLES.join(", ")}
${inRange}
| where toint(StatusCode) in (401, 403)
| distinct Account = tolower(AccountName);
`
      : "";
  const accountFilter =
    accounts === "failing" ? "FailingAccounts" : accounts.map((a) => kqlString(a.toLowerCase())).join(", ");
  return `${QUERY_MARKER} root-cause-evidence
${accountsLet}let Requests = materialize(
union isfuzzy=true ${STORAGE_LOG_TABLES.join(", ")}
${inRange}
| where tolower(AccountName) in (${accountFilter})
| extend Status = toint(StatusCode)
| where isnotnull(Status)
| extend TrimmedIp = trim(@"\\s+", CallerIpAddress)
| extend CallerIp = case(
    TrimmedIp startswith "[" and indexof(TrimmedIp, "]") > 0, substring(TrimmedIp, 1, indexof(TrimmedIp, "]") - 1),
    countof(TrimmedIp, ":") == 1, substring(TrimmedIp, 0, indexof(TrimmedIp, ":")),
    TrimmedIp)
| extend KeySlot = tolower(extract(@"(?i)^\\s*(key[12])\\(", 1, AuthenticationHash)),
    KeyHash = toupper(extract(@"(?i)^\\s*key[12]\\(([0-9a-f]+)\\)", 1, AuthenticationHash)),
    SasHash = toupper(extract(@"SasSignature\\(([0-9A-Fa-f]+)\\)", 1, AuthenticationHash)),
    TrimmedUa = trim(@"\\s+", UserAgentHeader)
| extend Account = tolower(AccountName),
    Outcome = iff(Status in (401, 403), strcat(Status, "|", StatusText, "|", AuthenticationType), "ok"),
    Caller = case(
        isnotempty(RequesterObjectId), strcat("oid:", tolower(RequesterObjectId)),
        isnotempty(CallerIp), strcat("ip:", CallerIp),
        isnotempty(SasHash), strcat("sas:", SasHash),
        isnotempty(KeySlot), strcat("key:", KeySlot),
        "unknown"),
    Credential = case(
        isnotempty(SasHash), strcat("sas:", SasHash),
        AuthenticationType =~ "AccountKey" and isnotempty(KeyHash), strcat(KeySlot, "(", KeyHash, ")"),
        ""),
    UserAgent = substring(iff(strlen(TrimmedUa) >= 2 and TrimmedUa startswith '"' and TrimmedUa endswith '"',
        substring(TrimmedUa, 1, strlen(TrimmedUa) - 2), TrimmedUa), 0, 200),
    Version = trim(@"\\s+", OperationVersion),
    SasStart = todatetime(url_decode(extract(@"(?i)[?&]st=([^&#]+)", 1, Uri))),
    SasExpiry = todatetime(url_decode(extract(@"(?i)[?&]se=([^&#]+)", 1, Uri)))
| project TimeGenerated, Account, Caller, Outcome, UserAgent, Version, KeySlot, AuthenticationType, CallerIp,
    Credential, SasStart, SasExpiry, _ResourceId);
// The callers kept: the busiest failing callers of each challenge, and the busiest that never failed.
let FailingCallers = Requests
| where Outcome != "ok"
| summarize Failures = count() by Account, Outcome, Caller
| sort by Account asc, Outcome asc, Failures desc, Caller asc
| extend FailingRank = row_number(1, prev(Account) != Account or prev(Outcome) != Outcome)
| where FailingRank <= ${caps.topCallersPerChallenge}
| distinct Account, Caller;
let OkCallers = Requests
| summarize Requests = count(), Failures = countif(Outcome != "ok") by Account, Caller
| where Failures == 0
| sort by Account asc, Requests desc, Caller asc
| extend OkRank = row_number(1, prev(Account) != Account)
| where OkRank <= ${caps.topOkCallersPerAccount}
| distinct Account, Caller;
let KeptCallers = materialize(union FailingCallers, OkCallers | distinct Account, Caller);
let Kept = Requests
| join kind=leftsemi KeptCallers on Account, Caller;
let DroppedCallers = Requests
| distinct Account, Caller
| join kind=leftanti KeptCallers on Account, Caller
| summarize DroppedCallers = count() by Account
| extend Kind = "dropped";
let ValueRecords = Kept
| extend Dims = pack_array(
    pack_array("all", ""),
    iff(isnotempty(UserAgent), pack_array("userAgent", UserAgent), dynamic([])),
    iff(isnotempty(Version), pack_array("operationVersion", Version), dynamic([])),
    iff(isnotempty(KeySlot), pack_array("keySlot", KeySlot), dynamic([])),
    iff(isnotempty(AuthenticationType), pack_array("authType", AuthenticationType), dynamic([])),
    iff(isnotempty(CallerIp) and not(Caller startswith "ip:"), pack_array("callerIp", CallerIp), dynamic([])),
    iff(isnotempty(Credential), pack_array("credential", Credential), dynamic([])))
| mv-expand Dim = Dims
| where array_length(Dim) == 2
| extend Dimension = tostring(Dim[0]), Value = tostring(Dim[1])
| extend IsSas = Dimension == "credential" and Value startswith "sas:"
| summarize RecordCount = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated),
    NotYetValid = countif(IsSas and SasStart > TimeGenerated),
    MaxStartLeadMs = maxif((SasStart - TimeGenerated) / 1ms, IsSas and SasStart > TimeGenerated),
    Expired = countif(IsSas and SasExpiry < TimeGenerated),
    MaxExpiredByMs = maxif((TimeGenerated - SasExpiry) / 1ms, IsSas and SasExpiry < TimeGenerated),
    SasStartMax = maxif(SasStart, IsSas and isnotnull(SasStart)),
    SasExpiryMax = maxif(SasExpiry, IsSas and isnotnull(SasExpiry))
    by ${group}, Value
// Values beyond the cap of one caller, outcome and dimension fold into one record, as the observer does.
| sort by Account asc, Caller asc, Outcome asc, Dimension asc, RecordCount desc, Value asc
| extend ValueRank = row_number(1, prev(Account) != Account or prev(Caller) != Caller or prev(Outcome) != Outcome or prev(Dimension) != Dimension)
| extend Value = iff(ValueRank <= ${EVIDENCE_VALUES_PER_DIMENSION}, Value, ${kqlString(EVIDENCE_OTHER_VALUE)}),
    Folded = iff(ValueRank <= ${EVIDENCE_VALUES_PER_DIMENSION}, 0, RecordCount)
| summarize RecordCount = sum(RecordCount), FirstSeen = min(FirstSeen), LastSeen = max(LastSeen),
    NotYetValid = sum(NotYetValid), MaxStartLeadMs = max(MaxStartLeadMs), Expired = sum(Expired),
    MaxExpiredByMs = max(MaxExpiredByMs), SasStartMax = max(SasStartMax), SasExpiryMax = max(SasExpiryMax),
    Folded = sum(Folded)
    by ${group}, Value
| extend Kind = "value";
let ActivityBins = Kept
| summarize Ok = countif(Outcome == "ok"), Failed = countif(Outcome != "ok")
    by Account, Caller, BinStart = bin(TimeGenerated, ${EVIDENCE_BIN_MINUTES}m)
| extend Kind = "bin";
let AccountIds = Requests
| extend AccountResourceId = extract(@"(?i)^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.storage/storageaccounts/[^/]+)", 1, _ResourceId)
| where isnotempty(AccountResourceId)
| summarize AccountResourceId = take_any(AccountResourceId) by Account
| extend Kind = "account";
union ValueRecords, ActivityBins, AccountIds, DroppedCallers`;
}

const optionalNumber = z
  .union([z.number(), z.string(), z.null(), z.undefined()])
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : Number(v)));
const optionalTime = z
  .union([z.date(), z.string(), z.null(), z.undefined()])
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : kustoTimeMs(v)));
const count = z.union([z.number(), z.string()]).transform((v) => Number(v));
const time = z.union([z.date(), z.string()]).transform((v) => kustoTimeMs(v));

const ValueRowSchema = z.object({
  Kind: z.literal("value"),
  Account: z.string().min(1),
  Caller: z.string().min(1),
  Outcome: z.string().min(1),
  Dimension: z.enum(CALLER_DIMENSIONS as [CallerDimension, ...CallerDimension[]]),
  Value: z.string(),
  RecordCount: count,
  FirstSeen: time,
  LastSeen: time,
  NotYetValid: optionalNumber,
  MaxStartLeadMs: optionalNumber,
  Expired: optionalNumber,
  MaxExpiredByMs: optionalNumber,
  SasStartMax: optionalTime,
  SasExpiryMax: optionalTime,
  Folded: optionalNumber,
});

const BinRowSchema = z.object({
  Kind: z.literal("bin"),
  Account: z.string().min(1),
  Caller: z.string().min(1),
  BinStart: time,
  Ok: count,
  Failed: count,
});

const AccountRowSchema = z.object({
  Kind: z.literal("account"),
  Account: z.string().min(1),
  AccountResourceId: z.string().min(1),
});

const DroppedRowSchema = z.object({
  Kind: z.literal("dropped"),
  Account: z.string().min(1),
  DroppedCallers: count,
});

const EvidenceRowSchema = z.discriminatedUnion("Kind", [
  ValueRowSchema,
  BinRowSchema,
  AccountRowSchema,
  DroppedRowSchema,
]);

/** Evidence rows → the root-cause stage's records; bad rows are rejected with their row number. */
export function evidenceFromTable(
  table: ResultTable,
  origin: ResultOrigin,
): Converted<ServerEvidence> & { evidence: ServerEvidence } {
  const evidence: ServerEvidence = {
    callers: [],
    activity: [],
    accounts: [],
    truncated: { droppedCallers: 0, foldedValues: 0, droppedBins: 0 },
  };
  const rejected: RejectedRecord[] = [];
  rowObjects(table).forEach((record, i) => {
    const parsed = EvidenceRowSchema.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      rejected.push({
        file: `workspace ${origin.workspaceId} (${origin.query})`,
        line: i + 1,
        field: issue ? issue.path.join(".") || "(row)" : "(row)",
        reason: issue?.message ?? "invalid row",
      });
      return;
    }
    const row = parsed.data;
    if (row.Kind === "bin") {
      evidence.activity.push({
        account: row.Account,
        caller: row.Caller,
        binStartMs: row.BinStart,
        ok: row.Ok,
        failed: row.Failed,
      });
    } else if (row.Kind === "account") {
      evidence.accounts.push({ account: row.Account, resourceId: row.AccountResourceId });
    } else if (row.Kind === "dropped") {
      // Callers past the caps, counted (per account and query: a split counts its halves apiece).
      evidence.truncated.droppedCallers += row.DroppedCallers;
    } else {
      const rec: CallerValueRecord = {
        account: row.Account,
        caller: row.Caller,
        outcome: row.Outcome,
        dimension: row.Dimension,
        value: row.Value,
        count: row.RecordCount,
        firstMs: row.FirstSeen,
        lastMs: row.LastSeen,
      };
      // The observer sets these only on SAS credential records and only when they happened.
      if (row.Dimension === "credential" && row.Value.startsWith("sas:")) {
        if (row.NotYetValid) rec.notYetValid = row.NotYetValid;
        if (row.MaxStartLeadMs !== undefined) rec.maxStartLeadMs = Math.round(row.MaxStartLeadMs);
        if (row.Expired) rec.expired = row.Expired;
        if (row.MaxExpiredByMs !== undefined) rec.maxExpiredByMs = Math.round(row.MaxExpiredByMs);
        if (row.SasStartMax !== undefined) rec.sasStartMs = row.SasStartMax;
        if (row.SasExpiryMax !== undefined) rec.sasExpiryMs = row.SasExpiryMax;
      }
      // Requests whose value was folded into (other), as the observer counts them.
      if (row.Folded) evidence.truncated.foldedValues += row.Folded;
      evidence.callers.push(rec);
    }
  });
  return { items: [evidence], rejected, evidence };
}

/** Merges the evidence of several workspaces (the root-cause stage's merge: sums, min first, max last). */
export function mergeServerEvidence(parts: readonly ServerEvidence[]): ServerEvidence {
  return mergeEvidence(...parts);
}
