import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze } from "../../src/engine/analyze.js";
import { incidentIdOf } from "../../src/model/incident.js";
import { SCENARIOS, generateScenario } from "../sim/scenarios.js";

const clock = fixedClock("2026-11-20T12:00:00Z");

/**
 * The engine wired to the real root-cause stage: every scenario's incidents name the change its story
 * is about (an AzureActivity operation, or a change seen in the logs) and flag clock skew exactly when
 * the story is one.
 */
describe("engine + root-cause stage on the scenarios", () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: causes and clock skew as the story says`, async () => {
      const data = generateScenario(s.name);
      const result = await analyze({
        requests: data.requests,
        activity: data.activity,
        explainer: createRootCauseExplainer({ clock }),
        clock,
        rejections: { count: 0, samples: [], reject() {} },
      });
      for (const truth of data.truth.incidents) {
        const inc = result.incidents.find((i) => i.id === incidentIdOf(truth.challenge))!;
        if (truth.clockSkew !== undefined) expect(inc.clockSkew.suspected).toBe(truth.clockSkew);
        if (truth.cause?.startsWith("logs:")) {
          if (!truth.clockSkew) expect(inc.changes[0]?.source).toBe("logs");
        } else if (truth.cause) {
          expect(inc.changes[0]?.operation).toBe(truth.cause);
        }
        // Routine portal listKeys is never presented as a cause.
        expect(inc.changes.some((c) => /listKeys/i.test(c.operation))).toBe(false);
      }
    });
  }

  it("story 5 (every call through one ingress fails): not clock skew, and the evidence says why; story 1 still is", async () => {
    const explain = async (name: string) => {
      const data = generateScenario(name);
      const result = await analyze({
        requests: data.requests,
        activity: data.activity,
        explainer: createRootCauseExplainer({ clock }),
        clock,
        rejections: { count: 0, samples: [], reject() {} },
      });
      return result.incidents.find((i) => i.id === incidentIdOf(data.truth.incidents[0]!.challenge))!;
    };
    const proxied = await explain("proxy-path-prefix");
    expect(proxied.changes[0]?.kind).toBe("gateway-changed");
    expect(proxied.clockSkew.suspected).toBe(false);
    expect(proxied.clockSkew.ruledOut?.join(" ")).toMatch(
      /fails from 10\.40\.0\.5 only .* explains one failing address better than clock skew/,
    );
    const drifting = await explain("clock-drift-one-host");
    expect(drifting.clockSkew.suspected).toBe(true);
    expect(drifting.clockSkew.evidence.join(" ")).toContain("fails from 10.20.1.14 only");
  });
});
