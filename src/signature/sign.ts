/**
 * Shared Key signing: HMAC-SHA256 over the UTF-8 string-to-sign with the base64-decoded account key.
 * Node-only (node:crypto); the canonicalisation it relies on is pure.
 */
import { createHmac } from "node:crypto";
import { z } from "zod";
import { buildStringToSign, type SharedKeyScheme, type StringToSign } from "./canonical.js";
import type { ParsedRequest } from "./http-request.js";
import { resolveSigningTarget, type ResolvedTarget, type TargetOverrides } from "./target.js";

/** An account key: standard base64 of a non-empty secret. The message never echoes the value. */
export const accountKeySchema = z
  .string()
  .trim()
  .min(1, "the account key is empty")
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, "the account key is not base64")
  .refine((k) => k.length % 4 === 0, "the account key is not base64 (length is not a multiple of 4)");

/** Base64 HMAC-SHA256 of the string-to-sign with the decoded key. */
export function computeSharedKeySignature(stringToSign: string, base64Key: string): string {
  const key = Buffer.from(accountKeySchema.parse(base64Key), "base64");
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("base64");
}

/** `SharedKey account:signature` (the Authorization header value). */
export function formatAuthorization(scheme: SharedKeyScheme, account: string, signature: string): string {
  return `${scheme} ${account}:${signature}`;
}

export interface SignedRequest {
  /** The Authorization header value. Contains the signature: print only to its owner. */
  authorization: string;
  stringToSign: StringToSign;
  target: ResolvedTarget;
}

/** Signs a request as the service would verify it. Throws DuplicateSignedHeaderError or TargetResolutionError. */
export function signRequest(
  request: Pick<ParsedRequest, "method" | "url" | "headers">,
  base64Key: string,
  overrides: TargetOverrides = {},
): SignedRequest {
  const target = resolveSigningTarget(request, overrides);
  const stringToSign = buildStringToSign(request, target);
  const signature = computeSharedKeySignature(stringToSign.text, base64Key);
  return {
    authorization: formatAuthorization(target.scheme, target.account, signature),
    stringToSign,
    target,
  };
}
