import { z } from "zod";

/** Settings of the root-cause stage (validated with zod: they come from config files and the CLI). */

const MINUTE = 60_000;

const callerAppSchema = z.object({
  resourceId: z
    .string()
    .min(1)
    .startsWith("/subscriptions/", { message: "must be an ARM resource id starting with /subscriptions/" }),
  accounts: z.array(z.string().min(1)).optional(),
  callerIps: z.array(z.string().min(1)).optional(),
  principalIds: z.array(z.string().min(1)).optional(),
});

export const rootCauseSettingsSchema = z
  .object({
    /** How far before onset a change may be (default 2 h; reference §7 advises 1–2 h). */
    lookbackMs: z
      .number()
      .int()
      .positive()
      .default(120 * MINUTE),
    /** Closeness half-life: a change this long before onset gets half the time bonus. */
    halfLifeMs: z
      .number()
      .int()
      .positive()
      .default(20 * MINUTE),
    /** A change whose start is at most this much after onset still counts (event times vs effect). */
    onsetToleranceMs: z.number().int().nonnegative().default(MINUTE),
    /** Candidates scoring below this are not presented. */
    minScore: z.number().min(0).max(1).default(0.2),
    maxCandidates: z.number().int().positive().default(5),
    /** RBAC propagation: failures start at most this long after the assignment… */
    propagationOnsetMs: z
      .number()
      .int()
      .positive()
      .default(30 * MINUTE),
    /** …and stop at most this long after it (docs: up to 30 min, longer at group/subscription scope)… */
    propagationMaxMs: z
      .number()
      .int()
      .positive()
      .default(60 * MINUTE),
    /** …with no failure in the last this-long of the window. */
    quietMs: z
      .number()
      .int()
      .positive()
      .default(10 * MINUTE),
    /** Known callers' apps (Function/Web apps, gateways) so their changes count as "the calling app". */
    apps: z.array(callerAppSchema).default([]),
    /** Account name → ARM resource id, when the logs do not carry `_ResourceId`. */
    accountResourceIds: z.record(z.string(), z.string()).default({}),
    /** SAS `st` at most this far ahead of the request is clock skew; further ahead is a deliberate future start. */
    skewMaxStartLeadMs: z
      .number()
      .int()
      .positive()
      .default(60 * MINUTE),
    /** A SAS expired by more than this is plainly expired, not skew. */
    plainlyExpiredMs: z
      .number()
      .int()
      .positive()
      .default(15 * MINUTE),
    /** An idle gap this long before a caller's first failure counts as "burst after idle". */
    idleGapMs: z
      .number()
      .int()
      .positive()
      .default(30 * MINUTE),
    /** Logs changes: the share of the incident's failures that must come from changed callers. */
    minChangedShare: z.number().min(0).max(1).default(0.25),
  })
  .strict();

export type RootCauseSettings = z.output<typeof rootCauseSettingsSchema>;
export type RootCauseSettingsInput = z.input<typeof rootCauseSettingsSchema>;

/** Validates settings; the error names the offending field. */
export function parseRootCauseSettings(input: unknown = {}): RootCauseSettings {
  const res = rootCauseSettingsSchema.safeParse(input ?? {});
  if (!res.success) {
    const issue = res.error.issues[0]!;
    throw new Error(`root-cause settings: field ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return res.data;
}
