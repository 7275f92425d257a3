import type { StateSettings } from "../config/settings.js";

/**
 * Starts the dashboard over the local stack's state store, when this build has the dashboard module.
 * Returns undefined otherwise, so the local stack runs with or without it.
 */
export interface LocalDashboard {
  /** Base URL for incident links (incidentLink appends `/#/incidents/<id>`). */
  url: string;
  close(): Promise<void>;
}

export async function startLocalDashboard(
  _state: StateSettings,
  _port: number,
): Promise<LocalDashboard | undefined> {
  return undefined;
}
