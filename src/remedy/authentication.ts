import type { Incident, Remedy, RemedyCommand } from "../model/incident.js";
import { accountRef, activityOf, command, fmtUtc, type RemedyContext } from "./context.js";
import { placeholder, sh } from "./shell.js";

const STORAGE_SCOPE = "https://storage.azure.com/.default";
/**
 * SHA-256 of the storage emulator's published devstoreaccount1 key as text (AZURITE_KEY in
 * src/local/azurite.ts; a test holds them together): what a client's key is compared with by hash.
 */
export const AZURITE_WELL_KNOWN_KEY_SHA256 =
  "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059";

function slotsOf(incident: Incident): string[] {
  return [...new Set(incident.callers.map((c) => c.keySlot).filter((s): s is "key1" | "key2" => !!s))].sort();
}

/** The resync command for a host, by the OS its user agent names. */
function resyncFor(userAgent: string | undefined): string {
  return /windows/i.test(userAgent ?? "") ? "w32tm /resync /force" : "sudo chronyc makestep";
}

/** Authentication: clock skew, rotated key, OAuth token, or a signature the client computes differently. */
export function authenticationRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const account = accountRef(incident, ctx);
  const facts: Remedy["facts"] = [];
  const slots = slotsOf(incident);
  if (slots.length) facts.push({ label: "Key slot", value: slots.join(", ") });

  if (incident.authType === "OAuth") {
    const tenant = ctx.tenant;
    const change = incident.changes.find((c) => c.score >= 0.3);
    if (change)
      facts.push({
        label: "Changed",
        value: `${change.summary} at ${fmtUtc(change.time)} by ${change.caller}`,
      });
    facts.push({
      label: "Audience to request",
      value: "https://storage.azure.com/ (scope https://storage.azure.com/.default)",
    });
    if (tenant)
      facts.push({ label: "Tenant", value: `${tenant} (named by Storage's WWW-Authenticate challenge)` });
    return {
      kind: "fix-token",
      change: `Storage rejected the bearer token before identifying anyone (${incident.errorCode}): the callers must request tokens for the audience https://storage.azure.com/ (scope ${STORAGE_SCOPE}) from the account's tenant, and send them unexpired${change ? `; it started after ${change.summary} (${fmtUtc(change.time)}, ${change.caller})` : ""}.`,
      commands: [
        command(
          "Check that a token for Storage can be obtained in the account's tenant (prints only its expiry, never the token).",
          `az account get-access-token --scope ${STORAGE_SCOPE} --tenant ${tenant ? sh(tenant) : placeholder("tenant-id")} --query expiresOn --output tsv`,
          tenant
            ? []
            : [
                {
                  name: "tenant-id",
                  reason:
                    "a rejected token is logged without its tenant; use the tenant of the storage account's subscription (az account show --query tenantId)",
                },
              ],
        ),
      ],
      whyNarrowest:
        "Only the token request changes (audience, tenant); no role, key or firewall rule is touched.",
      wrongIf: [
        "Granting roles does not help: the token was rejected before any role was checked.",
        "The token is from the right audience and tenant but expired: then the client's token cache or clock is at fault.",
      ],
      facts,
    };
  }

  if (incident.clockSkew.suspected) {
    const hosts = incident.callers.filter((c) => c.ip).slice(0, 5);
    facts.push({ label: "Hosts", value: hosts.map((h) => h.ip).join(", ") });
    facts.push({
      label: "Offset",
      value:
        "more than 15 minutes (Shared Key refuses a date header older than that); the exact offset is not logged",
    });
    for (const e of incident.clockSkew.evidence.slice(0, 2))
      facts.push({ label: "Clock evidence", value: e });
    const commands: RemedyCommand[] = hosts.map((h) =>
      command(`On ${h.ip}: resynchronise the clock with its time source.`, resyncFor(h.userAgent)),
    );
    return {
      kind: "fix-clock",
      change: `The clock of ${hosts.map((h) => h.ip).join(", ")} is off by more than 15 minutes: fix its time sync (NTP); its Shared Key signatures are right otherwise.`,
      commands,
      whyNarrowest: "Only the drifting host changes; the key, the account and the other callers are fine.",
      wrongIf: [
        "Do not rotate keys: the same key works from the other hosts.",
        "The host's clock is right and a proxy rewrites x-ms-date: then fix the proxy.",
      ],
      facts,
    };
  }

  const rotated = incident.changes.find((c) => c.kind === "key-regenerated" && c.score >= 0.3);
  if (rotated) {
    const act = activityOf(rotated, ctx.changes);
    const slot = act?.facts.keyName ?? slots[0];
    const rg = account.known ? sh(account.resourceGroup) : account.resourceGroup;
    facts.push({
      label: "Changed",
      value: `${slot ?? "a key"} regenerated at ${fmtUtc(rotated.time)} by ${rotated.caller}`,
    });
    const keyQuery = sh(`[?keyName=='${slot ?? "key1"}'].value | [0]`);
    return {
      kind: "update-key",
      change: `The callers still sign with the old ${slot ?? "key"}, regenerated at ${fmtUtc(rotated.time)} by ${rotated.caller}: put the current ${slot ?? "key"} where they read it (or better, move them to Microsoft Entra ID).`,
      commands: [
        command(
          `Store the current ${slot ?? "key"} in the secret the callers read, without printing it.`,
          `az storage account keys list --account-name ${sh(incident.account)} --resource-group ${rg} --query ${keyQuery} --output tsv | az keyvault secret set --vault-name ${placeholder("key-vault-name")} --name ${placeholder("secret-name")} --file /dev/stdin --output none`,
          [
            { name: "key-vault-name", reason: "the logs do not say where the callers read their key from" },
            { name: "secret-name", reason: "the logs do not say where the callers read their key from" },
          ],
        ),
      ],
      whyNarrowest: `Only the stale secret changes; ${slot === "key1" ? "key2" : "the other key"} and every caller already on the new key are untouched.`,
      wrongIf: [
        "Regenerating the key again breaks the callers that already moved to the new key.",
        "The callers read a connection string from app settings, not Key Vault: update that setting instead.",
      ],
      facts,
    };
  }

  // Proven by a capture: the request arrived as signed, so the key (or the signer) is what differs.
  const asSigned = ctx.proven?.sharedKeyArrivedAsSigned;
  if (asSigned) return signedWithAnotherKey(incident, ctx, asSigned, facts);
  const changed = ctx.proven?.sharedKeyChangedAfterSigning;
  if (changed) return changedAfterSigning(changed, facts);
  if (ctx.proven?.emulatorStringToSignMissing) return emulatorSignatureRejected(facts);

  // Signature mismatch with a valid key: something between the signer and Storage (or the signer) changed.
  const change = incident.changes.find((c) => c.score >= 0.3);
  if (change)
    facts.push({
      label: "Changed",
      value: `${change.summary} at ${fmtUtc(change.time)} by ${change.caller}`,
    });
  return {
    kind: "fix-signature",
    change: ctx.fromCapture
      ? // One capture cannot tell a key the account no longer has from a request changed after signing.
        "The signature does not match what Storage computes: the request changed after it was signed (path prefix, added headers, encoding), or the key differs from the account's. Compare the client's string-to-sign with Storage's to tell which."
      : `The key is current but the signature does not match what Storage computes: ${change ? `${change.summary} (${fmtUtc(change.time)}, ${change.caller}) is the likely trigger; ` : ""}undo it or fix the request the client signs (path prefix, added headers, encoding).`,
    commands: [
      command(
        "Compare one failing request with the server's string-to-sign (from the error response), locally.",
        `auth-triage signature explain --request ${placeholder("failing-request.http")} --server-string-to-sign ${placeholder("server-string-to-sign.txt")}`,
        [
          {
            name: "failing-request.http",
            reason: "the logs do not keep request headers; capture one failing request",
          },
          {
            name: "server-string-to-sign.txt",
            reason: "Storage returns it in the 403 body only, never in the logs",
          },
        ],
      ),
    ],
    whyNarrowest: "Nothing in Azure changes: the request shape is fixed where it is produced.",
    wrongIf: [
      ctx.fromCapture
        ? "Do not rotate keys before comparing: a request changed in transit fails with any key."
        : "Do not rotate keys: the key the callers use is the current one.",
      "Do not add RBAC roles: these requests are signed with a key, not a token.",
    ],
    facts,
  };
}

