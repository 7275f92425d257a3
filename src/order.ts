/**
 * Text in code-unit order: the one order the product sorts text in (ties in reports, state, cards).
 * `localeCompare` follows the process's locale (LANG), so the same logs came out in another order on a
 * machine set to Danish, which sorts "aa" after "å" and "AB" before "ab"; and each comparison was a call
 * into ICU, paid thousands of times when every cluster's callers are sorted.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
