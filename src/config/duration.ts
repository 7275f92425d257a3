/**
 * Durations in settings and flags: `90s`, `30m`, `4h`, `2d`, combinations such as `1h30m`, or ISO 8601
 * `PT30M` (what Bicep and the portal tend to produce). Returns milliseconds, or undefined when unreadable.
 */
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (s === "") return undefined;
  const iso = /^p(?:(\d+)d)?(?:t(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)?$/.exec(s);
  if (iso && s !== "p" && s !== "pt") {
    const [, d, h, m, sec] = iso;
    return (
      Number(d ?? 0) * UNIT_MS.d! +
      Number(h ?? 0) * UNIT_MS.h! +
      Number(m ?? 0) * UNIT_MS.m! +
      Number(sec ?? 0) * UNIT_MS.s!
    );
  }
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(s)) return undefined;
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return Math.round(total);
}

/** `5400000` → `1h30m`: for messages and docs. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, secs] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(rest / secs);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * secs;
    }
  }
  return parts.join("");
}
