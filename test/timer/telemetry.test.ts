import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryTriageStore } from "../../src/state/memory.js";
import { METRICS, createTelemetry, noTelemetry } from "../../src/telemetry/telemetry.js";
import { TimelineSource } from "./fixture-source.js";
import { minutes } from "./fixtures.js";
import { harness } from "./harness.js";

/**
 * Run telemetry reaches an Application Insights ingestion endpoint: a local HTTPS stand-in (the
 * exporter only speaks https) with a throw-away self-signed certificate.
 */
let server: Server;
let endpoint: string;
let dir: string;
const envelopes: Array<{ name: string; data: { baseType: string; baseData: Record<string, unknown> } }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triage-ai-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  // Trust is process-wide in Node; this test file runs in its own worker process.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
  server = createServer(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        let body = Buffer.concat(chunks);
        if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
        const parsed = JSON.parse(body.toString("utf8")) as typeof envelopes;
        envelopes.push(...parsed);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ itemsReceived: parsed.length, itemsAccepted: parsed.length, errors: [] }));
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe("telemetry", () => {
  it("is a no-op without a connection string (nothing loaded, nothing sent)", async () => {
    expect(await createTelemetry(undefined, () => undefined)).toBe(noTelemetry);
  });

  it("sends one triage-cycle request and the run metrics per cycle", async () => {
    const source = new TimelineSource([{ perMinute: minutes("2026-11-22T10:00:00Z", [4, 4]) }]);
    const h = await harness(new MemoryTriageStore(), source);
    try {
      const report = await h.run(
        "2026-11-22T10:05:00Z",
        {},
        {
          APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${endpoint}`,
        },
      );
      const deadline = Date.now() + 20_000;
      const metricNames = () =>
        new Set(
          envelopes
            .filter((e) => e.data.baseType === "MetricData")
            .flatMap((e) => (e.data.baseData.metrics as Array<{ name: string }>).map((m) => m.name)),
        );
      while (
        Date.now() < deadline &&
        (!metricNames().has(METRICS.opened) || !envelopes.some((e) => e.data.baseType === "RequestData"))
      ) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const request = envelopes.find((e) => e.data.baseType === "RequestData");
      expect(request?.data.baseData).toMatchObject({ name: "triage-cycle", success: true });
      expect((request?.data.baseData.properties as Record<string, string>).runId).toBe(report.runId);
      for (const name of Object.values(METRICS)) expect(metricNames()).toContain(name);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });

  it("sends a failed run's exception through the redaction boundary", async () => {
    const canary = "QtelemetryCanary0123456789";
    const store = new MemoryTriageStore();
    // A store error whose message echoes a connection string and a SAS (as an SDK error can).
    store.listIncidentStates = async () => {
      throw new Error(
        `table unreachable: AccountKey=${canary};EndpointSuffix=x https://a.table/x?sig=${canary}\u0000`,
      );
    };
    const source = new TimelineSource([{ perMinute: minutes("2026-11-22T10:00:00Z", [4, 4]) }]);
    const h = await harness(store, source);
    try {
      const failed = await h
        .run(
          "2026-11-22T10:05:00Z",
          {},
          {
            APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${endpoint}`,
          },
        )
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      const deadline = Date.now() + 20_000;
      const exceptions = () => envelopes.filter((e) => e.data.baseType === "ExceptionData");
      while (Date.now() < deadline && exceptions().length === 0) await new Promise((r) => setTimeout(r, 200));
      const sent = JSON.stringify(exceptions());
      expect(sent).toContain("table unreachable: AccountKey=REDACTED");
      expect(sent).not.toContain(canary);
      expect(JSON.stringify(envelopes)).not.toContain(canary);
      expect(h.logs.join("\n")).not.toContain(canary);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});
