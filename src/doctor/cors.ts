import type { HttpHeader } from "../signature/http-request.js";
import { header, type CapturedResponse } from "./capture.js";
import type { Finding } from "./finding.js";

/**
 * A browser's CORS preflight: before a cross-origin request that is not "simple" (a PUT, or any x-ms-*
 * header), the browser sends OPTIONS with the page's Origin and the method and headers it means to use.
 * Storage answers from the service's CORS rules alone, so a refused preflight says nothing about the
 * credential: the real request was never sent.
 */
export interface CorsPreflight {
  origin: string;
  /** The method the page means to use (Access-Control-Request-Method). */
  method: string;
  /** The request headers it means to send (Access-Control-Request-Headers), lower case. */
  headers: string[];
}

/** The preflight a request is, or undefined when it is not one. */
export function corsPreflightOf(method: string, headers: readonly HttpHeader[]): CorsPreflight | undefined {
  if (method.toUpperCase() !== "OPTIONS") return undefined;
  const all = [...headers];
  const origin = header(all, "origin")?.trim();
  const requested = header(all, "access-control-request-method")?.trim();
  if (!origin || !requested) return undefined;
  const list = header(all, "access-control-request-headers") ?? "";
  return {
    origin,
    method: requested.toUpperCase(),
    headers: list
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  };
}

/** The finding for a preflight Storage refused (403, CorsPreflightFailure or no code at all). */
export function corsFindings(
  preflight: CorsPreflight | undefined,
  response: CapturedResponse | undefined,
  errorCode: string | undefined,
  service: string | undefined,
): Finding[] {
  if (!preflight || response?.status !== 403) return [];
  if (errorCode && errorCode.toLowerCase() !== "corspreflightfailure") return [];
  const asked = [
    `${preflight.method} from ${preflight.origin}`,
    preflight.headers.length ? `with the headers ${preflight.headers.join(", ")}` : "with no extra headers",
  ].join(" ");
  return [
    {
      id: "cors-preflight-refused",
      severity: "error",
      title: "The browser's CORS preflight was refused",
      detail: `This is a browser's preflight (OPTIONS) asking to send ${asked}. No CORS rule of the ${service ?? "service's"}${service ? " service" : ""} allows that origin, method and those headers, so Storage refused it and the browser never sent the real request: no key, SAS, token or role was judged. Add a CORS rule for exactly that origin, method and headers.`,
      decision: "policy",
    },
  ];
}
