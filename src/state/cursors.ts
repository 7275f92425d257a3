import { BlobCursorConflictError, type BlobCursor, type BlobCursorStore } from "../collect/archive/cursor.js";
import { WatermarkConflictError, type WatermarkStore } from "../collect/loganalytics/watermark.js";
import { ConcurrencyError, type TriageStore } from "./store.js";

/**
 * The production sources' cursor interfaces on the timer's store (Table storage in Azure): the Log
 * Analytics ingestion watermarks and the archive blobs' read offsets. Both keep the sources' own
 * conditional-write contract: a stale etag/version raises the source's conflict error.
 */
export function watermarkStoreOn(store: TriageStore): WatermarkStore {
  const name = (key: string) => `la-watermark:${key}`;
  return {
    async get(key) {
      const w = await store.getWatermark(name(key));
      if (!w) return undefined;
      const valueMs = Number(w.value);
      return Number.isFinite(valueMs) ? { valueMs, etag: w.etag } : undefined;
    },
    async set(key, valueMs, expectedEtag) {
      try {
        return await store.putWatermark(name(key), String(valueMs), expectedEtag ?? null);
      } catch (err) {
        if (err instanceof ConcurrencyError) throw new WatermarkConflictError(key);
        throw err;
      }
    },
  };
}

export function blobCursorStoreOn(store: TriageStore): BlobCursorStore {
  const name = (key: string) => `blob-cursor:${key}`;
  return {
    async get(blobKey) {
      const w = await store.getWatermark(name(blobKey));
      if (!w) return undefined;
      return { cursor: JSON.parse(w.value) as BlobCursor, version: w.etag };
    },
    async set(blobKey, cursor, expectedVersion) {
      try {
        return await store.putWatermark(name(blobKey), JSON.stringify(cursor), expectedVersion ?? null);
      } catch (err) {
        if (err instanceof ConcurrencyError) throw new BlobCursorConflictError(blobKey);
        throw err;
      }
    },
  };
}
