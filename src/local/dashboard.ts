import type { StateSettings } from "../config/settings.js";
import type { IncidentReader } from "../state/contracts.js";

/**
 * Starts the dashboard (src/dashboard/server.ts, its own module) on 127.0.0.1 over the local stack's
 * state store. The module is looked up at run time, so the local stack also runs in a build without it;
 * then this returns undefined and cards carry no dashboard link.
 */
export interface LocalDashboard {
  /** Base URL for incident links (incidentLink appends `/#/incidents/<id>`). */
  url: string;
  close(): Promise<void>;
}

interface DashboardModule {
  startDashboardServer(options: { reader: IncidentReader; host: "127.0.0.1"; port: number }): Promise<{
    url: string;
    close(): Promise<void>;
  }>;
}

const DASHBOARD_MODULE = "../dashboard/server.js";

export async function startLocalDashboard(
  state: StateSettings,
  port: number,
): Promise<LocalDashboard | undefined> {
  let mod: Partial<DashboardModule> | undefined;
  try {
    mod = (await import(/* @vite-ignore */ DASHBOARD_MODULE)) as Partial<DashboardModule>;
  } catch {
    return undefined;
  }
  if (typeof mod.startDashboardServer !== "function") return undefined;
  const { openTriageStore } = await import("../timer/runtime.js");
  const reader = await openTriageStore(state);
  const server = await mod.startDashboardServer({ reader, host: "127.0.0.1", port });
  return { url: server.url, close: () => server.close() };
}
