import type { Incident, Remedy, RemedyCommand } from "../model/incident.js";
import { canonicalSasOrder, chooseRoles, operationPermissions, sasAllows } from "../permissions/index.js";
import {
  accountRef,
  accountScope,
  command,
  containerScope,
  fmtMinutes,
  fmtUtc,
  type RemedyContext,
} from "./context.js";
import { isHiddenByLogger } from "../doctor/hidden.js";
import { operationsOf } from "./rbac.js";
import { placeholder, sh } from "./shell.js";

/** How long a replacement SAS lives: long enough to confirm the fix, short enough to be harmless if leaked. */
export const REPLACEMENT_SAS_LIFETIME = "+1 hour";

/** The SAS fields of the failing requests, read from the (redacted) sample URIs. */
export interface SasFields {
  sp?: string;
  sr?: string;
  st?: string;
  se?: string;
  /** Present on user delegation SAS. */
  skoid?: string;
  srt?: string;
  ss?: string;
  /** The fields a logger wrote in place of their values (`sp=REDACTED`): present, their values unknown. */
  hidden?: string[];
}

export function sasFieldsOf(uris: readonly string[]): SasFields[] {
  const out: SasFields[] = [];
  const seen = new Set<string>();
  for (const u of uris) {
    const q = u.indexOf("?");
    if (q < 0) continue;
    const params = new URLSearchParams(u.slice(q + 1));
    if (!params.has("sig") && !params.has("sp")) continue;
    const f: SasFields = {};
    for (const k of ["sp", "sr", "st", "se", "skoid", "srt", "ss"] as const) {
      const v = params.get(k);
      if (v === null || v === "") continue;
      // A value a logger hid (`sp=REDACTED`) is unknown, not a value: no letters are read from it.
      if (isHiddenByLogger(v)) (f.hidden ??= []).push(k);
      else f[k] = v;
    }
    const key = JSON.stringify(f);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

/** Whether a sample URI's SAS fields were hidden by the logger that captured it (`sp=REDACTED`). */
function fieldsHidden(uris: readonly string[]): boolean {
  return sasFieldsOf(uris).some((f) => f.hidden?.some((k) => k === "sp" || k === "se" || k === "sr"));
}

/** A replacement SAS's expiry, worked out by the shell when the command runs. */
export const ISO_IN_ONE_HOUR = `"$(date -u -d '${REPLACEMENT_SAS_LIFETIME}' '+%Y-%m-%dT%H:%MZ')"`;

/** The object keys' container and blob names, when the failures all fall in one container. */
function targetOf(incident: Incident, ctx: RemedyContext): { container?: string; blobs: string[] } {
  const containers = ctx.evidence ? Object.keys(ctx.evidence.containers) : [];
  const fromKeys = incident.sampleObjectKeys.map((k) => k.split("/").filter(Boolean));
  const container =
    containers.length === 1 && (ctx.evidence?.otherContainers ?? 1) === 0
      ? containers[0]
      : new Set(fromKeys.map((s) => s[1])).size === 1
        ? fromKeys[0]?.[1]
        : undefined;
  const blobs = [...new Set(fromKeys.filter((s) => s.length > 2).map((s) => s.slice(2).join("/")))];
  return container ? { container, blobs } : { blobs };
}

/** Letters the failing operations need that `sp` lacks (first documented alternative of each). */
export function missingLetters(incident: Incident, sp: string): string {
  const missing = new Set<string>();
  for (const o of operationsOf(incident)) {
    const p = operationPermissions(o.service, o.operation);
    if (!p || p.sas.length === 0 || sasAllows(sp, p)) continue;
    for (const ch of p.sas[0]!) if (!sp.includes(ch)) missing.add(ch);
  }
  return canonicalSasOrder([...missing].join(""));
}

function neededLetters(incident: Incident): string {
  const letters = new Set<string>();
  for (const o of operationsOf(incident)) {
    const first = operationPermissions(o.service, o.operation)?.sas[0];
    if (first) for (const ch of first) letters.add(ch);
  }
  return canonicalSasOrder([...letters].join(""));
}

function isBlobOnly(incident: Incident): boolean {
  return incident.services.every((s) => s === "blob");
}

/** What replaces a SAS signed with a key that no longer holds: a user delegation SAS where az mints one. */
function replacementOf(incident: Incident, letters: string): string {
  return isBlobOnly(incident)
    ? `replace it with a user delegation SAS (sp=${letters}), which no key rotation can invalidate, or mint it again with the current key`
    : `mint it again with the current key (sp=${letters}); moving the callers to Microsoft Entra ID with a data role is what no key rotation can break`;
}

/** A command minting a user delegation SAS with exactly `letters`, valid for a short time. */
export function mintCommand(
  incident: Incident,
  ctx: RemedyContext,
  letters: string,
  signedResource: string | undefined,
): { cmd?: RemedyCommand; why: string } {
  if (!isBlobOnly(incident)) {
    return {
      why: "user delegation SAS through az is available for blobs only here; the callers should use Microsoft Entra ID with a data role instead",
    };
  }
  const t = targetOf(incident, ctx);
  const placeholders: RemedyCommand["placeholders"] = [];
  let container = t.container;
  if (!container) {
    container = placeholder("container");
    placeholders.push({
      name: "container",
      reason: "the failures span several containers; mint one SAS per container",
    });
  }
  const forBlob = signedResource === "b" && t.blobs.length === 1 && t.container;
  const common = `--account-name ${sh(incident.account)} --permissions ${letters} --expiry ${ISO_IN_ONE_HOUR} --https-only --as-user --auth-mode login --output tsv`;
  const line = forBlob
    ? `az storage blob generate-sas ${common.replace(`--permissions`, `--container-name ${sh(container)} --name ${sh(t.blobs[0]!)} --permissions`)}`
    : `az storage container generate-sas --name ${t.container ? sh(container) : container} ${common}`;
  return {
    cmd: command(
      `Mint a user delegation SAS (signed with your Microsoft Entra login, no account key) with sp=${letters} on ${forBlob ? `blob ${t.blobs[0]}` : `container ${t.container ?? "(per container)"}`}, valid 1 hour; the output is the SAS token: hand it to the caller, do not paste it in chat.`,
      line,
      placeholders,
    ),
    why: forBlob ? "one blob is the only target" : "the container holds every failing target",
  };
}

export function sasRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const fields = sasFieldsOf(incident.sampleUris);
  const primary = fields[0] ?? {};
  const sp = primary.sp ?? "";
  const needed = neededLetters(incident);
  const missing = sp ? missingLetters(incident, sp) : "";
  const facts: Remedy["facts"] = [];
  if (primary.sp !== undefined) facts.push({ label: "SAS permissions (sp)", value: primary.sp });
  facts.push({
    label: "Needed by the failing operations",
    value: `${needed || "(none known)"} for ${incident.operations.join(", ")}`,
  });
  if (missing) facts.push({ label: "Missing letters", value: missing });
  if (primary.sr) facts.push({ label: "Signed resource (sr)", value: primary.sr });
  if (primary.skoid) facts.push({ label: "Kind", value: "user delegation SAS" });

  // Signed resource vs target: sr=b cannot list or reach other blobs.
  const containerOps = incident.clusters.filter(
    (c) =>
      operationPermissions(c.service, c.operation)?.scope === "container" &&
      /^List|Container|Filesystem/.test(c.operation),
  );
  const srMismatch = primary.sr === "b" && containerOps.length > 0;
  if (srMismatch)
    facts.push({
      label: "sr vs target",
      value: `sr=b (one blob) but ${containerOps.map((c) => c.operation).join(", ")} target the container: needs sr=c`,
    });

  const expired = incident.sasWindows.reduce((n, w) => n + w.expired, 0);
  const early = incident.sasWindows.reduce((n, w) => n + w.notYetValid, 0);
  const firstMs = Date.parse(incident.firstSeen);
  const lastMs = Date.parse(incident.lastSeen);
  const keyChange = incident.changes.find((c) => c.kind === "key-regenerated" && c.score >= 0.3);
  // A SAS that lacks letters keeps the ones it has (the caller uses them for requests that succeed)
  // plus exactly the missing ones; otherwise the replacement carries only what the failures needed.
  const letters = canonicalSasOrder(missing ? sp + missing : needed || sp || "r");
  const signedResource = srMismatch ? "c" : primary.sr;
  const mint = mintCommand(incident, ctx, letters, signedResource);
  const commands = mint.cmd ? [mint.cmd] : [];
  const wrongCommon = [
    "The caller also uses this SAS for operations that did not fail (the logs show only the failing ones): add those letters too.",
    "The caller cannot obtain a user delegation SAS (no Microsoft Entra identity with Storage Blob Delegator and a data role covering sp): the same letters on a service SAS are then the fallback.",
  ];

  if (early > 0 && incident.clockSkew.suspected) {
    const w = incident.sasWindows.find((x) => x.notYetValid > 0 && x.st)!;
    const lead = w?.st ? Date.parse(w.st) - firstMs : NaN;
    facts.push({
      label: "Start (st)",
      value: `${w?.st ?? "?"}: after the failing requests${Number.isFinite(lead) ? `, about ${fmtMinutes(lead)} ahead of the first failure` : ""}`,
    });
    return {
      kind: "fix-sas-clock",
      change: `The host that mints these SASes sets st about ${Number.isFinite(lead) ? fmtMinutes(lead) : "several minutes"} in the future: fix its clock (NTP), and mint without st (or with st a few minutes in the past).`,
      commands,
      noCommand: commands.length ? undefined : mint.why,
      whyNarrowest:
        "The SAS itself (permissions, resource, expiry) is right; only its start time is ahead, so only the minting clock needs fixing.",
      wrongIf: [
        "The future st is deliberate (a SAS meant for later): then the callers are early, not the clock.",
        ...wrongCommon,
      ],
      facts: facts.concat(
        incident.clockSkew.evidence.slice(0, 1).map((e) => ({ label: "Clock evidence", value: e })),
      ),
    };
  }
  if (expired > 0) {
    const w = incident.sasWindows.find((x) => x.expired > 0 && x.se)!;
    const ago = w?.se ? lastMs - Date.parse(w.se) : NaN;
    facts.push({
      label: "Expiry (se)",
      value: `${w?.se ?? "?"}${Number.isFinite(ago) ? `: ${fmtMinutes(ago)} before the last failure` : ""}`,
    });
    return {
      kind: "replace-sas",
      change: `The SAS expired at ${w?.se ? fmtUtc(w.se) : "its se"}: give the caller a new short-lived SAS with sp=${letters}${srMismatch ? " and sr=c" : ""}, ${isBlobOnly(incident) ? "minted from Microsoft Entra ID (user delegation)" : "minted with the current key"}, and have it renewed before expiry.`,
      commands,
      ...(commands.length ? {} : { noCommand: mint.why }),
      whyNarrowest: `The new SAS carries only the letters the failing operations need (${letters}) on ${srMismatch ? "the container" : "the same resource"}, and lives one hour instead of months.`,
      wrongIf: [
        "The access was meant to end with the expiry: then the caller should stop, not get a new SAS.",
        ...wrongCommon,
      ],
      facts,
    };
  }
  if (missing || srMismatch) {
    return {
      kind: "replace-sas",
      change: `The SAS lacks ${missing ? `the permission letter(s) ${missing} (it has sp=${sp})` : ""}${missing && srMismatch ? " and " : ""}${srMismatch ? "container scope (sr=b, the operation targets the container)" : ""}: issue a SAS with sp=${letters}${srMismatch ? " and sr=c" : ""}.`,
      commands,
      ...(commands.length ? {} : { noCommand: mint.why }),
      whyNarrowest: `sp=${letters} is exactly what ${incident.operations.join(", ")} need${incident.operations.length === 1 ? "s" : ""}${needed !== sp ? `; sp=${sp} was not enough` : ""}; nothing else is added.`,
      wrongIf: [
        "The caller is not supposed to write (a read-only SAS given on purpose): then the application is at fault, not the SAS.",
        ...wrongCommon,
      ],
      facts,
    };
  }
  // A capture that hides the SAS's fields (the JavaScript SDK's errors write each one REDACTED) cannot
  // tell an expired SAS from a missing letter or another key: a new SAS with what the operation needs
  // settles all three, and is no wider than the letters the failures need.
  if (!primary.sp && !primary.se && fieldsHidden(incident.sampleUris)) {
    return {
      kind: "replace-sas",
      change: `The capture hides the SAS's fields (sp, se and the rest), so which of them failed is not known: give the caller a new short-lived SAS with sp=${letters}, ${isBlobOnly(incident) ? "minted from Microsoft Entra ID (user delegation)" : "minted with the current key"}, and see the request succeed with it.`,
      commands,
      ...(commands.length ? {} : { noCommand: mint.why }),
      whyNarrowest: `sp=${letters} is what ${incident.operations.join(", ")} need${incident.operations.length === 1 ? "s" : ""}, and the SAS lives one hour.`,
      wrongIf: [
        "The SAS was right and the request changed in transit (a proxy re-encoding the path): capture it with curl -v, which shows the fields, and explain that capture.",
        ...wrongCommon,
      ],
      facts: facts.concat({
        label: "SAS fields",
        value: "hidden by the capture: expiry, permissions and signature not checked",
      }),
    };
  }
  // Proven by a capture, not inferred from the activity log: so it outranks a ranked key change and
  // the signer fallback below.
  const keyNotCurrent = ctx.proven?.sasKeyNotCurrent;
  if (keyNotCurrent) {
    facts.push({ label: "Signing key", value: `not the account's current key (proven: ${keyNotCurrent})` });
    return {
      kind: "replace-sas",
      change: `The SAS was signed with a key that is not the account's current key (a regenerated key, the other slot, another account's key, or a revoked user delegation key): ${replacementOf(incident, letters)}.`,
      commands,
      noCommand: commands.length
        ? undefined
        : `${mint.why}; until then, re-mint it with the current key in the tool that mints it (the key is a secret: never paste it into a ticket).`,
      whyNarrowest: `Only the SAS is re-minted, with the letters the failing operations need (${letters}) on the same target; no role, firewall rule or account key changes.`,
      wrongIf: [
        "Regenerating the account keys instead: every other key-signed SAS and client breaks too, and this SAS stays wrong.",
        "The SAS was altered in transit (a proxy re-encoding it): then Storage's string would differ from the SAS fields, which it does not here.",
        ...wrongCommon,
      ],
      facts,
    };
  }
  if (keyChange) {
    facts.push({
      label: "Signing key",
      value: `${incident.callers[0]?.keySlot ?? "the key"} was regenerated at ${fmtUtc(keyChange.time)} by ${keyChange.caller}`,
    });
    return {
      kind: "replace-sas",
      change: `The SAS was signed with ${incident.callers[0]?.keySlot ?? "a key"} before it was regenerated at ${fmtUtc(keyChange.time)} by ${keyChange.caller}: ${replacementOf(incident, letters)}.`,
      commands,
      ...(commands.length ? {} : { noCommand: mint.why }),
      whyNarrowest: `Same letters (${letters}) as the failing requests need, on the same target, without a key.`,
      wrongIf: [
        "Other callers still hold the old key: they need the current key (or Entra ID) too.",
        ...wrongCommon,
      ],
      facts,
    };
  }
  // In date, letters present, key unchanged: the signature itself does not match these requests.
  return {
    kind: "fix-signature",
    change: `The SAS is in date and has sp=${sp || "?"}, yet its signature fails for these requests: the code that signs it canonicalizes the resource differently (e.g. percent-encoded or reserved characters in names, see the sample objects). Fix the signer; re-minting with the same code fails the same way.`,
    commands: [],
    noCommand:
      "The fix is in the signing code, not in Azure. Compare one failing request with `auth-triage signature explain`.",
    whyNarrowest:
      "Nothing in the account needs to change; only the signer's canonical resource for the failing names.",
    wrongIf: [
      "The SAS was revoked (stored access policy removed, or user delegation keys revoked): then mint a new one.",
      "The account key used to sign it was regenerated without an activity log record in the window.",
    ],
    facts,
  };
}

export { accountRef, accountScope, containerScope, chooseRoles };
