import { main } from "../../src/cli/main.js";
import type { AnalysisResult } from "../../src/engine/analyze.js";
import { captureIo } from "../cli/io.js";

/** `auth-triage analyze … --format json` run in-process through the CLI's main(). */
export async function analyzeJson(
  args: string[],
): Promise<{ code: number; result: AnalysisResult; stderr: string }> {
  const io = captureIo();
  const code = await main(["analyze", ...args, "--format", "json"], io);
  return { code, result: JSON.parse(io.out()) as AnalysisResult, stderr: io.err() };
}
