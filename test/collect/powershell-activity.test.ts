import { describe, expect, it } from "vitest";
import { runPwsh } from "../pwsh.js";
import { readActivity, writeTemp } from "./helpers.js";

/**
 * Get-AzActivityLog | ConvertTo-Json, serialised by the real PowerShell 7: objects with the types of
 * Az.Monitor's PSEventData (a DateTime, the EventLevel enum, Properties and Claims as a dictionary in
 * `Content`), one event and many, at ConvertTo-Json's default depth and at -Depth 5.
 */

const ID =
  "/subscriptions/748679f3-e512-4b6c-a0b7-587b8997b2e2/resourceGroups/rg-batch/providers/Microsoft.Storage/storageAccounts/stpipelinejobs08";

const EVENTS = `
enum EventLevel { Critical; Error; Warning; Informational; Verbose }
function Dict($h) {
  $d = [System.Collections.Generic.Dictionary[string,string]]::new()
  foreach ($k in $h.Keys) { $d[$k] = $h[$k] }
  $d
}
function Event($minute) {
  [pscustomobject]@{
    Authorization = [pscustomobject]@{ Action = "Microsoft.Storage/storageAccounts/regenerateKey/action"; Condition = $null; Role = $null; Scope = "${ID}" }
    Caller = "alice@contoso.com"
    Claims = [pscustomobject]@{ Content = Dict @{ ipaddr = "203.0.113.7" } }
    CorrelationId = "5b1a7c0e-2f0d-4f7e-9a49-6c0c2e1f8d1$minute"
    EventTimestamp = [datetime]::SpecifyKind([datetime]"2026-11-20T09:1$($minute):02.123", "Utc")
    Level = [EventLevel]::Informational
    OperationName = "Microsoft.Storage/storageAccounts/regenerateKey/action"
    Properties = [pscustomobject]@{ Content = Dict @{ requestbody = '{"keyName":"key1"}'; statusCode = "OK" } }
    ResourceId = "${ID}"
    Status = "Succeeded"
    SubStatus = ""
  }
}`;

async function converted(pipeline: string): Promise<string> {
  return runPwsh(`${EVENTS}\n${pipeline}`);
}

describe("Get-AzActivityLog | ConvertTo-Json from the real PowerShell 7", () => {
  it("many events at -Depth 5: every field, the request body that names the key", async () => {
    const json = await converted("@((Event 4), (Event 5)) | ConvertTo-Json -Depth 5");
    const { events, rejections } = await readActivity([await writeTemp("activity.json", json)]);
    expect(rejections.count).toBe(0);
    expect(events.map((e) => e.timeMs)).toEqual([
      Date.parse("2026-11-20T09:14:02.123Z"),
      Date.parse("2026-11-20T09:15:02.123Z"),
    ]);
    expect(events[0]).toMatchObject({
      operationName: "Microsoft.Storage/storageAccounts/regenerateKey/action",
      status: "Succeeded",
      resourceId: ID,
      caller: "alice@contoso.com",
      level: "Informational",
      properties: { requestbody: '{"keyName":"key1"}', statusCode: "OK" },
      authorization: { action: "Microsoft.Storage/storageAccounts/regenerateKey/action", scope: ID },
      claims: { ipaddr: "203.0.113.7" },
    });
  });

  it("many events at the default depth: Properties cut to a type name, the events still read", async () => {
    const json = await converted("@((Event 4), (Event 5)) | ConvertTo-Json 3>$null");
    expect(json).toContain("System.Collections.Generic.Dictionary");
    const { events, rejections } = await readActivity([await writeTemp("activity.json", json)]);
    expect(rejections.count).toBe(0);
    expect(events).toHaveLength(2);
    expect(events[0]!.properties).toBeUndefined();
    expect(events[0]!.operationName).toBe("Microsoft.Storage/storageAccounts/regenerateKey/action");
  });

  it("one event: ConvertTo-Json writes an object, not a list", async () => {
    const json = await converted("Event 4 | ConvertTo-Json");
    expect(json.trimStart().startsWith("{")).toBe(true);
    const { events, rejections } = await readActivity([await writeTemp("activity.json", json)]);
    expect(rejections.count).toBe(0);
    expect(events[0]!.properties).toEqual({ requestbody: '{"keyName":"key1"}', statusCode: "OK" });
  });
});
