#!/usr/bin/env -S node --max-semi-space-size=4 --no-allocation-site-pretenuring --no-parallel-scavenge
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sanitizeOutbound } from "../redact.js";
import { EXIT_USAGE, UsageError, type CliCommand, type CliIo } from "./command.js";
import { useCompileCache } from "./compile-cache.js";

/**
 * Sub-commands, loaded lazily so `auth-triage <cmd>` only pays for the modules it uses; given the
 * command's arguments, a loader may start what the command will need while its modules load.
 */
const COMMANDS: Record<string, (args: readonly string[]) => Promise<CliCommand>> = {
  analyze: async (args) => {
    (await import("./commands/analyze-prestart.js")).prestartAnalyzeScanThreads(args);
    return (await import("./commands/analyze.js")).default;
  },
  explain: async () => (await import("./commands/explain.js")).explainCommand,
  kql: async () => (await import("./commands/kql.js")).default,
  signature: async () => (await import("./commands/signature.js")).signatureCommand,
  "run-once": async () => (await import("./commands/run-once.js")).default,
  local: async () => (await import("./commands/local.js")).default,
  serve: async () => (await import("./commands/serve.js")).default,
};

const USAGE = `auth-triage: make Azure Storage 401/403 failures explain themselves.

Usage: auth-triage <command> [options]

Commands:
${"%COMMANDS%"}

Run 'auth-triage <command> --help' for a command's options.

Exit status: 0 success; 1 a notification failed or is still pending (run-once), or the output could
not be written; 2 usage error, unreadable input, or nothing could be read (every record rejected); 3 the
state store is unavailable (run-once; the message names it). A reader that stops reading the output
(| head) leaves the status the command's own.`;

async function topLevelHelp(): Promise<string> {
  const lines: string[] = [];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const cmd = await load([]);
    lines.push(`  ${name.padEnd(12)} ${cmd.summary}`);
  }
  return USAGE.replace("%COMMANDS%", lines.join("\n"));
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write((await topLevelHelp()) + "\n");
    return name ? 0 : EXIT_USAGE;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`auth-triage: unknown command '${name}'. Run 'auth-triage --help' for the list.\n`);
    return EXIT_USAGE;
  }
  const cmd = await load(rest);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(cmd.help.trimEnd() + "\n");
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(sanitizeOutbound(`auth-triage ${name}: ${err.message}\n`));
      return EXIT_USAGE;
    }
    throw err;
  }
}

function invokedAsScript(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * How the process meets an error writing to `out`. A reader that stops reading (`auth-triage analyze … |
 * head`) is not the run's failure: the rest is dropped and the command ends as it would have, with its own
 * exit status. Any other error (a full disk) ends the run at once, with one line saying so and status 1,
 * rather than the stack trace an unheard error event prints.
 */
function watchOutput(out: NodeJS.EventEmitter): void {
  out.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") return;
    try {
      process.stderr.write(sanitizeOutbound(`auth-triage: cannot write the output: ${err.message}\n`));
    } catch {
      // The messages cannot be written either: the status says it.
    }
    process.exit(1);
  });
}

if (invokedAsScript()) {
  useCompileCache();
  watchOutput(process.stdout);
  // And with `2>&1 | head`, the messages go to the same closed pipe.
  watchOutput(process.stderr);
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        sanitizeOutbound(`auth-triage: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      process.exitCode = 1;
    },
  );
}
