/**
 * What loggers write in place of a secret or a value they will not show: the Azure SDKs and az write
 * REDACTED, AzCopy `-REDACTED-`, the Python Storage SDK's debug logging `*****` (and, for a SAS
 * signature, `sig=*****`), Storage Explorer `JSON Web Token Redacted` for a bearer token. A
 * capture with such a value hides it: the doctor says so and checks what is left, and never calls the
 * placeholder itself malformed.
 */
const LOGGER_PLACEHOLDER =
  /^(?:sig=)?(?:\[?REDACTED\]?|<REDACTED>|-REDACTED-|\*{3,}|x{3,}|JSON Web Token Redacted)$/i;

export function isHiddenByLogger(value: string): boolean {
  return LOGGER_PLACEHOLDER.test(value.trim());
}
