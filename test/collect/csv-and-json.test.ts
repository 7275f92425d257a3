import { describe, expect, it } from "vitest";
import { csvDelimiterOf, splitCsvRecord } from "../../src/collect/formats.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { activityEventsToCsv } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import {
  defaultResourceId,
  storageRequestsToArchiveJsonLines,
  storageRequestsToCsv,
  storageRequestsToLogAnalyticsJsonArray,
  storageRequestsToLogsApiJson,
} from "../sim/forms.js";
import { defined, readActivity, readStorage, writeTemp } from "./helpers.js";

const base: StorageRequest = {
  timeMs: Date.UTC(2024, 4, 1, 13, 5, 9, 283),
  account: "acct3",
  service: "blob",
  operation: "GetBlob",
  statusCode: 403,
  statusText: "AuthorizationFailure",
  authType: "SAS",
  authHash: "key1(AAA),SasSignature(BBB)",
  callerIp: "52.1.2.3",
  userAgent: 'Mozilla/5.0 (X11; "Linux", x86_64)',
  uri: "https://acct3.blob.core.windows.net/c/a,b.txt?sv=2022-11-02&se=2024-05-01T00:00:00Z&sig=XXXXX",
  objectKey: "/acct3/c/line1\nline2",
  resourceId: defaultResourceId("acct3", "blob"),
};

