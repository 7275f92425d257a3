import type { CapturedResponse } from "./exchange.js";

/**
 * The Azure CLI replaces Storage's message with its own for three codes (its storage module's exception
 * handler), so what `az storage …` prints names no code. Each message stands for exactly one; the
 * status is the 403 Storage answers all three with.
 */
const AZ_CLI_MESSAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /You do not have the required permissions needed to perform this operation\./,
    "AuthorizationPermissionMismatch",
  ],
  [/The request may be blocked by network rules of storage account\./, "AuthorizationFailure"],
  [
    /Authentication failure\. This may be caused by either invalid account key, connection string or sas token value/,
    "AuthenticationFailed",
  ],
];

/**
 * An `ERROR: ` line as the Azure CLI starts what it prints for a failed command (Python's logging writes
 * `ERROR:name:…`, without the space).
 */
export const AZ_CLI_ERROR = /^ERROR:(?: |$)/m;

/** Storage's answer behind the Azure CLI's own message for it, or undefined when it is none of them. */
export function azCliErrorAnswer(text: string): CapturedResponse | undefined {
  const code = AZ_CLI_MESSAGES.find(([message]) => message.test(text))?.[1];
  return code ? { status: 403, headers: [{ name: "x-ms-error-code", value: code }] } : undefined;
}
