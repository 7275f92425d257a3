import { UsageError } from "./command.js";

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A `--since` style duration: `90s`, `30m`, `2h`, `7d`, combinations like `1h30m`, or ISO 8601 `PT2H`,
 * `P1DT6H`. Returns milliseconds; a usage error says what is accepted.
 */
export function parseDuration(flag: string, value: string): number {
  const text = value.trim();
  const simple = /^(?:\d+[smhd])+$/i.test(text);
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  let ms = Number.NaN;
  if (simple) {
    ms = 0;
    for (const [, n, unit] of text.matchAll(/(\d+)([smhd])/gi))
      ms += Number(n) * UNIT_MS[unit!.toLowerCase()]!;
  } else if (iso && text.length > 1 && text.toUpperCase() !== "PT") {
    const [, d, h, m, s] = iso;
    ms =
      Number(d ?? 0) * UNIT_MS.d! +
      Number(h ?? 0) * UNIT_MS.h! +
      Number(m ?? 0) * UNIT_MS.m! +
      Number(s ?? 0) * UNIT_MS.s!;
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(`--${flag} '${value}' is not a duration; use e.g. 30m, 2h, 1d, 1h30m or PT2H`);
  }
  return ms;
}
