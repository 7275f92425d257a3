/**
 * Sort order of canonicalised header names. The service sorts them the way .NET's culture-aware string
 * comparison does (the Shared Key spec warns that "lexicographical ordering may not always coincide with
 * conventional alphabetical ordering"): hyphens and apostrophes are ignored at first, and only break
 * ties afterwards. So `x-ms-meta-ab` sorts before `x-ms-meta-a-c` although `-` < `b` in ASCII.
 *
 * Header names are tokens, so only token characters need a weight; names arrive lower-cased.
 */

/** Token characters other than `-` and `'`, in the order the service ranks them (digits, then letters). */
const PRIMARY_ORDER = "!#$%&*.^_`|~+0123456789abcdefghijklmnopqrstuvwxyz";
const PRIMARY_RANK = new Map([...PRIMARY_ORDER].map((c, i) => [c, i + 1]));

/** Characters ignored by the first pass and used only to break ties (apostrophe ranks before hyphen). */
const TIE_BREAK_RANK = new Map([
  ["'", 1],
  ["-", 2],
]);

function primaryRank(c: string): number {
  // Anything outside the token set (never valid in a header name) sorts after the known characters,
  // by code point, so the order stays total.
  return PRIMARY_RANK.get(c) ?? PRIMARY_ORDER.length + 1 + c.codePointAt(0)!;
}

/**
 * Compares two lower-cased header names as the service orders them in CanonicalizedHeaders.
 * Negative when `a` sorts first, positive when `b` does, zero when equal.
 */
export function compareCanonicalHeaderNames(a: string, b: string): number {
  if (a === b) return 0;
  const pa = [...a].filter((c) => !TIE_BREAK_RANK.has(c));
  const pb = [...b].filter((c) => !TIE_BREAK_RANK.has(c));
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const d = primaryRank(pa[i]!) - primaryRank(pb[i]!);
    if (d !== 0) return d;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  // Same letters: walk both names position by position; the first position where one has a hyphen or
  // apostrophe and the other has not decides, and the name whose hyphen comes later sorts first.
  for (let i = 0; ; i++) {
    const ca = a[i];
    const cb = b[i];
    if (ca === undefined && cb === undefined) return 0;
    const ta = ca === undefined ? undefined : TIE_BREAK_RANK.get(ca);
    const tb = cb === undefined ? undefined : TIE_BREAK_RANK.get(cb);
    if (ca === undefined) return tb === undefined ? 1 : -1;
    if (cb === undefined) return ta === undefined ? -1 : 1;
    if (ta === undefined && tb === undefined) continue;
    if (ta === tb) continue;
    if (ta === undefined) return -1;
    if (tb === undefined) return 1;
    return ta - tb;
  }
}
