import { z } from "zod";
import { describeSecretUrl } from "../redact.js";
import { silencesSchema, type Silence } from "../silence/silence.js";
import { formatDuration, parseDuration } from "./duration.js";
import { DEFAULT_SCHEDULE, ncrontabProblem } from "./ncrontab.js";

/**
 * Every setting of the timer, read from app settings (environment variables) and validated once at start.
 * A bad value fails the run with one message per problem naming the setting and how to fix it; secret
 * values (webhook URLs, connection strings) never appear in those messages.
 */

/** App-setting names, in one place so docs/timer.md and the Bicep stay in step. */
export const SETTING = {
  workspaces: "TRIAGE_WORKSPACE_IDS",
  archiveAccountUrl: "TRIAGE_ARCHIVE_ACCOUNT_URL",
  archiveConnectionString: "TRIAGE_ARCHIVE_CONNECTION_STRING",
  classicAccountUrls: "TRIAGE_CLASSIC_ACCOUNT_URLS",
  classicConnectionString: "TRIAGE_CLASSIC_CONNECTION_STRING",
  logAnalyticsCloud: "TRIAGE_LOG_ANALYTICS_CLOUD",
  logAnalyticsEndpoint: "TRIAGE_LOG_ANALYTICS_ENDPOINT",
  logs: "TRIAGE_LOGS",
  activity: "TRIAGE_ACTIVITY",
  schedule: "TRIAGE_SCHEDULE",
  teamsWebhookUrl: "TRIAGE_TEAMS_WEBHOOK_URL",
  webhookUrl: "TRIAGE_WEBHOOK_URL",
  openThreshold: "TRIAGE_OPEN_THRESHOLD",
  lookback: "TRIAGE_LOOKBACK",
  maxCatchUp: "TRIAGE_MAX_CATCH_UP",
  repeatInterval: "TRIAGE_REPEAT_INTERVAL",
  resolveAfter: "TRIAGE_RESOLVE_AFTER",
  rateGrowthFactor: "TRIAGE_RATE_GROWTH_FACTOR",
  silences: "TRIAGE_SILENCES",
  dashboardUrl: "TRIAGE_DASHBOARD_URL",
  state: "TRIAGE_STATE",
  stateConnectionString: "TRIAGE_STATE_CONNECTION_STRING",
  stateTableEndpoint: "TRIAGE_STATE_TABLE_ENDPOINT",
  stateTablePrefix: "TRIAGE_STATE_TABLE_PREFIX",
  appInsights: "APPLICATIONINSIGHTS_CONNECTION_STRING",
  appInsightsAuth: "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
  hostStorage: "AzureWebJobsStorage",
  hostStorageAccountName: "AzureWebJobsStorage__accountName",
  hostStorageTableUri: "AzureWebJobsStorage__tableServiceUri",
  monitorEndpoint: "TRIAGE_MONITOR_ENDPOINT",
  monitorRuleId: "TRIAGE_MONITOR_RULE_ID",
  monitorStream: "TRIAGE_MONITOR_STREAM",
  expectedAccounts: "TRIAGE_EXPECTED_ACCOUNTS",
} as const;

export const DEFAULTS = {
  schedule: DEFAULT_SCHEDULE,
  openThreshold: 5,
  lookbackMs: 30 * 60_000,
  maxCatchUpMs: 24 * 3_600_000,
  repeatIntervalMs: 4 * 3_600_000,
  resolveAfterMs: 30 * 60_000,
  rateGrowthFactor: 2,
  stateTablePrefix: "triage",
} as const;

export type SourceSettings =
  | { kind: "workspaces"; workspaceIds: string[]; cloud: "public" | "china" | "usgov"; endpoint?: string }
  /** The archive account by blob endpoint (managed identity) or, for Azurite and local use, a connection string. */
  | { kind: "archive"; accountUrl: string; connectionString?: string }
  /** Accounts whose classic `$logs` are read, by blob endpoint (managed identity) or, locally, a connection string. */
  | { kind: "classic"; accountUrls: string[]; connectionString?: string }
  /** Local files: the CLI's run-once/local stack and tests. */
  | { kind: "files"; logs: string[]; activity: string[] };

