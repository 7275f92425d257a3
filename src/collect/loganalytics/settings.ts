import { z } from "zod";
import { parseSourceSettings } from "../settings-parse.js";

/** Logs API endpoint (with /v1: the SDK does not append it to a custom endpoint) and token scope per cloud. */
export const LOG_ANALYTICS_CLOUDS = {
  public: { endpoint: "https://api.loganalytics.io/v1", scope: "https://api.loganalytics.io/.default" },
  china: {
    endpoint: "https://api.loganalytics.azure.cn/v1",
    scope: "https://api.loganalytics.azure.cn/.default",
  },
  usgov: { endpoint: "https://api.loganalytics.us/v1", scope: "https://api.loganalytics.us/.default" },
} as const;

export type LogAnalyticsCloud = keyof typeof LOG_ANALYTICS_CLOUDS;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const LogAnalyticsSettingsSchema = z
  .object({
    /** Workspace ids (the workspace's "Workspace ID" GUID, not its resource id). */
    workspaceIds: z
      .array(
        z.string().trim().regex(GUID, "a workspace id is the workspace's GUID (Overview → Workspace ID)"),
      )
      .min(1, "give at least one Log Analytics workspace id"),
    cloud: z.enum(["public", "china", "usgov"]).default("public"),
    /** Overrides the cloud's endpoint, e.g. a private link or a test server. Must end with /v1. */
    endpoint: z
      .string()
      .url()
      .refine(
        (u) => /\/v1\/?$/.test(u),
        "the Logs API endpoint must end with /v1, e.g. https://api.loganalytics.azure.cn/v1",
      )
      .optional(),
    /** Overrides the token scope; the SDK's `audience` option is ignored, so this is how a sovereign cloud is reached. */
    scope: z.string().url().optional(),
    /** Sent as `Prefer: wait=N`; the service's maximum is 600. */
    serverTimeoutSeconds: z.number().int().min(1).max(600).default(180),
    /** Attempts per query on 429 and 5xx (the first try included). */
    maxAttempts: z.number().int().min(1).max(10).default(4),
    baseBackoffMs: z.number().int().min(0).max(60_000).default(1_000),
    maxBackoffMs: z.number().int().min(0).max(300_000).default(30_000),
    /** How often a truncated or timed-out window may be halved before giving up. */
    maxSplitDepth: z.number().int().min(0).max(16).default(6),
    /** AzureActivity is read this far before the first failure: changes precede the failures they cause. */
    activityLookbackMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 7)
      .default(120),
    /** Root-cause evidence (every request of the failing accounts) is read this far before the first failure. */
    evidenceLookbackMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 2)
      .default(120),
    /** Fetch root-cause evidence; off saves the scan of successful requests. */
    includeEvidence: z.boolean().default(true),
  })
  .strict();

export type LogAnalyticsSettings = z.output<typeof LogAnalyticsSettingsSchema>;
export type LogAnalyticsSettingsInput = z.input<typeof LogAnalyticsSettingsSchema>;

/** Validates settings; the error lists every field to fix. */
export function parseLogAnalyticsSettings(input: unknown): LogAnalyticsSettings {
  return parseSourceSettings(LogAnalyticsSettingsSchema, input, "Log Analytics");
}

export function endpointAndScope(s: LogAnalyticsSettings): { endpoint: string; scope: string } {
  const cloud = LOG_ANALYTICS_CLOUDS[s.cloud];
  return { endpoint: s.endpoint ?? cloud.endpoint, scope: s.scope ?? cloud.scope };
}
