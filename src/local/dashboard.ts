import type { StateSettings } from "../config/settings.js";

/**
 * Starts the dashboard (src/dashboard/server.ts) on 127.0.0.1 over the local stack's state store, so the
 * page shows what the replayed timer cycles decided and the cards' links open it.
 */
export interface LocalDashboard {
  /** Base URL for incident links (incidentLink appends `/#/incidents/<id>`). */
  url: string;
  close(): Promise<void>;
}

export async function startLocalDashboard(state: StateSettings, port: number): Promise<LocalDashboard> {
  const [{ startDashboardServer }, { openTriageStore }] = await Promise.all([
    import("../dashboard/server.js"),
    import("../timer/runtime.js"),
  ]);
  const reader = await openTriageStore(state);
  const server = await startDashboardServer({ reader, host: "127.0.0.1", port });
  return { url: server.url, close: () => server.close() };
}
