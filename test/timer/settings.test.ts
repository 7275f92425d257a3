import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/config/duration.js";
import { ncrontabProblem } from "../../src/config/ncrontab.js";
import { DEFAULTS, describeSettings, loadSettings, SettingsError } from "../../src/config/settings.js";

const WS = "11111111-2222-3333-4444-555555555555";
const TEAMS =
  "https://prod-12.westeurope.logic.azure.com:443/workflows/0123abcd/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TOPSECRETSIG";
const NEW_TEAMS =
  "https://default0123.45.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=TOPSECRETSIG";

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    const msg = (err as SettingsError).message;
    // Secrets never appear in messages.
    expect(msg).not.toContain("TOPSECRETSIG");
    expect(msg).not.toContain("Eby8vdM02");
    return (err as SettingsError).problems;
  }
  return [];
}

const minimal = {
  TRIAGE_WORKSPACE_IDS: WS,
  TRIAGE_TEAMS_WEBHOOK_URL: TEAMS,
  AzureWebJobsStorage__accountName: "funcstore",
};

describe("settings", () => {
  it("applies documented defaults and uses the host storage account by managed identity", () => {
    const s = loadSettings(minimal);
    expect(s).toMatchObject({
      source: { kind: "workspaces", workspaceIds: [WS] },
      schedule: "0 */5 * * * *",
      openThreshold: DEFAULTS.openThreshold,
      lookbackMs: 30 * 60_000,
      repeatIntervalMs: 4 * 3_600_000,
      resolveAfterMs: 30 * 60_000,
      rateGrowthFactor: 2,
      silences: [],
      state: {
        kind: "managed-identity",
        tableEndpoint: "https://funcstore.table.core.windows.net",
        tablePrefix: "triage",
      },
    });
    expect(describeSettings(s)).not.toContain("TOPSECRETSIG");
    expect(describeSettings(s)).toContain("(query hidden)");
  });

  it("accepts both Workflows URL forms and rejects retired Office 365 connector URLs with what to do", () => {
    expect(problems({ ...minimal, TRIAGE_TEAMS_WEBHOOK_URL: NEW_TEAMS })).toEqual([]);
    const p = problems({
      ...minimal,
      TRIAGE_TEAMS_WEBHOOK_URL:
        "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456",
    });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /retired Office 365 connector.*Workflows template "Send webhook alerts to a channel"/,
    );
    expect(
      problems({ ...minimal, TRIAGE_TEAMS_WEBHOOK_URL: "https://example.com/hook?sig=TOPSECRETSIG" })[0],
    ).toMatch(/not a Teams Workflows trigger URL/);
    expect(
      problems({
        ...minimal,
        TRIAGE_TEAMS_WEBHOOK_URL: "http://prod-1.westeurope.logic.azure.com/workflows/x?sig=TOPSECRETSIG",
      })[0],
    ).toMatch(/must use https/);
  });

  it("requires exactly one source and at least one destination", () => {
    const none = problems({ TRIAGE_STATE: "memory" });
    expect(none.some((m) => m.includes("no log source: set TRIAGE_WORKSPACE_IDS"))).toBe(true);
    expect(none.some((m) => m.includes("no notification destination"))).toBe(true);
    expect(
      problems({ ...minimal, TRIAGE_ARCHIVE_ACCOUNT_URL: "https://arch.blob.core.windows.net" })[0],
    ).toMatch(/more than one log source/);
    expect(problems({ ...minimal, TRIAGE_WORKSPACE_IDS: "my-workspace" })[0]).toMatch(
      /not a Log Analytics workspace id/,
    );
    const archive = loadSettings({
      ...minimal,
      TRIAGE_WORKSPACE_IDS: "",
      TRIAGE_ARCHIVE_ACCOUNT_URL: "https://arch.blob.core.windows.net/",
    });
    expect(archive.source).toEqual({ kind: "archive", accountUrl: "https://arch.blob.core.windows.net" });
    expect(
      problems({
        ...minimal,
        TRIAGE_WORKSPACE_IDS: "",
        TRIAGE_ARCHIVE_ACCOUNT_URL: "https://arch.blob.core.windows.net/?sv=x&sig=TOPSECRETSIG",
      })[0],
    ).toMatch(/no SAS/);
  });

  it("reads the classic $logs source: blob endpoints of one or more accounts, never with a SAS", () => {
    const classic = loadSettings({
      ...minimal,
      TRIAGE_WORKSPACE_IDS: "",
      TRIAGE_CLASSIC_ACCOUNT_URLS:
        "https://contoso.blob.core.windows.net/, https://fabrikam.blob.core.windows.net",
    });
    expect(classic.source).toEqual({
      kind: "classic",
      accountUrls: ["https://contoso.blob.core.windows.net", "https://fabrikam.blob.core.windows.net"],
    });
    expect(
      problems({
        ...minimal,
        TRIAGE_WORKSPACE_IDS: "",
        TRIAGE_CLASSIC_ACCOUNT_URLS: "https://contoso.blob.core.windows.net/?sv=x&sig=TOPSECRETSIG",
      })[0],
    ).toMatch(/TRIAGE_CLASSIC_ACCOUNT_URLS: .*no SAS/);
    expect(
      problems({ ...minimal, TRIAGE_CLASSIC_ACCOUNT_URLS: "https://contoso.blob.core.windows.net" })[0],
    ).toMatch(/more than one log source \(workspaces, classic\)/);
    expect(
      problems({ ...minimal, TRIAGE_WORKSPACE_IDS: "", TRIAGE_CLASSIC_CONNECTION_STRING: "nope" })[0],
    ).toMatch(/TRIAGE_CLASSIC_CONNECTION_STRING: not a storage connection string/);
  });

  it("validates the schedule as six-field NCRONTAB", () => {
    expect(problems({ ...minimal, TRIAGE_SCHEDULE: "*/5 * * * *" })[0]).toMatch(
      /has 5 fields.*leading seconds field/,
    );
    expect(problems({ ...minimal, TRIAGE_SCHEDULE: "0 */5 25 * * *" })[0]).toMatch(/hour field '25'/);
    expect(ncrontabProblem("0 0 9-17 * * MON-FRI")).toBeUndefined();
    expect(ncrontabProblem("0 */0 * * * *")).toMatch(/step of 0/);
  });

  it("reports every bad number and duration at once, naming the setting and an example", () => {
    const p = problems({
      ...minimal,
      TRIAGE_OPEN_THRESHOLD: "0",
      TRIAGE_LOOKBACK: "half an hour",
      TRIAGE_REPEAT_INTERVAL: "10s",
      TRIAGE_RATE_GROWTH_FACTOR: "1",
    });
    expect(p).toHaveLength(4);
    expect(p[0]).toMatch(/^TRIAGE_OPEN_THRESHOLD: '0' must be a whole number/);
    expect(p[1]).toMatch(/^TRIAGE_LOOKBACK: 'half an hour' is not a duration; write e\.g\. 30m/);
    expect(p[2]).toMatch(/^TRIAGE_REPEAT_INTERVAL: 10s is shorter than the minimum 1m/);
    expect(p[3]).toMatch(/^TRIAGE_RATE_GROWTH_FACTOR/);
    expect(
      loadSettings({ ...minimal, TRIAGE_LOOKBACK: "PT45M", TRIAGE_RESOLVE_AFTER: "1h30m" }),
    ).toMatchObject({
      lookbackMs: 45 * 60_000,
      resolveAfterMs: 90 * 60_000,
    });
  });

  it("parses silences and explains bad ones by path", () => {
    const good = JSON.stringify([
      {
        id: "maint",
        matchers: { account: "contoso*", authType: "SAS" },
        expiresAt: "2026-12-01T00:00:00Z",
        comment: "migration",
      },
    ]);
    expect(loadSettings({ ...minimal, TRIAGE_SILENCES: good }).silences).toHaveLength(1);
    expect(problems({ ...minimal, TRIAGE_SILENCES: "[{" })[0]).toMatch(/TRIAGE_SILENCES: not valid JSON/);
    const bad = problems({
      ...minimal,
      TRIAGE_SILENCES: JSON.stringify([{ id: "x", matchers: {}, expiresAt: "tomorrow" }]),
    });
    expect(
      bad.some((m) => m.startsWith("TRIAGE_SILENCES[0.matchers]: a silence needs at least one matcher")),
    ).toBe(true);
    expect(
      bad.some((m) => m.startsWith("TRIAGE_SILENCES[0.expiresAt]: expiresAt must be an ISO 8601 time")),
    ).toBe(true);
    expect(
      problems({
        ...minimal,
        TRIAGE_SILENCES: JSON.stringify([
          { id: "x", matchers: { region: "eu" }, expiresAt: "2026-12-01T00:00:00Z" },
        ]),
      })[0],
    ).toMatch(/region/);
  });

  it("state: connection string (Azurite), explicit endpoint, memory; never echoes keys", () => {
    const conn =
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";
    const s = loadSettings({ ...minimal, TRIAGE_STATE_CONNECTION_STRING: conn });
    expect(s.state.kind).toBe("connection-string");
    expect(describeSettings(s)).not.toContain("Eby8");
    expect(
      loadSettings({ ...minimal, TRIAGE_STATE_TABLE_ENDPOINT: "https://st.table.core.windows.net/" }).state,
    ).toEqual({
      kind: "managed-identity",
      tableEndpoint: "https://st.table.core.windows.net",
      tablePrefix: "triage",
    });
    expect(loadSettings({ ...minimal, TRIAGE_STATE: "memory" }).state).toEqual({ kind: "memory" });
    const { AzureWebJobsStorage__accountName: _drop, ...noState } = minimal;
    expect(problems(noState)[0]).toMatch(/no state store/);
    expect(problems({ ...minimal, TRIAGE_STATE_TABLE_PREFIX: "x-y" })[0]).toMatch(
      /TRIAGE_STATE_TABLE_PREFIX/,
    );
  });

  it("App Insights connection string is optional and checked for shape", () => {
    expect(loadSettings(minimal).appInsightsConnectionString).toBeUndefined();
    expect(problems({ ...minimal, APPLICATIONINSIGHTS_CONNECTION_STRING: "nope" })[0]).toMatch(
      /APPLICATIONINSIGHTS_CONNECTION_STRING/,
    );
  });
});

describe("durations", () => {
  it("reads short forms and ISO 8601", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration("PT1H")).toBe(3_600_000);
    expect(parseDuration("P1DT2H")).toBe(93_600_000);
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration("PT")).toBeUndefined();
  });
});
