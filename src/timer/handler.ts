import type { InvocationContext, Timer } from "@azure/functions";
import { systemClock } from "../clock.js";
import type { CycleReport } from "./cycle.js";

/**
 * The Azure Functions timer handler. Deliberately tiny and import-light: everything else (settings,
 * SDKs, the engine) is loaded on the first invocation, not when the worker indexes the app.
 */
export async function triageTimerHandler(timer: Timer, context: InvocationContext): Promise<CycleReport> {
  const { runTimerInvocation, logInputHealth } = await import("./runtime.js");
  const log = (level: "info" | "warn" | "error", message: string) =>
    level === "error"
      ? context.error(message)
      : level === "warn"
        ? context.warn(message)
        : context.log(message);
  try {
    const report = await runTimerInvocation({
      env: process.env,
      clock: systemClock,
      isPastDue: timer.isPastDue,
      log,
    });
    logInputHealth(report, log);
    return report;
  } catch (err) {
    // Said once in the invocation log, then rethrown so the host records the run as failed.
    const { sanitizeOutbound } = await import("../redact.js");
    context.error(sanitizeOutbound(`triage run failed: ${err instanceof Error ? err.message : String(err)}`));
    throw err;
  }
}
