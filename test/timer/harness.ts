import { fixedClock } from "../../src/clock.js";
import type { TriageStore } from "../../src/state/store.js";
import type { CycleReport } from "../../src/timer/cycle.js";
import { runTimerInvocation, type InvocationRequest } from "../../src/timer/runtime.js";
import type { TimelineSource } from "./fixture-source.js";
import { startReceiver, type Receiver } from "./receiver.js";

/**
 * The timer's core (the function the Azure handler and run-once both call) over a timeline source, a
 * memory store and real HTTP receivers with scripted faults.
 */
const WORKSPACE = "11111111-2222-3333-4444-555555555555";

export interface Harness {
  teams: Receiver;
  hook: Receiver;
  store: TriageStore;
  source: TimelineSource;
  sleeps: number[];
  run(
    nowIso: string,
    extra?: Partial<InvocationRequest["overrides"]>,
    env?: Record<string, string>,
  ): Promise<CycleReport>;
  logs: string[];
}

export async function harness(
  store: TriageStore,
  source: TimelineSource,
  teamsUrl?: string,
): Promise<Harness> {
  const teams = await startReceiver(
    0,
    "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET123",
  );
  const hook = await startReceiver(0, "/hook?code=SECRET456");
  const sleeps: number[] = [];
  const logs: string[] = [];
  const h: Harness = {
    teams,
    hook,
    store,
    source,
    sleeps,
    logs,
    run: (nowIso, extra = {}, env = {}) =>
      runTimerInvocation({
        env: {
          TRIAGE_WORKSPACE_IDS: WORKSPACE,
          TRIAGE_TEAMS_WEBHOOK_URL: teamsUrl ?? teams.url,
          TRIAGE_WEBHOOK_URL: hook.url,
          TRIAGE_STATE: "memory",
          TRIAGE_DASHBOARD_URL: "http://127.0.0.1:8080/dashboard",
          ...env,
        },
        clock: fixedClock(nowIso),
        isPastDue: false,
        log: (level, m) => logs.push(`${level}: ${m}`),
        overrides: {
          source,
          store,
          timeoutMs: 1_000,
          retry: {
            sleep: async (ms) => {
              sleeps.push(ms);
            },
            random: () => 0.5,
          },
          ...extra,
        },
      }),
  };
  return h;
}
