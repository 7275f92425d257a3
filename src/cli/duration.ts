import { parseDuration as parseDurationText } from "../config/duration.js";
import { UsageError } from "./command.js";

/**
 * A duration flag such as `--since`: the same grammar as duration settings (`90s`, `30m`, `2h`, `7d`,
 * `1h30m`, ISO 8601 `PT2H`, `P1DT6H`), positive. Returns milliseconds; a usage error says what is accepted.
 */
export function parseDuration(flag: string, value: string): number {
  const ms = parseDurationText(value);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--${flag} '${value}' is not a duration; use e.g. 30m, 2h, 1d, 1h30m or PT2H`);
  }
  return ms;
}
