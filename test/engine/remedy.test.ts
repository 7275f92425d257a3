import { describe, expect, it } from "vitest";
import type { Incident, Remedy } from "../../src/model/incident.js";
import { roleById, roleAllows, operationPermissions } from "../../src/permissions/index.js";
import { SCENARIOS, generateScenario } from "../sim/scenarios.js";
import { renderJson, renderMarkdown, renderText } from "../../src/report/index.js";
import { remedyMarkdown } from "../../src/report/remedy.js";
import { buildWebhookPayload } from "../../src/notify/webhook-payload.js";
import { buildRemedy } from "../../src/remedy/build.js";
import { analyzedIncidents } from "../support/analyzed-incidents.js";

function incidentsOf(name: string): Promise<Incident[]> {
  return analyzedIncidents(generateScenario(name));
}

interface Expect {
  /** Which incident of the story (auth type and error code). */
  authType: string;
  errorCode: string;
  kind: Remedy["kind"];
  /** Substrings the commands must contain, in order of the commands. */
  commands: string[][];
  /** Substrings the change sentence must contain. */
  change: string[];
  /** The commands must not contain these. */
  never?: string[];
}

const ALWAYS_NEVER = ["--default-action Allow", "AccountKey=", "sig=", "--account-key"];

const EXPECTED: Record<string, Expect[]> = {
  "clock-drift-one-host": [
    {
      authType: "AccountKey",
      errorCode: "AuthenticationFailed",
      kind: "fix-clock",
      commands: [["w32tm /resync"]],
      change: ["10.20.1.14", "15 minutes"],
      never: ["keys renew", "regenerate"],
    },
  ],
  "proxy-path-prefix": [
    {
      authType: "AccountKey",
      errorCode: "AuthenticationFailed",
      kind: "fix-signature",
      commands: [["auth-triage signature explain", "<failing-request.http>"]],
      change: ["agw-media", "platform-pipeline@contoso.com"],
    },
  ],
  "telemetry-header-injection": [
    {
      authType: "AccountKey",
      errorCode: "AuthenticationFailed",
      kind: "fix-signature",
      commands: [["auth-triage signature explain"]],
      change: ["app-orders-api"],
    },
  ],
  "sas-encoded-names": [
    {
      authType: "SAS",
      errorCode: "AuthenticationFailed",
      kind: "fix-signature",
      commands: [],
      change: ["sp=rl"],
    },
  ],
  "sdk-upgrade-version": [
    {
      authType: "AccountKey",
      errorCode: "AuthenticationFailed",
      kind: "fix-signature",
      commands: [["auth-triage signature explain"]],
      change: ["12.27.0"],
    },
  ],
  "rbac-propagation": [
    {
      authType: "OAuth",
      errorCode: "AuthorizationPermissionMismatch",
      kind: "wait-for-propagation",
      commands: [],
      change: ["Storage Blob Data Contributor", "terraform-sp@contoso.com", "propagation"],
    },
  ],
  "shared-key-disabled": [
    {
      authType: "AccountKey",
      errorCode: "KeyBasedAuthenticationNotPermitted",
      kind: "move-to-entra-id",
      commands: [
        // Blob lease on azure-webjobs-hosts (Blob Data Contributor) and queue send + receive.
        [
          "--role ba92f5b4-2d11-453d-a403-e96b0029c9fe",
          "/blobServices/default/containers/azure-webjobs-hosts",
        ],
        ["--role 974c5e8b-45b9-4653-ba55-5f855dd0fb88", "/queueServices/default/queues/func-work-items"],
        [
          "az storage account update --name stfuncruntime07 --resource-group rg-functions --allow-shared-key-access true",
        ],
      ],
      change: ["Microsoft Entra ID", "AzureWebJobsStorage__accountName", "risky"],
    },
    {
      authType: "SAS",
      errorCode: "KeyBasedAuthenticationNotPermitted",
      kind: "move-to-entra-id",
      commands: [["/containers/uploads"], ["--allow-shared-key-access true"]],
      change: ["user delegation SAS"],
    },
  ],
  "key-rotation-stale-secret": [
    {
      authType: "AccountKey",
      errorCode: "AuthenticationFailed",
      kind: "update-key",
      commands: [
        [
          "az storage account keys list --account-name stpipelinejobs08 --resource-group rg-batch",
          "key1",
          "--file /dev/stdin --output none",
        ],
      ],
      change: ["key1", "secops@contoso.com"],
    },
    {
      authType: "SAS",
      errorCode: "AuthenticationFailed",
      kind: "replace-sas",
      commands: [
        [
          "az storage blob generate-sas",
          "--container-name exports",
          "--name weekly/export.zip",
          "--permissions r ",
          "--as-user --auth-mode login",
        ],
      ],
      change: ["key1", "secops@contoso.com"],
    },
  ],
  "firewall-change": [
    {
      authType: "AccountKey",
      errorCode: "AuthorizationFailure",
      kind: "allow-network",
      commands: [
        [
          "az storage account network-rule add --account-name stcustomerportal09 --resource-group rg-portal --ip-address 52.232.18.40",
        ],
      ],
      change: ["52.232.18.40", "netops@contoso.com", "Deny"],
    },
    {
      authType: "OAuth",
      errorCode: "AuthorizationFailure",
      kind: "allow-network",
      commands: [["--ip-address 86.12.201.7"]],
      change: ["86.12.201.7"],
    },
  ],
  "expired-sas": [
    {
      authType: "SAS",
      errorCode: "AuthenticationFailed",
      kind: "replace-sas",
      commands: [
        [
          "az storage container generate-sas --name exports",
          "--permissions rl ",
          "+1 hour",
          "--as-user --auth-mode login",
        ],
      ],
      change: ["expired", "2026-11-19 13:00:00 UTC"],
    },
  ],
  "wrong-audience-token": [
    {
      authType: "OAuth",
      errorCode: "InvalidAuthenticationInfo",
      kind: "fix-token",
      commands: [
        ["az account get-access-token --scope https://storage.azure.com/.default", "--query expiresOn"],
      ],
      change: ["https://storage.azure.com/", "dev-lead@contoso.com"],
    },
  ],
  "sas-permission-mismatch": [
    {
      authType: "SAS",
      errorCode: "AuthorizationPermissionMismatch",
      kind: "replace-sas",
      // The SAS keeps r (its reads succeed) and gains exactly the missing w.
      commands: [["az storage container generate-sas --name user-uploads", "--permissions rw ", "--as-user"]],
      change: ["w", "sp=r"],
    },
  ],
  "sas-not-yet-valid": [
    {
      authType: "SAS",
      errorCode: "AuthenticationFailed",
      kind: "fix-sas-clock",
      commands: [["generate-sas", "--permissions r "]],
      change: ["in the future", "NTP"],
    },
  ],
};

