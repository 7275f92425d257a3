/**
 * Our signer against the Azure SDKs' own Shared Key signing, byte for byte: each generated case runs a
 * real SDK client operation through its real pipeline (no network; a capturing httpClient), then signs
 * the captured method, URL and headers with our code and compares the Authorization headers.
 * 300 blob + 250 queue + 250 file + 250 table cases = 1050 requests at least (operations may send more).
 */
import { AzureNamedKeyCredential, TableClient } from "@azure/data-tables";
import {
  type BlobClient,
  ContainerClient,
  newPipeline as newBlobPipeline,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import {
  newPipeline as newFilePipeline,
  ShareClient,
  StorageSharedKeyCredential as FileKeyCredential,
} from "@azure/storage-file-share";
import {
  newPipeline as newQueuePipeline,
  QueueClient,
  StorageSharedKeyCredential as QueueKeyCredential,
} from "@azure/storage-queue";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signRequest } from "../../src/signature/sign.js";
import type { StorageService } from "../../src/signature/canonical.js";
import {
  accountKey,
  accountName,
  containerName,
  customXmsHeaders,
  endpointStyle,
  extraQuery,
  metadata,
  nameUnderContainer,
  objectName,
  serviceUrl,
  standardHeaders,
} from "./arbitraries.js";
import {
  addHeadersFactory,
  addHeadersPolicy,
  CapturingHttpClient,
  swallow,
  type CapturedRequest,
} from "./sdk-capture.js";

const common = {
  account: accountName,
  key: accountKey,
  style: endpointStyle,
  container: containerName,
  name: objectName,
  metadata,
  xms: customXmsHeaders,
  standard: standardHeaders,
  query: extraQuery,
  op: fc.nat(7),
  count: fc.integer({ min: 1, max: 1 << 16 }),
};

let compared = 0;
let lastError: unknown;

function expectSameAuthorization(captured: CapturedRequest[], key: string, service: StorageService): void {
  if (captured.length === 0) throw new Error(`the SDK sent nothing: ${String(lastError)}`);
  for (const req of captured) {
    expect(req.authorization).toBeDefined();
    // The scheme is the caller's choice (data-tables signs Shared Key Lite), as `--scheme` is for the CLI.
    const scheme = req.authorization!.startsWith("SharedKeyLite ") ? "SharedKeyLite" : "SharedKey";
    const ours = signRequest(req, key, { service, scheme }).authorization;
    if (ours !== req.authorization) {
      // Show the inputs and our string-to-sign (test keys only) to make a failure actionable.
      throw new Error(
        `Authorization differs for ${req.method} ${req.url}\nheaders: ${JSON.stringify(req.headers)}\nours: ${JSON.stringify(signRequest(req, key, { service, scheme }).stringToSign.text)}`,
      );
    }
    compared++;
  }
}

function withQuery(url: string, query: string): string {
  return query ? `${url}${url.includes("?") ? "&" : "?"}${query}` : url;
}

/** A storage SDK pipeline (from its own `newPipeline`) that adds `headers` before signing and captures. */
function storagePipeline<P extends { factories: unknown[] }>(
  create: (options: object) => P,
  http: CapturingHttpClient,
  headers: Record<string, string>,
): P {
  const pipeline = create({ httpClient: http, retryOptions: { maxTries: 1 } });
  pipeline.factories.push(addHeadersFactory(headers));
  return pipeline;
}

