import { describe, expect, test } from "vitest";
import { BlobCursorConflictError, type BlobCursorStore } from "../../src/collect/archive/cursor.js";
import { WatermarkConflictError, type WatermarkStore } from "../../src/collect/loganalytics/watermark.js";

/**
 * Behaviour every WatermarkStore / BlobCursorStore must have, as reusable suites: the in-memory stores run
 * them here, and the Table-storage stores of the timer can run the same suites against Azurite.
 */
export function describeWatermarkStore(name: string, create: () => Promise<WatermarkStore>): void {
  describe(`WatermarkStore: ${name}`, () => {
    test("a missing key reads as undefined; the first write needs no etag", async () => {
      const store = await create();
      expect(await store.get("loganalytics:ws-a")).toBeUndefined();
      const etag = await store.set("loganalytics:ws-a", 1_000, undefined);
      expect(await store.get("loganalytics:ws-a")).toEqual({ valueMs: 1_000, etag });
    });

    test("a write with the current etag succeeds and changes the etag", async () => {
      const store = await create();
      const first = await store.set("k", 1, undefined);
      const second = await store.set("k", 2, first);
      expect(second).not.toBe(first);
      expect((await store.get("k"))?.valueMs).toBe(2);
    });

    test("a stale etag, or creating an existing key, is a conflict and changes nothing", async () => {
      const store = await create();
      const first = await store.set("k", 1, undefined);
      await store.set("k", 2, first);
      await expect(store.set("k", 3, first)).rejects.toBeInstanceOf(WatermarkConflictError);
      await expect(store.set("k", 3, undefined)).rejects.toBeInstanceOf(WatermarkConflictError);
      expect((await store.get("k"))?.valueMs).toBe(2);
    });

    test("keys are independent", async () => {
      const store = await create();
      await store.set("a", 1, undefined);
      await store.set("b", 2, undefined);
      expect((await store.get("a"))?.valueMs).toBe(1);
      expect((await store.get("b"))?.valueMs).toBe(2);
    });
  });
}

export function describeBlobCursorStore(name: string, create: () => Promise<BlobCursorStore>): void {
  describe(`BlobCursorStore: ${name}`, () => {
    const cursor = { offset: 120, blobEtag: '"0x8DC"', blobSize: 150, lines: 3 };
    const key =
      "acct/insights-logs-storageread/resourceId=/SUBSCRIPTIONS/X/y=2026/m=11/d=20/h=06/m=00/PT1H.json";

    test("round-trips a cursor under a key with slashes and '='", async () => {
      const store = await create();
      expect(await store.get(key)).toBeUndefined();
      const version = await store.set(key, cursor, undefined);
      expect(await store.get(key)).toEqual({ cursor, version });
    });

    test("conditional writes: a stale version is a conflict and changes nothing", async () => {
      const store = await create();
      const v1 = await store.set(key, cursor, undefined);
      const v2 = await store.set(key, { ...cursor, offset: 150, lines: 4 }, v1);
      await expect(store.set(key, { ...cursor, offset: 999 }, v1)).rejects.toBeInstanceOf(
        BlobCursorConflictError,
      );
      await expect(store.set(key, cursor, undefined)).rejects.toBeInstanceOf(BlobCursorConflictError);
      expect(await store.get(key)).toEqual({ cursor: { ...cursor, offset: 150, lines: 4 }, version: v2 });
    });
  });
}