/**
 * A request Storage's string-to-sign proves was changed after signing: the fix is where it is changed;
 * the check is the same capture, taken again, arriving as signed.
 */
function changedAfterSigning(changed: { what: string; detail: string }, facts: Remedy["facts"]): Remedy {
  facts.push({
    label: "Changed after signing",
    value: `${changed.what} (proven by Storage's string-to-sign)`,
  });
  const capture = {
    name: "capture-after-the-fix",
    reason: "the same request captured again, the way this one was, once the change is made",
  };
  return {
    kind: "fix-signature",
    change: `${changed.detail} Fix it where the request is changed (the proxy, gateway or middleware between the signer and Storage), or sign after that point.`,
    commands: [
      command(
        "Once it is fixed, diagnose the same request captured again: it must arrive as signed (or succeed).",
        `auth-triage explain --request ${placeholder(capture.name)}`,
        [capture],
      ),
    ],
    whyNarrowest:
      "Only the component that changes the request is touched: the account's keys, its roles and its network rules stay as they are.",
    wrongIf: [
      "Do not rotate keys: Storage's string-to-sign shows the request changed after signing, which fails with any key.",
      "Do not add RBAC roles: these requests are signed with a key, not a token.",
    ],
    facts,
  };
}

/**
 * The emulator refused a Shared Key signature and the capture holds none of its string-to-sign: Azurite
 * writes that only to its debug log, which also holds the request as it arrived, and `explain` reads it.
 */
