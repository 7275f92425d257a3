import { createRequire } from "node:module";
import { expect } from "vitest";
import type { TeamsEnvelope } from "../../src/notify/teams-card.js";

const require = createRequire(import.meta.url);
// The package's lib/ is extension-less ESM that Node cannot load; the UMD bundle works without a DOM.
const AC = require("adaptivecards/dist/adaptivecards.js") as typeof import("adaptivecards");

/** Asserts the Workflows envelope shape, card version 1.4, zero parse/validation events and the size limit. */
export function expectValidTeamsMessage(envelope: unknown, maxBytes = 24 * 1024): void {
  const env = envelope as TeamsEnvelope;
  expect(env.type).toBe("message");
  expect(env.attachments).toHaveLength(1);
  const att = env.attachments[0]!;
  expect(att.contentType).toBe("application/vnd.microsoft.card.adaptive");
  expect(att.contentUrl).toBeNull();
  // adaptivecards does not flag a missing version; Teams mobile needs it.
  expect(att.content.version).toBe("1.4");
  expect(att.content.type).toBe("AdaptiveCard");
  const card = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext();
  ctx.targetVersion = AC.Versions.v1_4;
  card.parse(att.content, ctx);
  const events: string[] = [];
  for (let i = 0; i < ctx.eventCount; i++) {
    const e = ctx.getEventAt(i);
    events.push(`${e.event}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) events.push(`${e.event}: ${e.message}`);
  expect(events).toEqual([]);
  expect(Buffer.byteLength(JSON.stringify(envelope), "utf8")).toBeLessThanOrEqual(maxBytes);
}
