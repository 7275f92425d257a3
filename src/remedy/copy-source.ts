import { targetOf } from "../doctor/operation.js";
import type { Incident, Remedy, RemedyCommand } from "../model/incident.js";
import { command, type RemedyContext } from "./context.js";
import { ISO_IN_ONE_HOUR } from "./sas.js";
import { sh } from "./shell.js";

const WRONG_FOR_DESTINATION =
  "Changing the destination's key, SAS or roles: Storage accepted the destination request; the source is what it could not read.";

/**
 * CannotVerifyCopySource: Storage could not read a copy's source, so the fix is the source's credential
 * (the SAS in x-ms-copy-source, or the token in x-ms-copy-source-authorization), never the caller's own.
 * The logs do not keep the source URL; a captured copy (`explain`) does, and names what is wrong with it.
 */
export function copySourceRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const proven = ctx.proven?.copySource;
  if (!proven)
    return {
      kind: "investigate",
      change:
        "Storage could not read the copies' source; the logs do not record the source URL (x-ms-copy-source), so capture one failing copy (AzCopy with --log-level DEBUG, or the SDK's HTTP logging) and run auth-triage explain on it: it names what is wrong with the source's SAS or token.",
      commands: [],
      noCommand:
        "The source's credential is not in the logs: the fix depends on what the captured copy shows.",
      whyNarrowest:
        "Nothing changes until the source's credential is known; the destination is not at fault.",
      wrongIf: [WRONG_FOR_DESTINATION],
      facts: [{ label: "Failing copies", value: `${incident.count} (${incident.operations.join(", ")})` }],
    };

  const facts: Remedy["facts"] = [
    { label: "Copy source", value: proven.url },
    { label: "What the source shows", value: proven.title },
  ];
  let source: URL | undefined;
  try {
    source = new URL(proven.url);
  } catch {
    source = undefined;
  }
  const t = source ? targetOf(source) : undefined;
  if (proven.problem === "copy-source-token-refused") {
    return {
      kind: "assign-role",
      change: `Grant the identity that makes the copy a reader's data role on the source${t?.account ? ` (account ${t.account})` : ""}: Storage reads the source as that identity.`,
      commands: [],
      noCommand:
        "The capture hides the token, so the identity to grant is not known: read its object id from the token (auth-triage explain on a capture that shows it) and assign Storage Blob Data Reader on the source container.",
      whyNarrowest: "Reading is all a copy's source needs; the destination's roles stay as they are.",
      wrongIf: [WRONG_FOR_DESTINATION],
      facts,
    };
  }
  const commands: RemedyCommand[] = [];
  let noCommand: string | undefined;
  const [container, ...rest] = t?.segments ?? [];
  const path = rest.join("/");
  if (t?.account && container && path && t.service === "blob") {
    commands.push(
      command(
        `Mint a user delegation SAS for the source blob ${path}: read only (sp=r), no IP range, valid 1 hour; append it to the source URL. The output is the SAS token: hand it to the copy, do not paste it in chat.`,
        `az storage blob generate-sas --account-name ${sh(t.account)} --container-name ${sh(container)} --name ${sh(path)} --permissions r --expiry ${ISO_IN_ONE_HOUR} --https-only --as-user --auth-mode login --output tsv`,
      ),
    );
  } else if (t?.account && container && path && t.service === "file") {
    commands.push(
      command(
        `Mint a SAS for the source file ${path}: read only (sp=r), no IP range, valid 1 hour (az signs it with the account's key, which your login must be allowed to list); append it to the source URL. The output is the SAS token: do not paste it in chat.`,
        `az storage file generate-sas --account-name ${sh(t.account)} --share-name ${sh(container)} --path ${sh(path)} --permissions r --expiry ${ISO_IN_ONE_HOUR} --https-only --output tsv`,
      ),
    );
  } else {
    noCommand = `The source URL does not name one blob or file${t?.account ? "" : " of a storage account"}: mint its SAS with read (sp=r), no sip, for what the copy reads.`;
  }
  return {
    kind: "replace-sas",
    change:
      "Mint the copy source's SAS again: read (sp=r), in date for the whole copy, and without sip, because Storage reads a copy's source from its own addresses, never the client's.",
    commands,
    ...(noCommand ? { noCommand } : {}),
    whyNarrowest:
      "Only the source's SAS changes, with the one permission a copy needs (read); the destination and its credential stay as they are.",
    wrongIf: [
      WRONG_FOR_DESTINATION,
      "The source SAS checks out and the source account has a firewall: a copy between accounts must pass it from Storage's addresses, so the source needs a private path or a public read instead.",
    ],
    facts,
  };
}
