import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import type { Incident } from "../../src/model/incident.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { storageRequestsToClassicLog } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { analyzedIncidents } from "./analyzed-incidents.js";

/**
 * The simulator's stories as classic 2.0 `$logs` lines, read back by the real reader and analysed: the
 * incidents a classic status cannot decide carry `ambiguous` (and the others do not), as in production.
 */
export async function classicIncidents(): Promise<Incident[]> {
  const data = generateAll({ seed: 21 });
  const dir = await mkdtemp(join(tmpdir(), "classic-incidents-"));
  try {
    const file = join(dir, "000001.log");
    await writeFile(file, storageRequestsToClassicLog(data.requests, { version: "2.0" }));
    const rejections = new RejectionCollector();
    const requests: StorageRequest[] = [];
    for await (const r of readStorageRequests([file], { rejections })) requests.push(r);
    if (rejections.count > 0) throw new Error(`${rejections.count} classic lines rejected`);
    return await analyzedIncidents({ requests, activity: data.activity });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
