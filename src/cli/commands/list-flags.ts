/**
 * `--logs a b c` → `--logs a --logs b --logs c`: node:util parseArgs takes one value per flag, and
 * shells expand globs into several words after one flag.
 */
export function expandListFlags(argv: readonly string[], listFlags: readonly string[]): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const arg of argv) {
    if (arg.startsWith("-")) {
      current = listFlags.includes(arg) ? arg : undefined;
      out.push(arg);
      continue;
    }
    if (current && out[out.length - 1] !== current) out.push(current);
    out.push(arg);
  }
  return out;
}