describe("CSV exports", () => {
  it("splits RFC 4180 records: quotes, doubled quotes, commas and empty fields", () => {
    expect(splitCsvRecord('a,"b,c","say ""hi""",,"",x')).toEqual(["a", "b,c", 'say "hi"', "", "", "x"]);
    expect(splitCsvRecord("a,b,")).toEqual(["a", "b", ""]);
  });

  it("splits at the header's delimiter: semicolon and tab, outside quotes", () => {
    expect(csvDelimiterOf("TimeGenerated;AccountName;UserAgentHeader")).toBe(";");
    expect(csvDelimiterOf("TimeGenerated\tAccountName\tUri")).toBe("\t");
    expect(csvDelimiterOf('"Time;Generated",AccountName,Uri')).toBe(",");
    expect(csvDelimiterOf("TimeGenerated")).toBe(",");
    expect(splitCsvRecord('a;"b;c";"x,y";', ";")).toEqual(["a", "b;c", "x,y", ""]);
    expect(splitCsvRecord("a\tb,c\t", "\t")).toEqual(["a", "b,c", ""]);
  });

  it("reads CSV as Excel, PowerShell and copied grids write it: ;, tabs, #TYPE and quoted fields", async () => {
    const rows = [base, { ...base, statusCode: 200, statusText: "Success", userAgent: "a;b\tc" }];
    const comma = await readStorage([await writeTemp("rows.csv", storageRequestsToCsv(rows))]);
    expect(comma.rejections.count).toBe(0);
    for (const o of [
      { delimiter: ";" },
      { delimiter: "\t" },
      { powershell: true },
      { powershell: true, delimiter: ";", portal: true },
    ]) {
      const read = await readStorage([await writeTemp("rows.csv", storageRequestsToCsv(rows, o))]);
      expect({ o, rejected: read.rejections.samples }).toEqual({ o, rejected: [] });
      expect(read.records).toEqual(comma.records);
    }
    const { activity } = generateAll({ seed: 3 });
    const events = await readActivity([await writeTemp("AzureActivity.csv", activityEventsToCsv(activity))]);
    const semicolons = await readActivity([
      await writeTemp(
        "AzureActivity.csv",
        activityEventsToCsv(activity, { delimiter: ";", powershell: true }),
      ),
    ]);
    expect(events.events.length).toBeGreaterThan(0);
    expect(semicolons.events).toEqual(events.events);
  });

  it("round-trips the portal's CSV: BOM, `TimeGenerated [UTC]`, US times, embedded newlines and quotes", async () => {
    const csv = storageRequestsToCsv([base, { ...base, statusCode: 200, statusText: "Success" }], {
      portal: true,
    });
    expect(csv.startsWith("\ufeffTimeGenerated [UTC],")).toBe(true);
    expect(csv).toContain("5/1/2024, 1:05:09.283 PM");
    const file = await writeTemp("export.csv", csv);
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records.map(defined)).toEqual([base, { ...base, statusCode: 200, statusText: "Success" }]);
  });

  it("reports the physical line where a record starts, after multi-line records", async () => {
    const csv = storageRequestsToCsv([base, base]);
    // header on line 1, record 1 on lines 2-3 (newline inside ObjectKey), record 2 from line 4.
    expect(csv.split("\n")).toHaveLength(6);
    const at = csv.lastIndexOf("2024-05-01T13:05:09.2830000Z");
    const broken = csv.slice(0, at) + "not-a-time" + csv.slice(at + "2024-05-01T13:05:09.2830000Z".length);
    const file = await writeTemp("export.csv", broken);
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(1);
    expect(rejections.samples[0]).toMatchObject({ line: 4, field: "TimeGenerated" });
  });

  it("rejects rows with the wrong number of fields and an unterminated quote at the end", async () => {
    const csv =
      "TimeGenerated,AccountName,ServiceType,OperationName,StatusCode\n" +
      "2024-05-01T00:00:00Z,a,blob,GetBlob,403\n" +
      "2024-05-01T00:00:00Z,a,blob,GetBlob\n" +
      '2024-05-01T00:00:00Z,a,blob,"GetBlob,403\n';
    const file = await writeTemp("x.csv", csv);
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(1);
    expect(rejections.samples).toEqual([
      expect.objectContaining({ line: 3, reason: "4 fields where the header on line 1 has 5" }),
      expect.objectContaining({ line: 4, reason: expect.stringMatching(/not closed/) }),
    ]);
  });

  it("rejects every row of a file that is not a log export, and local-time exports", async () => {
    const notLogs = await writeTemp("notes.txt", "just some notes\nand more\n");
    const local = await writeTemp(
      "local.csv",
      "TimeGenerated [Local Time],AccountName,ServiceType,OperationName,StatusCode\n5/1/2024, 1:00:00.000 PM,a,blob,GetBlob,403\n",
    );
    const { records, rejections } = await readStorage([notLogs, local]);
    expect(records).toHaveLength(0);
    expect(rejections.count).toBe(4);
    expect(rejections.samples[0]).toMatchObject({ file: notLogs, line: 1, field: "(header)" });
    expect(rejections.samples[3]).toMatchObject({
      file: local,
      line: 2,
      reason: expect.stringMatching(/local time/),
    });
  });

  it("says a file without column names (az --output tsv) has no header, whatever the time format", async () => {
    for (const first of [
      "2024-05-01T10:00:00.1234567Z",
      "2024-05-01 10:00:00",
      "5/1/2024, 10:00:00.000 AM",
    ]) {
      const tsv = await writeTemp(
        "rows.tsv",
        `${first}\tstacct01\tGetBlob\t403\tAuthorizationPermissionMismatch\n` +
          "2024-05-01T10:01:00Z\tstacct01\tGetBlob\t403\tAuthorizationPermissionMismatch\n",
      );
      const { records, rejections } = await readStorage([tsv]);
      expect(records).toHaveLength(0);
      expect(rejections.count).toBe(2);
      expect(rejections.samples[0]).toMatchObject({
        line: 1,
        field: "(header)",
        reason: expect.stringMatching(/^line 1 is a row, not a header: .*--output tsv.*--output json/),
      });
    }
  });

  it("names az's table and YAML output as such, with the way to export", async () => {
    const table = await writeTemp(
      "rows.txt",
      "TimeGenerated                 AccountName    OperationName    StatusCode\n" +
        "----------------------------  -------------  ---------------  ------------\n" +
        "2024-05-01T10:00:00Z          stacct01       GetBlob          403\n",
    );
    const yaml = await writeTemp(
      "rows.yaml",
      "- AccountName: stacct01\n  OperationName: GetBlob\n  StatusCode: 403\n  TimeGenerated: '2024-05-01T10:00:00Z'\n",
    );
    const { records, rejections } = await readStorage([table, yaml]);
    expect(records).toHaveLength(0);
    const headers = rejections.samples.filter((r) => r.field === "(header)");
    expect(headers).toEqual([
      expect.objectContaining({
        file: table,
        line: 1,
        reason: expect.stringMatching(/table heading .*--output table.*--output json/),
      }),
      expect.objectContaining({
        file: yaml,
        line: 1,
        reason: expect.stringMatching(/YAML .*--output yaml.*--output json/),
      }),
    ]);
  });

  it("rejects a CSV record over the cap (an unclosed quote) and resynchronises", async () => {
    const header = "TimeGenerated,AccountName,ServiceType,OperationName,StatusCode\n";
    const good = "2024-05-01T00:00:00Z,a,blob,GetBlob,403\n";
    const runaway = '2024-05-01T00:00:00Z,a,blob,"GetBlob' + "\nfiller".repeat(200_000) + "\n";
    const file = await writeTemp("x.csv", header + good + runaway + good);
    const { records, rejections } = await readStorage([file]);
    expect(rejections.samples[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/longer than/) });
    expect(records.length).toBeGreaterThanOrEqual(1);
    // Every physical line after the runaway record is either a row or a counted rejection.
    expect(records.length + rejections.count).toBeGreaterThan(1);
  });
});