describe("signatures are byte-identical to the Azure SDKs'", () => {
  it("@azure/storage-blob (300 generated requests)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ ...common, name: nameUnderContainer }), async (c) => {
        const http = new CapturingHttpClient();
        const cred = new StorageSharedKeyCredential(c.account, c.key);
        const pipeline = storagePipeline((o) => newBlobPipeline(cred, o), http, { ...c.standard, ...c.xms });
        const base = serviceUrl(c.style, c.account, "blob");
        const container = new ContainerClient(withQuery(`${base}/${c.container}`, c.query), pipeline);
        const blob: BlobClient = container.getBlobClient(c.name);
        switch (c.op) {
          case 0:
            lastError = await swallow(() =>
              blob.getBlockBlobClient().upload("x".repeat(c.count % 300), c.count % 300, {
                metadata: c.metadata,
                blobHTTPHeaders: { blobContentType: "text/plain; charset=utf-8", blobContentLanguage: "en" },
              }),
            );
            break;
          case 1:
            lastError = await swallow(() =>
              blob.download(c.count, c.count, {
                conditions: { ifMatch: '"0x1"', ifModifiedSince: new Date(Date.UTC(2020, 1, 2)) },
              }),
            );
            break;
          case 2:
            lastError = await swallow(() =>
              blob.setMetadata(c.metadata, { conditions: { tagConditions: `"k"='${c.count}'` } }),
            );
            break;
          case 3:
            lastError = await swallow(() =>
              container
                .listBlobsFlat({
                  includeMetadata: true,
                  includeSnapshots: true,
                  includeTags: c.count % 2 === 0,
                  prefix: c.name,
                })
                .byPage({ maxPageSize: c.count })
                .next(),
            );
            break;
          case 4:
            lastError = await swallow(() => container.create({ metadata: c.metadata }));
            break;
          case 5:
            lastError = await swallow(() => blob.createSnapshot({ metadata: c.metadata }));
            break;
          case 6:
            lastError = await swallow(() => blob.setTags({ [c.container]: String(c.count) }));
            break;
          default:
            lastError = await swallow(() => blob.getProperties());
        }
        expectSameAuthorization(http.requests, c.key, "blob");
      }),
      { numRuns: 300 },
    );
  });

  it("@azure/storage-queue (250 generated requests)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ ...common, popReceipt: fc.base64String({ minLength: 4, maxLength: 40 }) }),
        async (c) => {
          const http = new CapturingHttpClient();
          const cred = new QueueKeyCredential(c.account, c.key);
          const pipeline = storagePipeline((o) => newQueuePipeline(cred, o), http, {
            ...c.standard,
            ...c.xms,
          });
          const base = serviceUrl(c.style, c.account, "queue");
          const queue = new QueueClient(withQuery(`${base}/${c.container}`, c.query), pipeline);
          switch (c.op) {
            case 0:
              lastError = await swallow(() => queue.create({ metadata: c.metadata }));
              break;
            case 1:
              lastError = await swallow(() =>
                queue.sendMessage(c.name, { visibilityTimeout: c.count % 60, messageTimeToLive: c.count }),
              );
              break;
            case 2:
              lastError = await swallow(() =>
                queue.receiveMessages({ numberOfMessages: (c.count % 32) + 1, visibilityTimeout: 30 }),
              );
              break;
            case 3:
              lastError = await swallow(() => queue.peekMessages({ numberOfMessages: (c.count % 32) + 1 }));
              break;
            case 4:
              lastError = await swallow(() =>
                queue.updateMessage(String(c.count), c.popReceipt, c.name, c.count % 60),
              );
              break;
            case 5:
              lastError = await swallow(() => queue.setMetadata(c.metadata));
              break;
            case 6:
              lastError = await swallow(() => queue.deleteMessage(c.container, c.popReceipt));
              break;
            default:
              lastError = await swallow(() => queue.getProperties());
          }
          expectSameAuthorization(http.requests, c.key, "queue");
        },
      ),
      { numRuns: 250 },
    );
  });

  it("@azure/storage-file-share (250 generated requests)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ ...common, name: nameUnderContainer }), async (c) => {
        const http = new CapturingHttpClient();
        const cred = new FileKeyCredential(c.account, c.key);
        const pipeline = storagePipeline((o) => newFilePipeline(cred, o), http, { ...c.standard, ...c.xms });
        const base = serviceUrl(c.style, c.account, "file");
        const share = new ShareClient(withQuery(`${base}/${c.container}`, c.query), pipeline);
        const dir = share.getDirectoryClient(c.name.replace(/\/+$/, "") || "d");
        const file = dir.getFileClient(c.name.replace(/\//g, "_"));
        switch (c.op) {
          case 0:
            lastError = await swallow(() =>
              share.create({ quota: (c.count % 100) + 1, metadata: c.metadata }),
            );
            break;
          case 1:
            lastError = await swallow(() => dir.create({ metadata: c.metadata }));
            break;
          case 2:
            lastError = await swallow(() =>
              file.create(c.count, {
                metadata: c.metadata,
                fileHttpHeaders: { fileContentType: "application/json" },
              }),
            );
            break;
          case 3:
            lastError = await swallow(() =>
              file.uploadRange("y".repeat(c.count % 200 || 1), c.count, c.count % 200 || 1),
            );
            break;
          case 4:
            lastError = await swallow(() => file.download(c.count, c.count % 4096 || 1));
            break;
          case 5:
            lastError = await swallow(() =>
              dir.listFilesAndDirectories({ prefix: c.name }).byPage({ maxPageSize: c.count }).next(),
            );
            break;
          case 6:
            lastError = await swallow(() => file.setMetadata(c.metadata));
            break;
          default:
            lastError = await swallow(() => file.getProperties());
        }
        expectSameAuthorization(http.requests, c.key, "file");
      }),
      { numRuns: 250 },
    );
  });

  it("@azure/data-tables, Shared Key Lite (250 generated requests)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ ...common, table: fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{2,20}$/), rowKey: objectName }),
        async (c) => {
          const http = new CapturingHttpClient();
          const cred = new AzureNamedKeyCredential(c.account, c.key);
          const base = serviceUrl(c.style, c.account, "table");
          const table = new TableClient(withQuery(base, c.query), c.table, cred, {
            httpClient: http,
            retryOptions: { maxRetries: 0 },
            additionalPolicies: [{ policy: addHeadersPolicy(c.xms), position: "perCall" }],
            allowInsecureConnection: true,
          });
          const entity = { partitionKey: c.name, rowKey: c.rowKey, value: c.count };
          switch (c.op) {
            case 0:
              lastError = await swallow(() => table.createTable());
              break;
            case 1:
              lastError = await swallow(() => table.createEntity(entity));
              break;
            case 2:
              lastError = await swallow(() => table.getEntity(c.name, c.rowKey));
              break;
            case 3:
              lastError = await swallow(() =>
                table
                  .listEntities({
                    queryOptions: { filter: `PartitionKey eq '${c.name.replace(/'/g, "''")}'` },
                  })
                  .byPage()
                  .next(),
              );
              break;
            case 4:
              lastError = await swallow(() => table.getAccessPolicy());
              break;
            case 5:
              lastError = await swallow(() => table.updateEntity(entity, "Replace", { etag: '"0x1"' }));
              break;
            case 6:
              lastError = await swallow(() => table.deleteEntity(c.name, c.rowKey));
              break;
            default:
              lastError = await swallow(() => table.upsertEntity(entity, "Merge"));
          }
          expectSameAuthorization(http.requests, c.key, "table");
        },
      ),
      { numRuns: 250 },
    );
  });

  it("compared at least 1000 SDK-signed requests", () => {
    expect(compared).toBeGreaterThanOrEqual(1000);
  });
});
