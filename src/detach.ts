/**
 * A copy of `s` that shares no memory with the string it was cut from. The readers slice field values
 * out of each decoded line, and V8 keeps a slice of 13 or more characters as a view on its whole parent:
 * a value kept for the rest of a run (a caller's user agent, its key hash) would keep its ~1.5 KB line
 * alive with it. Joining two pieces of it writes one fresh flat string. (Slicing a concatenation, as
 * this did before, made a fresh string too, plus a 32-byte view on it: two objects for each of the
 * 40,000 values 10,000 callers keep, which the young-generation collector copied twice each.)
 */
export function detach(s: string): string {
  return s.length < 13 ? s : [s[0], s.slice(1)].join("");
}

/**
 * Detached copies shared by equal values: a value that many callers log (a user agent, an API version,
 * an auth type) is kept once, not once per caller. Bounded: past `cap` distinct values, further ones are
 * detached and not shared.
 */
export class SharedCopies {
  private readonly copies = new Map<string, string>();

  constructor(private readonly cap: number) {}

  /** Distinct values held (at most `cap`). */
  get size(): number {
    return this.copies.size;
  }

  of(s: string): string {
    const known = this.copies.get(s);
    if (known !== undefined) return known;
    const copy = detach(s);
    if (this.copies.size < this.cap) this.copies.set(copy, copy);
    return copy;
  }
}
