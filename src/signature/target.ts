/**
 * Works out who signed a request and how: account, service and scheme, from explicit options first,
 * then the request's Authorization header, then the URL. Pure.
 */
import {
  inferAccount,
  inferService,
  parseSharedKeyAuthorization,
  type SharedKeyScheme,
  type SigningTarget,
  type StorageService,
} from "./canonical.js";
import { headerValue, type ParsedRequest } from "./http-request.js";

export interface TargetOverrides {
  account?: string;
  service?: StorageService;
  scheme?: SharedKeyScheme;
}

export interface ResolvedTarget extends SigningTarget {
  /** Where each part came from, for the report ("Authorization header", "host name", "--service"…). */
  provenance: { account: string; service: string; scheme: string };
}

/** Thrown when the account or service cannot be determined; the message says which option to pass. */
export class TargetResolutionError extends Error {
  override name = "TargetResolutionError";
}

export function resolveSigningTarget(
  request: Pick<ParsedRequest, "url" | "headers">,
  overrides: TargetOverrides = {},
): ResolvedTarget {
  const auth = parseSharedKeyAuthorization(headerValue(request, "authorization"));
  const urlAccount = inferAccount(request.url);
  const account = overrides.account ?? auth?.account ?? urlAccount;
  if (!account) {
    throw new TargetResolutionError(
      "cannot tell the account from the request (custom domain and no Shared Key Authorization header); pass --account",
    );
  }
  const urlService = inferService(request.url);
  const service = overrides.service ?? urlService;
  if (!service) {
    throw new TargetResolutionError(
      "cannot tell the service from the host name; pass --service blob|queue|file|table",
    );
  }
  const scheme = overrides.scheme ?? auth?.scheme ?? "SharedKey";
  return {
    account: account.replace(/-secondary$/, ""),
    service,
    scheme,
    provenance: {
      account: overrides.account ? "option" : auth ? "Authorization header" : "URL",
      service: overrides.service ? "option" : "URL",
      scheme: overrides.scheme ? "option" : auth ? "Authorization header" : "default",
    },
  };
}
