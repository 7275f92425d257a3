import type { Incident, Remedy } from "../model/incident.js";
import { authenticationRemedy } from "./authentication.js";
import { corsRemedy } from "./cors.js";
import type { RemedyContext } from "./context.js";
import { networkRemedy } from "./network.js";
import { policyRemedy } from "./policy.js";
import { rbacRemedy } from "./rbac.js";
import { sasRemedy } from "./sas.js";

/**
 * The one place a remedy is built (docs/remedy.md): by verdict, from the incident, its remedy evidence
 * and the activity its causes were ranked against. The incident builder calls it for every incident, so
 * the CLI, the timer, the dashboard and the notifications all show the same remedy.
 */
export function buildRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  switch (incident.decision) {
    case "rbac":
      return rbacRemedy(incident, ctx);
    case "sas":
      return sasRemedy(incident, ctx);
    case "policy":
      // The one policy code that is not about the account's auth settings: its CORS rules.
      return incident.errorCode === "CorsPreflightFailure"
        ? corsRemedy(incident, ctx)
        : policyRemedy(incident, ctx);
    case "network":
      return networkRemedy(incident, ctx);
    case "authentication":
      return authenticationRemedy(incident, ctx);
  }
}

export type { RemedyContext } from "./context.js";
