import { z } from "zod";
import type { Incident } from "../model/incident.js";

/**
 * Silences: mute notifications for incidents that match every given matcher until `expiresAt`. Matchers
 * compare case-insensitively; `*` in a value matches any run of characters. `caller` matches any of the
 * incident's callers by IP, user agent, requester object id or UPN. Silenced incidents are still tracked
 * and shown on the dashboard; they are just not announced.
 */
export const silenceSchema = z
  .object({
    id: z.string().min(1, 'give each silence an id, e.g. "maint-2026-11"'),
    matchers: z
      .object({
        account: z.string().min(1).optional(),
        errorCode: z.string().min(1).optional(),
        authType: z.string().min(1).optional(),
        caller: z.string().min(1).optional(),
      })
      .strict()
      .refine((m) => Object.values(m).some((v) => v !== undefined), {
        message: "a silence needs at least one matcher (account, errorCode, authType or caller)",
      }),
    expiresAt: z.iso.datetime({
      offset: true,
      message: "expiresAt must be an ISO 8601 time such as 2026-12-01T00:00:00Z",
    }),
    /** Optional start: the silence is inactive before it. */
    startsAt: z.iso.datetime({ offset: true }).optional(),
    comment: z.string().optional(),
    createdBy: z.string().optional(),
  })
  .strict();

export type Silence = z.infer<typeof silenceSchema>;
export const silencesSchema = z.array(silenceSchema);

function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .split("*")
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*") +
      "$",
    "i",
  );
  return re.test(value);
}

export function silenceIsActive(s: Silence, now: Date): boolean {
  const t = now.getTime();
  if (s.startsAt && Date.parse(s.startsAt) > t) return false;
  return Date.parse(s.expiresAt) > t;
}

export function silenceMatches(s: Silence, incident: Incident): boolean {
  const m = s.matchers;
  if (m.account !== undefined && !globMatches(m.account, incident.account)) return false;
  if (m.errorCode !== undefined && !globMatches(m.errorCode, incident.errorCode)) return false;
  if (m.authType !== undefined && !globMatches(m.authType, incident.authType)) return false;
  if (m.caller !== undefined) {
    const pattern = m.caller;
    const hit = incident.callers.some((c) =>
      [c.ip, c.userAgent, c.requesterObjectId, c.requesterUpn].some(
        (v) => v !== undefined && globMatches(pattern, v),
      ),
    );
    if (!hit) return false;
  }
  return true;
}

/** The first active silence matching the incident, if any. */
export function activeSilenceFor(
  silences: readonly Silence[],
  incident: Incident,
  now: Date,
): Silence | undefined {
  return silences.find((s) => silenceIsActive(s, now) && silenceMatches(s, incident));
}