describe("JSON array exports", () => {
  it("round-trips `az monitor log-analytics query` output (strings) and native types", async () => {
    const requests = [base, { ...base, statusCode: null, statusText: "" }];
    for (const nativeTypes of [false, true]) {
      const file = await writeTemp(
        "export.json",
        storageRequestsToLogAnalyticsJsonArray(requests, { nativeTypes }),
      );
      const { records, rejections } = await readStorage([file]);
      expect(rejections.count).toBe(0);
      expect(records.map(defined)).toEqual(requests);
    }
  });

  it("rejects a bad element by index and keeps reading", async () => {
    const rows = JSON.parse(storageRequestsToLogAnalyticsJsonArray([base, base, base])) as Record<
      string,
      unknown
    >[];
    rows[1]!.TimeGenerated = 12;
    const text = JSON.stringify([rows[0], rows[1], 42, rows[2]]);
    const file = await writeTemp("export.json", text);
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(2);
    expect(rejections.samples).toEqual([
      expect.objectContaining({
        line: 2,
        field: "TimeGenerated",
        reason: expect.stringMatching(/^element 2 of the JSON array/),
      }),
      expect.objectContaining({ line: 3, reason: expect.stringMatching(/not a JSON object/) }),
    ]);
  });

  it("reports a truncated array once and keeps the complete elements", async () => {
    const text = storageRequestsToLogAnalyticsJsonArray([base, base, base], { pretty: false });
    const file = await writeTemp("export.json", text.slice(0, Math.floor(text.length * 0.8)));
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(2);
    expect(rejections.count).toBe(1);
    expect(rejections.samples[0]!.reason).toMatch(/truncated/);
  });

  it("stops at a broken structure with one rejection that says the rest was skipped", async () => {
    const rows = storageRequestsToLogAnalyticsJsonArray([base], { pretty: false }).trim();
    const file = await writeTemp("export.json", rows.slice(0, -1) + "} junk " + rows.slice(1));
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(1);
    expect(rejections.samples[0]!.reason).toMatch(/rest of the file was skipped/);
  });

  it("rejects an element over the size cap without buffering it", async () => {
    const rows = JSON.parse(storageRequestsToLogAnalyticsJsonArray([base, base])) as Record<
      string,
      unknown
    >[];
    rows[0]!.Uri = "u".repeat(1_200_000);
    const file = await writeTemp("export.json", JSON.stringify(rows));
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(1);
    expect(rejections.samples[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/larger than/) });
  });
});

