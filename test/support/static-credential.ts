import type { TokenCredential } from "../../src/collect/loganalytics/client.js";

/**
 * A credential for talking to local stand-ins: there is no Entra ID locally, so it hands out a fixed
 * opaque token and records the scopes asked for (the sovereign-cloud test checks them).
 */
export function staticCredential(): TokenCredential & { scopesRequested: string[][] } {
  const scopesRequested: string[][] = [];
  return {
    scopesRequested,
    getToken: async (scopes: string | string[]) => {
      scopesRequested.push(Array.isArray(scopes) ? [...scopes] : [scopes]);
      return { token: "local-test-token", expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}
