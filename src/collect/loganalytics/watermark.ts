/**
 * How far each source has been read, persisted between runs. Writes are conditional on the etag read
 * (optimistic concurrency): of two overlapping runs only one advances a watermark, so the other knows its
 * results overlap and must not be notified twice. The timer implements this on Table storage.
 */
export interface WatermarkRecord {
  /** Epoch ms: everything ingested at or before this has been read. */
  valueMs: number;
  etag: string;
}

export interface WatermarkStore {
  get(key: string): Promise<WatermarkRecord | undefined>;
  /**
   * Stores `valueMs` if the stored etag still equals `expectedEtag` (undefined: the key must not exist yet).
   * Returns the new etag; throws WatermarkConflictError when another writer got there first.
   */
  set(key: string, valueMs: number, expectedEtag: string | undefined): Promise<string>;
}

export class WatermarkConflictError extends Error {
  override name = "WatermarkConflictError";
  constructor(readonly key: string) {
    super(`watermark '${key}' was advanced by another run; this run's results overlap and must be discarded`);
  }
}

export class InMemoryWatermarkStore implements WatermarkStore {
  private readonly records = new Map<string, WatermarkRecord>();
  private version = 0;

  async get(key: string): Promise<WatermarkRecord | undefined> {
    const r = this.records.get(key);
    return r ? { ...r } : undefined;
  }

  async set(key: string, valueMs: number, expectedEtag: string | undefined): Promise<string> {
    const current = this.records.get(key);
    if (current?.etag !== expectedEtag) throw new WatermarkConflictError(key);
    const etag = `W/"${++this.version}"`;
    this.records.set(key, { valueMs, etag });
    return etag;
  }
}

/** Watermark key of one Log Analytics workspace (one per workspace: each has its own ingestion clock). */
export function workspaceWatermarkKey(workspaceId: string): string {
  return `loganalytics:${workspaceId.toLowerCase()}`;
}