describe("remedy per simulator story", () => {
  it("every story has its remedies listed", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  for (const s of SCENARIOS) {
    it(`${s.name}: the right remedy`, async () => {
      const incidents = await incidentsOf(s.name);
      for (const e of EXPECTED[s.name]!) {
        const inc = incidents.find((i) => i.authType === e.authType && i.errorCode === e.errorCode);
        expect(inc, `${e.authType} ${e.errorCode} incident`).toBeDefined();
        const r = inc!.remedy!;
        expect(r.kind, r.change).toBe(e.kind);
        for (const t of e.change) expect(r.change).toContain(t);
        expect(r.commands.length, JSON.stringify(r.commands)).toBe(e.commands.length);
        e.commands.forEach((parts, k) => {
          for (const p of parts) expect(r.commands[k]!.command).toContain(p);
        });
        if (e.commands.length === 0) expect(r.noCommand).toBeTruthy();
        for (const c of r.commands) {
          for (const n of [...ALWAYS_NEVER, ...(e.never ?? [])]) expect(c.command).not.toContain(n);
          // Every placeholder in a command is named with its reason, and only those.
          const inCommand = [...c.command.matchAll(/<([a-z0-9.-]+)>/g)].map((m) => m[1]);
          expect(inCommand.sort()).toEqual(c.placeholders.map((p) => p.name).sort());
          for (const p of c.placeholders) expect(p.reason.length).toBeGreaterThan(10);
        }
        expect(r.whyNarrowest.length).toBeGreaterThan(20);
        expect(r.wrongIf.length).toBeGreaterThan(0);
      }
    });
  }

  it("the risky path is named risky and nothing else is", async () => {
    const incidents = await incidentsOf("shared-key-disabled");
    for (const i of incidents) {
      for (const c of i.remedy!.commands) {
        expect(c.risky === true, c.command).toBe(c.command.includes("--allow-shared-key-access true"));
      }
    }
  });

  it("the roles in role commands grant every failing operation (checked against the role definitions)", async () => {
    for (const s of SCENARIOS) {
      for (const i of await incidentsOf(s.name)) {
        for (const c of i.remedy!.commands) {
          const m = /--role ([0-9a-f-]{36})/.exec(c.command);
          if (!m) continue;
          const role = roleById(m[1]!)!;
          const svc = /Queue/.test(role.roleName)
            ? "queue"
            : /Table/.test(role.roleName)
              ? "table"
              : /File/.test(role.roleName)
                ? "file"
                : "blob";
          for (const cl of i.clusters.filter((x) => x.service === svc)) {
            expect(
              roleAllows(role, operationPermissions(cl.service, cl.operation)!),
              `${role.roleName} ${cl.operation}`,
            ).toBe(true);
          }
        }
      }
    }
  });
});

describe("the remedy everywhere a person decides", () => {
  it("reports (text, markdown, json) and the webhook carry it", async () => {
    const incidents = await incidentsOf("sas-permission-mismatch");
    const inc = incidents[0]!;
    const result = {
      window: { from: inc.firstSeen, to: inc.lastSeen },
      input: {
        rows: 1,
        failures: inc.count,
        rejected: 0,
        rejectedSamples: [],
        outsideWindow: 0,
        clusters: 1,
        activityEvents: 0,
      },
      incidents,
      generatedAt: inc.lastSeen,
    };
    const cmd = inc.remedy!.commands[0]!.command;
    expect(renderText(result)).toContain(`$ ${cmd}`);
    const md = renderMarkdown(result);
    expect(md).toContain("```bash\n" + cmd + "\n```");
    expect(JSON.parse(renderJson(result)).incidents[0].remedy.commands[0].command).toBe(cmd);
    const payload = buildWebhookPayload({
      notificationId: `${inc.id}-1`,
      reason: "first-detection",
      detail: "d",
      decidedAt: inc.lastSeen,
      status: "open",
      openedAt: inc.firstSeen,
      incident: inc,
      covers: [],
    });
    expect(payload.schemaVersion).toBe("1.3");
    expect(payload.incident.remedy).toMatchObject({ kind: "replace-sas", commands: [{ command: cmd }] });
  });

  it("a hostile container name is quoted in commands and cannot close a markdown fence", async () => {
    const incidents = await incidentsOf("sas-permission-mismatch");
    const inc = structuredClone(incidents[0]!);
    inc.sampleObjectKeys = inc.sampleObjectKeys.map((k) => k.replace("user-uploads", "x$(rm -rf ~)```y"));
    const r = buildRemedy(inc, { changes: [] });
    const line = r.commands[0]!.command;
    expect(line).toContain("'x$(rm -rf ~)```y'");
    const md = remedyMarkdown(r).join("\n");
    expect(md).toContain("````bash\n" + line + "\n````");
  });
});