export type StateSettings =
  | { kind: "memory" }
  | { kind: "connection-string"; connectionString: string; tablePrefix: string }
  | { kind: "managed-identity"; tableEndpoint: string; tablePrefix: string };

export interface TriageSettings {
  source: SourceSettings;
  schedule: string;
  /** Teams Workflows trigger URL (secret). */
  teamsWebhookUrl?: string;
  /** Generic JSON webhook (secret). */
  webhookUrl?: string;
  /** Failures of one challenge within the window needed to open an incident. */
  openThreshold: number;
  lookbackMs: number;
  /** How far back a run reaches after missed runs (from the watermark), at most. */
  maxCatchUpMs: number;
  repeatIntervalMs: number;
  resolveAfterMs: number;
  rateGrowthFactor: number;
  silences: Silence[];
  dashboardUrl?: string;
  state: StateSettings;
  appInsightsConnectionString?: string;
  /** Entra ID ingestion (App Insights with local auth disabled): the managed identity to use. */
  appInsightsEntra?: { clientId?: string };
  /** Incidents into an Azure Monitor custom table through the Logs Ingestion API (src/monitor/). */
  monitor?: MonitorSettings;
  /** Storage accounts whose logs the deployment switched on; one with no rows is reported (input-health). */
  expectedAccounts?: string[];
}

export interface MonitorSettings {
  /** Logs ingestion endpoint of the data collection endpoint (https). */
  endpoint: string;
  /** Immutable id of the data collection rule (dcr-…). */
  ruleId: string;
  /** Stream declared in the rule (Custom-…). */
  stream: string;
}

export class SettingsError extends Error {
  override name = "SettingsError";
  constructor(readonly problems: string[]) {
    super(`Invalid settings (fix these app settings and restart):\n  - ${problems.join("\n  - ")}`);
  }
}

const LEGACY_TEAMS_HOST = /(^|\.)webhook\.office\.com$|(^|\.)outlook\.office(365)?\.com$/i;
const WORKFLOWS_HOST =
  /(^|\.)logic\.azure\.(com|us|cn)$|(^|\.)api\.powerplatform\.(com|us|cn)$|(^|\.)powerautomate\.(com|us|cn)$|(^|\.)flow\.microsoft\.com$/i;

function isLoopback(u: URL): boolean {
  return u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
}

/** Why a Teams URL is unusable, or undefined. Loopback http is allowed for the local stack and tests. */
export function teamsWebhookProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${SETTING.teamsWebhookUrl} is not a URL`;
  }
  if (LEGACY_TEAMS_HOST.test(u.hostname)) {
    return (
      `${SETTING.teamsWebhookUrl} points at a retired Office 365 connector (${u.hostname}); those URLs no longer ` +
      `deliver. In Teams, add the Workflows template "Send webhook alerts to a channel" (trigger "When a Teams ` +
      `webhook request is received") and use the URL it gives you`
    );
  }
  if (isLoopback(u)) return undefined;
  if (u.protocol !== "https:") return `${SETTING.teamsWebhookUrl} must use https (${describeSecretUrl(url)})`;
  if (!WORKFLOWS_HOST.test(u.hostname) || !/\/workflows\//i.test(u.pathname)) {
    return (
      `${SETTING.teamsWebhookUrl} is not a Teams Workflows trigger URL (${describeSecretUrl(url)}); expected ` +
      `https://…environment.api.powerplatform.com/powerautomate/automations/direct/workflows/… or ` +
      `https://prod-NN.<region>.logic.azure.com/workflows/…`
    );
  }
  return undefined;
}

function webhookProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${SETTING.webhookUrl} is not a URL`;
  }
  if (isLoopback(u)) return undefined;
  if (u.protocol !== "https:") return `${SETTING.webhookUrl} must use https (${describeSecretUrl(url)})`;
  return undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function list(v: string | undefined): string[] {
  return (v ?? "")
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

const envSchema = z.record(z.string(), z.string().optional());

const scheduleSchema = z.string().superRefine((v, ctx) => {
  const problem = ncrontabProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

function failureCountSchema(fallback: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, {
      error: (i) => `'${String(i.input)}' must be a whole number of failures ≥ 1 (default ${fallback})`,
    })
    .transform(Number)
    .refine((n) => n >= 1, {
      error: (i) => `'${String(i.input)}' must be a whole number of failures ≥ 1 (default ${fallback})`,
    });
}

function durationSchema(fallback: number, minMs: number, maxMs = Infinity) {
  return z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `'${v}' is not a duration; write e.g. 30m, 4h, 1d or PT30M (default ${formatDuration(fallback)})`,
      });
      return z.NEVER;
    }
    if (ms < minMs) {
      ctx.addIssue({ code: "custom", message: `${v} is shorter than the minimum ${formatDuration(minMs)}` });
      return z.NEVER;
    }
    if (ms > maxMs) {
      ctx.addIssue({
        code: "custom",
        message: `${v} is longer than the maximum ${formatDuration(maxMs)} (incident histories keep 48 hours)`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

const growthFactorSchema = z.string().transform((v, ctx) => {
  const f = Number(v);
  if (v.trim() === "" || !Number.isFinite(f) || f <= 1) {
    ctx.addIssue({
      code: "custom",
      message: `'${v}' must be a number above 1, e.g. 2 for "notify again when the rate doubles"`,
    });
    return z.NEVER;
  }
  return f;
});

/**
 * Reads and validates settings from an environment (process.env in Azure; the CLI merges its flags in).
 * Throws SettingsError listing every problem at once.
 */
export function loadSettings(rawEnv: Record<string, string | undefined>): TriageSettings {
  // process.env is an exotic object: validate a plain copy.
  const env = envSchema.parse({ ...rawEnv });
  const problems: string[] = [];
  const get = (k: string): string | undefined => {
    const v = env[k]?.trim();
    return v === "" ? undefined : v;
  };

  // Source: exactly one.
  const workspaceIds = list(get(SETTING.workspaces));
  const archive = get(SETTING.archiveAccountUrl);
  const archiveConnection = get(SETTING.archiveConnectionString);
  const logs = list(get(SETTING.logs));
  const activity = list(get(SETTING.activity));
  const sources: SourceSettings[] = [];
  if (workspaceIds.length > 0) {
    const bad = workspaceIds.filter((w) => !GUID.test(w));
    if (bad.length > 0) {
      problems.push(
        `${SETTING.workspaces}: '${bad.join("', '")}' is not a Log Analytics workspace id (the workspace's Workspace ID GUID, not its name or resource id)`,
      );
    }
    const cloud = (get(SETTING.logAnalyticsCloud) ?? "public").toLowerCase();
    if (cloud !== "public" && cloud !== "china" && cloud !== "usgov") {
      problems.push(`${SETTING.logAnalyticsCloud}: '${cloud}' must be public, china or usgov`);
    }
    const endpoint = get(SETTING.logAnalyticsEndpoint);
    if (
      endpoint !== undefined &&
      !/^https:\/\/.+\/v1\/?$/.test(endpoint) &&
      !/^https:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint)
    ) {
      problems.push(
        `${SETTING.logAnalyticsEndpoint}: the Logs API endpoint must be https and end with /v1, e.g. https://api.loganalytics.azure.cn/v1`,
      );
    }
    const ws: SourceSettings = {
      kind: "workspaces",
      workspaceIds,
      cloud: cloud as "public" | "china" | "usgov",
    };
    if (endpoint !== undefined) ws.endpoint = endpoint;
    sources.push(ws);
  }
  if (archiveConnection !== undefined && archive === undefined) {
    if (!/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)=/i.test(archiveConnection)) {
      problems.push(
        `${SETTING.archiveConnectionString}: not a storage connection string (needs AccountName=… or BlobEndpoint=…)`,
      );
    }
    sources.push({ kind: "archive", accountUrl: "(connection string)", connectionString: archiveConnection });
  }
  if (archive !== undefined) {
    try {
      const u = new URL(archive);
      if (u.protocol !== "https:" && !isLoopback(u)) throw new Error();
      if (u.search !== "") {
        problems.push(
          `${SETTING.archiveAccountUrl}: give the account's blob endpoint without a query (no SAS); access uses the managed identity`,
        );
      }
    } catch {
      problems.push(
        `${SETTING.archiveAccountUrl}: expected the archive account's blob endpoint, e.g. https://myarchive.blob.core.windows.net`,
      );
    }
    sources.push({ kind: "archive", accountUrl: archive.replace(/\/+$/, "") });
  }
  const classicUrls = list(get(SETTING.classicAccountUrls));
  const classicConnection = get(SETTING.classicConnectionString);
  if (classicUrls.length > 0 || classicConnection !== undefined) {
    for (const url of classicUrls) {
      try {
        const u = new URL(url);
        if (u.protocol !== "https:" && !isLoopback(u)) throw new Error();
        if (u.search !== "")
          problems.push(
            `${SETTING.classicAccountUrls}: give each account's blob endpoint without a query (no SAS); access uses the managed identity`,
          );
      } catch {
        problems.push(
          `${SETTING.classicAccountUrls}: expected blob endpoints of the logged accounts, comma-separated, e.g. https://contoso.blob.core.windows.net`,
        );
      }
    }
    if (
      classicConnection !== undefined &&
      !/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)=/i.test(classicConnection)
    )
      problems.push(
        `${SETTING.classicConnectionString}: not a storage connection string (needs AccountName=… or BlobEndpoint=…)`,
      );
    const classic: SourceSettings = {
      kind: "classic",
      accountUrls: classicUrls.map((u) => u.replace(/\/+$/, "")),
    };
    if (classicConnection !== undefined) classic.connectionString = classicConnection;
    sources.push(classic);
  }
  if (logs.length > 0) sources.push({ kind: "files", logs, activity });
  else if (activity.length > 0)
    problems.push(`${SETTING.activity} is set but ${SETTING.logs} is not: give the log files too`);
  if (sources.length === 0) {
    problems.push(
      `no log source: set ${SETTING.workspaces} (Log Analytics workspace ids, comma-separated), ${SETTING.archiveAccountUrl} (archive storage account blob endpoint) or ${SETTING.classicAccountUrls} (accounts with classic $logs, comma-separated)`,
    );
  } else if (sources.length > 1) {
    problems.push(
      `more than one log source (${sources.map((s) => s.kind).join(", ")}): set only one of ${SETTING.workspaces}, ${SETTING.archiveAccountUrl}, ${SETTING.classicAccountUrls}, ${SETTING.logs}`,
    );
  }

  const schedule = get(SETTING.schedule) ?? DEFAULTS.schedule;
  const scheduleCheck = scheduleSchema.safeParse(schedule);
  if (!scheduleCheck.success) problems.push(`${SETTING.schedule}: ${scheduleCheck.error.issues[0]?.message}`);

  const teamsWebhookUrl = get(SETTING.teamsWebhookUrl);
  if (teamsWebhookUrl !== undefined) {
    const p = teamsWebhookProblem(teamsWebhookUrl);
    if (p) problems.push(p);
  }
  const webhookUrl = get(SETTING.webhookUrl);
  if (webhookUrl !== undefined) {
    const p = webhookProblem(webhookUrl);
    if (p) problems.push(p);
  }
  if (
    teamsWebhookUrl === undefined &&
    webhookUrl === undefined &&
    get(SETTING.monitorEndpoint) === undefined
  ) {
    problems.push(
      `no notification destination: set ${SETTING.teamsWebhookUrl} (a Teams Workflows trigger URL) and/or ${SETTING.webhookUrl} (a generic JSON webhook) and/or ${SETTING.monitorEndpoint} with its rule and stream (Azure Monitor)`,
    );
  }

  /** Parses one setting with its zod schema; a failure is recorded as "<SETTING>: <what to fix>". */
  const read = <T>(key: string, schema: z.ZodType<T>, fallback: T): T => {
    const v = get(key);
    if (v === undefined) return fallback;
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    problems.push(`${key}: ${r.error.issues[0]?.message ?? "invalid value"}`);
    return fallback;
  };

  const openThreshold = read(
    SETTING.openThreshold,
    failureCountSchema(DEFAULTS.openThreshold),
    DEFAULTS.openThreshold,
  );
  const lookbackMs = read(
    SETTING.lookback,
    durationSchema(DEFAULTS.lookbackMs, 60_000, 2 * 86_400_000),
    DEFAULTS.lookbackMs,
  );
  const maxCatchUpMs = read(
    SETTING.maxCatchUp,
    durationSchema(DEFAULTS.maxCatchUpMs, 60_000),
    DEFAULTS.maxCatchUpMs,
  );
  const repeatIntervalMs = read(
    SETTING.repeatInterval,
    durationSchema(DEFAULTS.repeatIntervalMs, 60_000),
    DEFAULTS.repeatIntervalMs,
  );
  const resolveAfterMs = read(
    SETTING.resolveAfter,
    durationSchema(DEFAULTS.resolveAfterMs, 60_000),
    DEFAULTS.resolveAfterMs,
  );
  if (maxCatchUpMs < lookbackMs) problems.push(`${SETTING.maxCatchUp} must be at least ${SETTING.lookback}`);
  const rateGrowthFactor = read(SETTING.rateGrowthFactor, growthFactorSchema, DEFAULTS.rateGrowthFactor);

  let silences: Silence[] = [];
  const silencesText = get(SETTING.silences);
  if (silencesText !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(silencesText);
    } catch (err) {
      problems.push(
        `${SETTING.silences}: not valid JSON (${(err as Error).message}); expected an array of silences`,
      );
    }
    if (json !== undefined) {
      const parsed = silencesSchema.safeParse(json);
      if (parsed.success) silences = parsed.data;
      else {
        for (const issue of parsed.error.issues) {
          problems.push(`${SETTING.silences}[${issue.path.join(".")}]: ${issue.message}`);
        }
      }
    }
  }

  const dashboardUrl = get(SETTING.dashboardUrl);
  if (dashboardUrl !== undefined) {
    try {
      const u = new URL(dashboardUrl);
      if (u.protocol !== "https:" && !isLoopback(u)) problems.push(`${SETTING.dashboardUrl} must use https`);
    } catch {
      problems.push(
        `${SETTING.dashboardUrl}: '${dashboardUrl}' is not a URL (the dashboard's base address, e.g. https://myapp.azurewebsites.net/api/dashboard)`,
      );
    }
  }

  const state = stateSettingsFrom(get, problems);
  const monitor = monitorSettingsFrom(get, problems);
  const expectedAccounts = list(get(SETTING.expectedAccounts));
  const badAccounts = expectedAccounts.filter((a) => !/^[a-z0-9]{3,24}$/.test(a));
  if (badAccounts.length > 0) {
    problems.push(
      `${SETTING.expectedAccounts}: '${badAccounts.join("', '")}' is not a storage account name (3-24 lowercase letters and digits)`,
    );
  }

  const settings: TriageSettings = {
    source: sources[0] ?? { kind: "files", logs: [], activity: [] },
    schedule,
    openThreshold,
    lookbackMs,
    maxCatchUpMs,
    repeatIntervalMs,
    resolveAfterMs,
    rateGrowthFactor,
    silences,
    state,
  };
  if (teamsWebhookUrl !== undefined) settings.teamsWebhookUrl = teamsWebhookUrl;
  if (monitor) settings.monitor = monitor;
  if (expectedAccounts.length > 0) settings.expectedAccounts = expectedAccounts;
  if (webhookUrl !== undefined) settings.webhookUrl = webhookUrl;
  if (dashboardUrl !== undefined) settings.dashboardUrl = dashboardUrl.replace(/\/+$/, "");
  const ai = get(SETTING.appInsights);
  if (ai !== undefined) {
    if (!/InstrumentationKey=|IngestionEndpoint=/i.test(ai)) {
      problems.push(
        `${SETTING.appInsights}: not an Application Insights connection string (copy it from the resource's Overview page)`,
      );
    } else settings.appInsightsConnectionString = ai;
  }
  const aiAuth = get(SETTING.appInsightsAuth);
  if (aiAuth !== undefined) {
    // "Authorization=AAD;ClientId=<user-assigned identity client id>" (ClientId absent: system-assigned).
    const fields = new Map(
      aiAuth.split(";").flatMap((kv) => {
        const i = kv.indexOf("=");
        return i > 0 ? [[kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()] as const] : [];
      }),
    );
    if (fields.get("authorization")?.toUpperCase() !== "AAD") {
      problems.push(
        `${SETTING.appInsightsAuth}: expected "Authorization=AAD" or "Authorization=AAD;ClientId=<identity client id>"`,
      );
    } else {
      const clientId = fields.get("clientid");
      settings.appInsightsEntra = clientId ? { clientId } : {};
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/**
 * Only the state store's settings: what readers of the state (the dashboard functions) need, so they do
 * not fail on a missing webhook or source setting that only the timer uses.
 */
export function loadStateSettings(rawEnv: Record<string, string | undefined>): StateSettings {
  const env = envSchema.parse({ ...rawEnv });
  const get = (k: string): string | undefined => {
    const v = env[k]?.trim();
    return v === "" ? undefined : v;
  };
  const problems: string[] = [];
  const state = stateSettingsFrom(get, problems);
  if (problems.length > 0) throw new SettingsError(problems);
  return state;
}

function stateSettingsFrom(get: (k: string) => string | undefined, problems: string[]): StateSettings {
  const tablePrefix = get(SETTING.stateTablePrefix) ?? DEFAULTS.stateTablePrefix;
  if (!/^[A-Za-z][A-Za-z0-9]{2,40}$/.test(tablePrefix)) {
    problems.push(
      `${SETTING.stateTablePrefix}: '${tablePrefix}' must be 3–41 letters and digits, starting with a letter (Table names allow nothing else)`,
    );
  }
  return stateSettings(get, tablePrefix, problems);
}

function stateSettings(
  get: (k: string) => string | undefined,
  tablePrefix: string,
  problems: string[],
): StateSettings {
  const explicit = get(SETTING.state);
  if (explicit?.toLowerCase() === "memory") return { kind: "memory" };
  const connectionString = get(SETTING.stateConnectionString) ?? explicit;
  if (connectionString !== undefined) {
    if (!/AccountName=|TableEndpoint=|UseDevelopmentStorage=true/i.test(connectionString)) {
      problems.push(
        `${SETTING.stateConnectionString}: not a storage connection string (needs AccountName=… or TableEndpoint=…)`,
      );
    }
    return { kind: "connection-string", connectionString, tablePrefix };
  }
  const endpoint = get(SETTING.stateTableEndpoint) ?? get(SETTING.hostStorageTableUri);
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch {
      problems.push(
        `${SETTING.stateTableEndpoint}: '${endpoint}' is not a URL (e.g. https://myaccount.table.core.windows.net)`,
      );
    }
    return { kind: "managed-identity", tableEndpoint: endpoint.replace(/\/+$/, ""), tablePrefix };
  }
  const hostAccount = get(SETTING.hostStorageAccountName);
  if (hostAccount !== undefined) {
    return {
      kind: "managed-identity",
      tableEndpoint: `https://${hostAccount}.table.core.windows.net`,
      tablePrefix,
    };
  }
  const hostConnection = get(SETTING.hostStorage);
  if (hostConnection !== undefined)
    return { kind: "connection-string", connectionString: hostConnection, tablePrefix };
  problems.push(
    `no state store: set ${SETTING.stateTableEndpoint} (Table endpoint, accessed with the managed identity) or ${SETTING.stateConnectionString}; ` +
      `by default the host storage (${SETTING.hostStorageAccountName} or ${SETTING.hostStorage}) is used`,
  );
  return { kind: "memory" };
}

/** A one-line, secret-free description of the settings for the run log. */
export function describeSettings(s: TriageSettings): string {
  const source =
    s.source.kind === "workspaces"
      ? `workspaces ${s.source.workspaceIds.join(",")}`
      : s.source.kind === "archive"
        ? `archive ${s.source.accountUrl}`
        : s.source.kind === "classic"
          ? `classic $logs of ${s.source.accountUrls.length + (s.source.connectionString ? 1 : 0)} account(s)`
          : `files (${s.source.logs.length} log path(s), ${s.source.activity.length} activity path(s))`;
  const state =
    s.state.kind === "memory"
      ? "memory"
      : s.state.kind === "managed-identity"
        ? `table ${s.state.tableEndpoint} (managed identity)`
        : "table (connection string)";
  const dest = [
    s.teamsWebhookUrl ? `teams ${describeSecretUrl(s.teamsWebhookUrl)}` : undefined,
    s.webhookUrl ? `webhook ${describeSecretUrl(s.webhookUrl)}` : undefined,
    s.monitor ? `azure monitor ${s.monitor.stream} via ${new URL(s.monitor.endpoint).host}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return (
    `source ${source}; state ${state}; notify ${dest}; open at ${s.openThreshold} failures; ` +
    `lookback ${formatDuration(s.lookbackMs)}, repeat ${formatDuration(s.repeatIntervalMs)}, ` +
    `resolve after ${formatDuration(s.resolveAfterMs)} quiet, rate factor ${s.rateGrowthFactor}; ` +
    `${s.silences.length} silence(s); telemetry ${s.appInsightsConnectionString ? "on" : "off"}`
  );
}

/** The three TRIAGE_MONITOR_* settings: all or none (the deployment sets them together). */
function monitorSettingsFrom(
  get: (k: string) => string | undefined,
  problems: string[],
): MonitorSettings | undefined {
  const endpoint = get(SETTING.monitorEndpoint);
  const ruleId = get(SETTING.monitorRuleId);
  const stream = get(SETTING.monitorStream);
  if (endpoint === undefined && ruleId === undefined && stream === undefined) return undefined;
  const before = problems.length;
  if (endpoint === undefined || ruleId === undefined || stream === undefined) {
    problems.push(
      `${SETTING.monitorEndpoint}, ${SETTING.monitorRuleId} and ${SETTING.monitorStream} go together (the data collection endpoint, rule immutable id and stream); set all three or none`,
    );
    return undefined;
  }
  try {
    const u = new URL(endpoint);
    if (u.protocol !== "https:") problems.push(`${SETTING.monitorEndpoint} must use https`);
  } catch {
    problems.push(
      `${SETTING.monitorEndpoint}: '${endpoint}' is not a URL (the endpoint's logs ingestion URL, e.g. https://my-dce-a1b2.westeurope-1.ingest.monitor.azure.com)`,
    );
  }
  if (!/^dcr-[0-9a-f]{32}$/i.test(ruleId))
    problems.push(
      `${SETTING.monitorRuleId}: '${ruleId}' is not a rule immutable id (dcr- and 32 hex digits)`,
    );
  if (!/^Custom-[A-Za-z0-9_]+$/.test(stream))
    problems.push(`${SETTING.monitorStream}: '${stream}' is not a custom stream name (Custom-…)`);
  return problems.length === before ? { endpoint: endpoint.replace(/\/+$/, ""), ruleId, stream } : undefined;
}