describe("Logs API response", () => {
  it("round-trips {tables:[{columns, rows}]}", async () => {
    const requests = [
      base,
      { ...base, service: "queue" as const, resourceId: defaultResourceId("acct3", "queue") },
    ];
    const file = await writeTemp("response.json", storageRequestsToLogsApiJson(requests));
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records.map(defined)).toEqual(requests);
  });

  it("rejects a row with the wrong number of cells, naming row and table", async () => {
    const body = JSON.parse(storageRequestsToLogsApiJson([base, base])) as {
      tables: { rows: unknown[][] }[];
    };
    body.tables[0]!.rows[1]!.pop();
    const file = await writeTemp("response.json", JSON.stringify(body, null, 2));
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(1);
    expect(rejections.samples[0]).toMatchObject({
      line: 2,
      reason: expect.stringMatching(
        /^row 2 of table "PrimaryResult": \d+ cells where the table has \d+ columns/,
      ),
    });
  });
});

describe("Logs API edge cases", () => {
  it("reads several tables, each with its own columns, and rejects rows that come before columns", async () => {
    const one = JSON.parse(storageRequestsToLogsApiJson([base])) as { tables: Record<string, unknown>[] };
    const t = one.tables[0]!;
    const body = {
      tables: [
        { rows: t.rows, name: "Early", columns: t.columns },
        { name: "Second", columns: t.columns, rows: t.rows },
      ],
    };
    const file = await writeTemp("response.json", JSON.stringify(body));
    const { records, rejections } = await readStorage([file]);
    expect(records.map(defined)).toEqual([base]);
    expect(rejections.samples).toEqual([
      expect.objectContaining({ line: 1, reason: expect.stringMatching(/^row 1 of table 1: row before/) }),
    ]);
  });

  it("reads archive records inside a JSON array, mixed with Log Analytics rows", async () => {
    const la = JSON.parse(storageRequestsToLogAnalyticsJsonArray([base])) as unknown[];
    const archive = JSON.parse(
      "[" + storageRequestsToArchiveJsonLines([base]).trim().split("\n").join(",") + "]",
    ) as unknown[];
    const file = await writeTemp("mixed.json", JSON.stringify([...la, ...archive], null, 1));
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records.map(defined)).toEqual([base, base]);
  });
});

