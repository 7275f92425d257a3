import { it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze } from "../../src/engine/analyze.js";
import { generateScenario } from "../sim/scenarios.js";
import { toClassicLine } from "../sim/forms.js";
import { storageRequestFromClassicFields, splitClassicLine } from "../../src/collect/classic-log.js";
const clock = fixedClock("2026-11-20T12:00:00Z");
it("debug", async () => {
  for (const name of ["firewall-change", "key-rotation-stale-secret"]) {
  const s = generateScenario(name);
  const requests = s.requests.map((r) => storageRequestFromClassicFields(splitClassicLine(toClassicLine(r, "2.0")) as string[], { file: "x", line: 1 }, { reject() {} })!);
  for (const variant of [requests, s.requests.map(r => ({...r, authHash: undefined}))]) {
  const result = await analyze({ requests: variant, activity: s.activity, explainer: createRootCauseExplainer({ clock }), clock, rejections: { count: 0, samples: [], reject() {} } });
  for (const i of result.incidents) console.log(name, i.errorCode, i.authType, i.changes.map((c) => c.operation + " " + c.score), i.clockSkew.suspected);
  }
  }
});
