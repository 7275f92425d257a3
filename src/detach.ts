/**
 * A copy of `s` that shares no memory with the string it was cut from. The readers slice field values
 * out of each decoded line, and V8 keeps a slice of 13 or more characters as a view on its whole parent:
 * a value kept for the rest of a run (a caller's user agent, its key hash) would keep its ~1.5 KB line
 * alive with it. Concatenation flattens into a fresh string, which the slice then views instead.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}
