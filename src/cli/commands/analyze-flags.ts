import { parseArgs } from "node:util";
import { UsageError } from "../command.js";

// Read both by analyze-options.ts, which validates them, and by analyze-prestart.ts, which runs before
// the engine is loaded: so this module imports nothing heavier than Node's own.

/**
 * The single place where `auth-triage analyze` options are declared. Sources other than files (Log
 * Analytics workspaces, archive accounts) add their flags here and their fields to AnalyzeArgs
 * (analyze-options.ts), so every source shares window and format handling.
 */
export const ANALYZE_FLAGS = {
  logs: { type: "string", multiple: true },
  activity: { type: "string", multiple: true },
  from: { type: "string" },
  to: { type: "string" },
  format: { type: "string" },
  workspace: { type: "string", multiple: true },
  "archive-account": { type: "string" },
  "classic-account": { type: "string", multiple: true },
  since: { type: "string" },
  cloud: { type: "string" },
  threads: { type: "string" },
} as const;

/** Flags that take several paths: `--logs a b c` and `--logs a --logs b` both work. */
const PATH_LIST_FLAGS = new Set(["logs", "activity"]);

/** The flags as given, and the paths after each path-list flag (UsageError for what cannot be parsed). */
export function parseAnalyzeFlags(argv: string[]) {
  const parsed = parseFlags(argv);
  const lists: Record<"logs" | "activity", string[]> = { logs: [], activity: [] };
  let currentList: "logs" | "activity" | undefined;
  for (const t of parsed.tokens) {
    if (t.kind === "option") {
      if (PATH_LIST_FLAGS.has(t.name)) {
        currentList = t.name as "logs" | "activity";
        if (t.value !== undefined) lists[currentList].push(t.value);
      } else {
        currentList = undefined;
      }
    } else if (t.kind === "positional") {
      if (!currentList) {
        throw new UsageError(
          `unexpected argument '${t.value}': put input paths after --logs (storage logs) or --activity (AzureActivity)`,
        );
      }
      lists[currentList].push(t.value);
    }
  }
  return { values: parsed.values, lists };
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: ANALYZE_FLAGS,
      allowPositionals: true,
      tokens: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(
      `${err instanceof Error ? err.message : String(err)}. Run 'auth-triage analyze --help'.`,
    );
  }
}

const MAX_THREADS = 64;

/** --threads: a whole number from 1 to MAX_THREADS. */
export function parseThreads(value: string): number {
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_THREADS)
    throw new UsageError(`--threads '${value}' must be a whole number from 1 to ${MAX_THREADS}`);
  return n;
}
