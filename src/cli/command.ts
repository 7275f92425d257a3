/**
 * One CLI sub-command. Each lives in src/cli/commands/<name>.ts and is listed in main.ts; commands parse
 * their own flags (node:util parseArgs) and return an exit code instead of calling process.exit, so tests
 * can run them in-process.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  name: string;
  /** One line for the top-level --help. */
  summary: string;
  /** Full help text for `auth-triage <name> --help`. */
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** A usage or unreadable-input error: printed with what to fix, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** The state store could not be used (unreachable, refused, failed): the message names it. */
export const EXIT_STATE_STORE = 3;