describe("activity events as the Activity Log API returns them (az monitor activity-log list)", () => {
  const event = {
    authorization: {
      action: "Microsoft.Storage/storageAccounts/regenerateKey/action",
      scope:
        "/subscriptions/748679f3-e512-4b6c-a0b7-587b8997b2e2/resourceGroups/rg-batch/providers/Microsoft.Storage/storageAccounts/stpipelinejobs08",
    },
    caller: "alice@contoso.com",
    category: { localizedValue: "Administrative", value: "Administrative" },
    claims: { ipaddr: "203.0.113.7" },
    correlationId: "5b1a7c0e-2f0d-4f7e-9a49-6c0c2e1f8d11",
    description: "",
    eventDataId: "8d2e6f3a-91c4-4f0b-8a2e-2c1d5b7e9f00",
    eventName: { localizedValue: "End request", value: "EndRequest" },
    eventTimestamp: "2026-11-20T09:14:02.1234567Z",
    httpRequest: { clientIpAddress: "203.0.113.7", method: "POST" },
    level: "Informational",
    operationId: "5b1a7c0e-2f0d-4f7e-9a49-6c0c2e1f8d11",
    operationName: {
      localizedValue: "Regenerate Storage Account Keys",
      value: "Microsoft.Storage/storageAccounts/regenerateKey/action",
    },
    properties: { statusCode: "OK", serviceRequestId: null },
    resourceGroupName: "rg-batch",
    resourceId:
      "/subscriptions/748679f3-e512-4b6c-a0b7-587b8997b2e2/resourceGroups/rg-batch/providers/Microsoft.Storage/storageAccounts/stpipelinejobs08",
    resourceProviderName: { localizedValue: "Microsoft.Storage", value: "Microsoft.Storage" },
    status: { localizedValue: "Succeeded", value: "Succeeded" },
    subStatus: { localizedValue: "", value: "" },
    submissionTimestamp: "2026-11-20T09:15:33.000Z",
    subscriptionId: "748679f3-e512-4b6c-a0b7-587b8997b2e2",
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  };

  it("reads each event's values, not the portal's words, and names what is missing", async () => {
    const missing = { ...event, status: { localizedValue: "", value: null } };
    const { events, rejections } = await readActivity([
      await writeTemp("activity.json", JSON.stringify([event, missing], null, 2)),
    ]);
    expect(events).toEqual([
      {
        timeMs: Date.parse("2026-11-20T09:14:02.123Z"),
        operationName: "Microsoft.Storage/storageAccounts/regenerateKey/action",
        operationDisplayName: "Regenerate Storage Account Keys",
        status: "Succeeded",
        resourceId: event.resourceId,
        category: "Administrative",
        correlationId: event.correlationId,
        eventDataId: event.eventDataId,
        operationId: event.operationId,
        resourceGroup: "rg-batch",
        subscriptionId: "748679f3-e512-4b6c-a0b7-587b8997b2e2",
        resourceProvider: "Microsoft.Storage",
        caller: "alice@contoso.com",
        callerIpAddress: "203.0.113.7",
        level: "Informational",
        properties: { statusCode: "OK", serviceRequestId: null },
        authorization: event.authorization,
        claims: { ipaddr: "203.0.113.7" },
      },
    ]);
    expect(rejections.samples).toEqual([
      expect.objectContaining({
        line: 2,
        field: "status.value",
        reason: expect.stringContaining("missing required field"),
      }),
    ]);
  });

  it("reads the same event as Get-AzActivityLog | ConvertTo-Json writes it, at the default depth too", async () => {
    const ps = {
      Authorization: {
        Action: event.authorization.action,
        Condition: null,
        Role: null,
        Scope: event.authorization.scope,
      },
      Caller: "alice@contoso.com",
      Claims: "Microsoft.Azure.Commands.Insights.OutputClasses.PSDictionaryElement",
      CorrelationId: event.correlationId,
      Description: "",
      EventDataId: event.eventDataId,
      EventName: "EndRequest",
      Category: "Administrative",
      EventTimestamp: "/Date(1795166042123)/",
      HttpRequest: { ClientId: null, ClientIpAddress: "203.0.113.7", Method: "POST", Url: null },
      Level: 3,
      OperationId: event.operationId,
      OperationName: "Microsoft.Storage/storageAccounts/regenerateKey/action",
      Properties: { Content: { statusCode: "OK" } },
      ResourceGroupName: "rg-batch",
      ResourceProviderName: "Microsoft.Storage",
      ResourceId: event.resourceId,
      Status: "Succeeded",
      SubmissionTimestamp: "/Date(1795166133000+0100)/",
      SubscriptionId: "748679f3-e512-4b6c-a0b7-587b8997b2e2",
      SubStatus: "",
    };
    const noOperation = { ...ps, OperationName: null };
    const badDate = { ...ps, EventTimestamp: "yesterday" };
    const { events, rejections } = await readActivity([
      await writeTemp("activity.json", JSON.stringify([ps, noOperation, badDate], null, 4)),
    ]);
    expect(events).toEqual([
      {
        timeMs: Date.parse("2026-11-20T09:14:02.123Z"),
        operationName: "Microsoft.Storage/storageAccounts/regenerateKey/action",
        status: "Succeeded",
        resourceId: event.resourceId,
        category: "Administrative",
        correlationId: event.correlationId,
        eventDataId: event.eventDataId,
        operationId: event.operationId,
        resourceGroup: "rg-batch",
        subscriptionId: "748679f3-e512-4b6c-a0b7-587b8997b2e2",
        resourceProvider: "Microsoft.Storage",
        caller: "alice@contoso.com",
        callerIpAddress: "203.0.113.7",
        level: "Informational",
        properties: { statusCode: "OK" },
        authorization: {
          action: event.authorization.action,
          condition: null,
          role: null,
          scope: event.authorization.scope,
        },
      },
    ]);
    expect(rejections.samples).toEqual([
      expect.objectContaining({
        field: "OperationName",
        reason: expect.stringContaining("missing required field"),
      }),
      expect.objectContaining({
        field: "EventTimestamp",
        reason: expect.stringContaining('not a date: "yesterday"'),
      }),
    ]);
  });
});
