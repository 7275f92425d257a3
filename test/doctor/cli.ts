import { main } from "../../src/cli/main.js";
import { captureIo } from "../cli/io.js";

/** Runs the CLI in-process and collects what it prints. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  const io = captureIo();
  const code = await main(args, { ...io, env });
  return { code, stdout: io.out(), stderr: io.err() };
}
