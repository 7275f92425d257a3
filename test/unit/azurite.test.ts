import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { createServer } from "node:net";
import { freePorts, startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";

describe("local Azurite", () => {
  let azurite: AzuriteInstance;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("starts on free ports and serves the table API", async () => {
    const client = TableClient.fromConnectionString(azurite.connectionString, "probe", {
      allowInsecureConnection: true,
    });
    await client.createTable();
    await client.upsertEntity({ partitionKey: "p", rowKey: "r", value: 42 });
    const e = await client.getEntity<{ value: number }>("p", "r");
    expect(e.value).toBe(42);
  });

  it("starts its three services on three distinct ports", () => {
    expect(new Set([azurite.blobPort, azurite.queuePort, azurite.tablePort]).size).toBe(3);
  });
});

describe("freePorts", () => {
  it("gives distinct loopback ports, each free to listen on", async () => {
    const ports = await freePorts(200);
    expect(new Set(ports).size).toBe(200);
    for (const port of ports.slice(0, 20)) {
      const srv = createServer();
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(port, "127.0.0.1", resolve);
      });
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });
});
