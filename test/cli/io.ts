import { Writable } from "node:stream";
import type { CliIo } from "../../src/cli/command.js";

/** A CliIo whose stdout and stderr are captured in memory, for running main() in-process. */
export function captureIo(opts: { stderrIsTTY?: boolean } = {}): CliIo & { out(): string; err(): string } {
  const sink = () => {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        cb();
      },
    });
    return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
  };
  const out = sink();
  const err = sink();
  const stderr = err.stream as Writable & { isTTY?: boolean };
  if (opts.stderrIsTTY) stderr.isTTY = true;
  return { stdout: out.stream, stderr, env: {}, out: out.text, err: err.text };
}
