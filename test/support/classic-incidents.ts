import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixedClock } from "../../src/clock.js";
import { readStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze } from "../../src/engine/analyze.js";
import type { Incident } from "../../src/model/incident.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { storageRequestsToClassicLog } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";

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
    const clock = fixedClock("2026-11-20T12:00:00Z");
    const result = await analyze({
      requests,
      activity: data.activity,
      clock,
      explainer: createRootCauseExplainer({ clock }),
      rejections: { count: 0, samples: [], reject() {} },
    });
    return result.incidents;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
