import { startDashboardServer, type DashboardServer } from "../../src/dashboard/server.js";
import type { IncidentRecord } from "../../src/state/contracts.js";
import { FixtureIncidentReader } from "./incident-fixtures.js";

/** The dashboard on a free loopback port, serving `records` through the fixture reader. */
export function serveFixtures(records: IncidentRecord[]): Promise<DashboardServer> {
  return startDashboardServer({ reader: new FixtureIncidentReader(records), host: "127.0.0.1", port: 0 });
}
