import { COPY_SOURCE_REFUSED } from "../codes/error-codes.js";
import type { Incident, Remedy } from "../model/incident.js";
import { accountConfigurationRemedy } from "./account-configuration.js";
import { accountDisabledRemedy } from "./account-disabled.js";
import { authenticationRemedy } from "./authentication.js";
import { copySourceRemedy } from "./copy-source.js";
import { corsRemedy } from "./cors.js";
import type { RemedyContext } from "./context.js";
import { encryptionScopeRemedy } from "./encryption-scope.js";
import { networkRemedy } from "./network.js";
import { sharedKeyDisabledRemedy } from "./shared-key-disabled.js";
import { rbacRemedy } from "./rbac.js";
import { sasRemedy } from "./sas.js";

/**
 * The one place a remedy is built (docs/remedy.md): by verdict, from the incident, its remedy evidence
 * and the activity its causes were ranked against. The incident builder calls it for every incident, so
 * the CLI, the timer, the dashboard and the notifications all show the same remedy.
 */
export function buildRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  // Whatever the verdict, a copy whose source Storage could not read is fixed at the source.
  if (incident.errorCode.toLowerCase() === COPY_SOURCE_REFUSED.toLowerCase())
    return copySourceRemedy(incident, ctx);
  switch (incident.decision) {
    case "rbac":
      return rbacRemedy(incident, ctx);
    case "sas":
      return sasRemedy(incident, ctx);
    case "policy":
      return (POLICY_REMEDIES[incident.errorCode] ?? accountConfigurationRemedy)(incident, ctx);
    case "network":
      return networkRemedy(incident, ctx);
    case "authentication":
      return authenticationRemedy(incident, ctx);
  }
}

/**
 * Each "policy" code is a different setting refusing every caller, so each has its own fix: Shared Key
 * turned off, CORS rules, a disabled account, the container's encryption scope. A policy code without
 * its own entry (none today; a test holds that) reads the account's configuration first.
 */
export const POLICY_REMEDIES: Readonly<Record<string, (incident: Incident, ctx: RemedyContext) => Remedy>> = {
  KeyBasedAuthenticationNotPermitted: sharedKeyDisabledRemedy,
  CorsPreflightFailure: corsRemedy,
  AccountIsDisabled: accountDisabledRemedy,
  InsufficientAccountPermissions: accountConfigurationRemedy,
  RequestForbiddenByContainerEncryptionPolicy: encryptionScopeRemedy,
};

export type { RemedyContext } from "./context.js";
