/**
 * Validation of the Functions timer's six-field NCRONTAB (`{second} {minute} {hour} {day} {month}
 * {day-of-week}`, UTC). The host parses with seconds required, so a five-field Unix cron would be read
 * with shifted fields; reject it here with a message instead of letting the schedule silently change.
 */
const FIELDS = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day-of-week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
] as const;

export const DEFAULT_SCHEDULE = "0 */5 * * * *";

function valueOf(token: string, field: (typeof FIELDS)[number]): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  if ("names" in field) {
    const i = (field.names as readonly string[]).indexOf(token.toUpperCase());
    if (i >= 0) return field.name === "month" ? i + 1 : i;
  }
  return undefined;
}

/** Returns undefined when valid, else what is wrong and how to write it. */
export function ncrontabProblem(expr: string): string | undefined {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 6) {
    return (
      `'${expr}' has ${parts.length} fields; the Functions timer needs six ` +
      `({second} {minute} {hour} {day} {month} {day-of-week}), e.g. '${DEFAULT_SCHEDULE}' for every 5 minutes` +
      (parts.length === 5 ? " (a five-field Unix cron needs a leading seconds field, usually 0)" : "")
    );
  }
  for (let i = 0; i < 6; i++) {
    const field = FIELDS[i]!;
    for (const item of parts[i]!.split(",")) {
      const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
      if (!m) return `${field.name} field '${parts[i]}' is not valid NCRONTAB`;
      if (m[2] !== undefined && Number(m[2]) === 0)
        return `${field.name} field '${parts[i]}': a step of 0 never fires`;
      if (m[1] === "*") continue;
      const [lo, hi] = m[1]!.split("-");
      for (const t of [lo, hi]) {
        if (t === undefined) continue;
        const v = valueOf(t, field);
        if (v === undefined || v < field.min || v > field.max) {
          return `${field.name} field '${parts[i]}': '${t}' is outside ${field.min}-${field.max}`;
        }
      }
    }
  }
  return undefined;
}
