import { Writable } from "node:stream";
import { main } from "../../src/cli/main.js";

/** Runs the CLI in-process and collects what it prints. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env,
  });
  return { code, stdout, stderr };
}