function emulatorSignatureRejected(facts: Remedy["facts"]): Remedy {
  const log = {
    name: "azurite-debug.log",
    reason: "a file Azurite writes its debug log to; its answers never carry the string-to-sign",
  };
  return {
    kind: "fix-signature",
    change:
      "The signature does not match what the emulator computes: the request changed after it was signed, or the client's key is not the one the emulator holds (devstoreaccount1's well-known key, or the one AZURITE_ACCOUNTS sets). Azurite's debug log tells which.",
    commands: [
      command(
        "Restart Azurite with its debug log on (keep the options you start it with), then repeat the failing request once.",
        `azurite --debug ${placeholder(log.name)}`,
        [log],
      ),
      command(
        "Diagnose the request from that log: it holds the request as Azurite received it and Azurite's string-to-sign, so the differing field (or a key mismatch) is named.",
        `auth-triage explain --request ${placeholder(log.name)}`,
        [log],
      ),
    ],
    whyNarrowest: "Nothing outside the client and its local emulator changes.",
    wrongIf: ["Do not change Azure accounts' keys, roles or firewalls: this request went to the emulator."],
    facts,
  };
}

/**
 * A Shared Key request that arrived exactly as signed: the key the client holds is not one of the
 * account's, or its signing code is wrong. Compared by hash, so no key is ever printed.
 */
function signedWithAnotherKey(
  incident: Incident,
  ctx: RemedyContext,
  proof: string,
  facts: Remedy["facts"],
): Remedy {
  facts.push({
    label: "Signing key",
    value: `not one of the account's keys, or the signer is wrong (proven: ${proof})`,
  });
  const clientKey = command(
    "Hash the key the client signs with, read from its configuration without echoing it (read -rs), to compare with the account's.",
    'read -rs CLIENT_ACCOUNT_KEY && printf %s "$CLIENT_ACCOUNT_KEY" | sha256sum',
  );
  const common = {
    whyNarrowest:
      "Only the client's copy of the key (or its signing code) changes: the account's keys, the other callers and every network rule stay as they are.",
    wrongIf: [
      "Regenerating the account's keys: every caller holding a current key breaks, and this client still holds a wrong one.",
      "The key hashes match: then the client's own signing code builds another string than Storage does (a custom signer, a key not base64-decoded before the HMAC).",
    ],
    facts,
  };
  if (ctx.proven?.emulator) {
    facts.push({
      label: "Emulator key",
      value: `devstoreaccount1's well-known key hashes to ${AZURITE_WELL_KNOWN_KEY_SHA256} (as the command hashes)`,
    });
    return {
      kind: "update-key",
      change: `The request arrived as signed, so the client signs with a key the emulator does not have for ${incident.account}: use the emulator's well-known devstoreaccount1 key (or the one AZURITE_ACCOUNTS sets), or fix the client's signing code.`,
      commands: [clientKey],
      ...common,
    };
  }
  const account = accountRef(incident, ctx);
  const rg = account.known ? sh(account.resourceGroup) : account.resourceGroup;
  return {
    kind: "update-key",
    change: `The request arrived as signed, so the client signs with a key that is not one of ${incident.account}'s current keys (a regenerated key, another account's key, a key with stray characters): compare the client's key with the account's by hash, then put the current key where the client reads it (or better, move it to Microsoft Entra ID).`,
    commands: [
      command(
        "Hash the account's two current keys (key1, then key2) without printing them.",
        `az storage account keys list --account-name ${sh(incident.account)} --resource-group ${rg} --query "[].value" --output tsv | while read -r key; do printf %s "$key" | sha256sum; done`,
      ),
      clientKey,
    ],
    ...common,
  };
}
