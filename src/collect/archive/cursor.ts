/**
 * How far each archive blob has been read. Diagnostic settings append to the blob of the current hour,
 * and the previous hour's blob can still grow after rollover (reference §2), so a blob is read in several
 * steps: `offset` is the byte just after the last complete line consumed. Writes are conditional on the
 * version read (optimistic concurrency), so two overlapping runs never both consume the same bytes.
 * The timer implements this on Table storage.
 */
export interface BlobCursor {
  /** Bytes consumed: always the end of a complete line. */
  offset: number;
  /** The blob's ETag when it was read up to `offset`: unchanged ETag and size means nothing new. */
  blobEtag: string;
  /** The blob's size then (bytes past `offset` are an incomplete last line). */
  blobSize: number;
  /** Lines consumed, so that a rejected record is reported with its line number in the blob. */
  lines: number;
}

export interface BlobCursorRecord {
  cursor: BlobCursor;
  /** Version of the stored record, for conditional writes. */
  version: string;
}

export interface BlobCursorStore {
  get(blobKey: string): Promise<BlobCursorRecord | undefined>;
  /** Stores the cursor if the stored version still equals `expectedVersion` (undefined: must not exist). */
  set(blobKey: string, cursor: BlobCursor, expectedVersion: string | undefined): Promise<string>;
}

export class BlobCursorConflictError extends Error {
  override name = "BlobCursorConflictError";
  constructor(readonly blobKey: string) {
    super(
      `blob cursor '${blobKey}' was advanced by another run; this run's records overlap and must be discarded`,
    );
  }
}

export class InMemoryBlobCursorStore implements BlobCursorStore {
  private readonly records = new Map<string, BlobCursorRecord>();
  private version = 0;

  async get(blobKey: string): Promise<BlobCursorRecord | undefined> {
    const r = this.records.get(blobKey);
    return r ? { cursor: { ...r.cursor }, version: r.version } : undefined;
  }

  async set(blobKey: string, cursor: BlobCursor, expectedVersion: string | undefined): Promise<string> {
    if (this.records.get(blobKey)?.version !== expectedVersion) throw new BlobCursorConflictError(blobKey);
    const version = String(++this.version);
    this.records.set(blobKey, { cursor: { ...cursor }, version });
    return version;
  }
}
