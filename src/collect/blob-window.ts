import type { ContainerClient } from "@azure/storage-blob";
import type { Clock } from "../clock.js";
import type { RejectionSink } from "../engine/contracts.js";
import { type BlobCursor, type BlobCursorStore, BlobCursorConflictError } from "./archive/cursor.js";
import { commitAll } from "./commit-all.js";
import { mapOrdered } from "./map-ordered.js";

/**
 * Windowed reading of hour-partitioned log blobs, shared by every blob source (the diagnostic-settings
 * archive `…/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`, classic `$logs` `blob/YYYY/MM/DD/hhmm/NNNNNN.log`).
 * A run costs list calls and bytes in proportion to its window and the number of logged accounts, never
 * to the history kept in the container.
 *
 * Interface:
 * - `BlobWindowLayout` describes a layout: which path segment starts the time partitions, and the
 *   prefix of one UTC hour (and optionally one UTC day) below a root.
 * - `listRoots(container, layout)` finds the roots: the prefixes whose children are time partitions
 *   (one per logged resource/service), never listing inside the time partitions. With the layout's
 *   `rootDelimiter` that is one listing for every root at once; otherwise a walk by `/`, one call per
 *   folder above the roots.
 * - `windowPrefixes(layout, window)` is the prefixes that cover exactly the hours touching the window
 *   (a day's prefix when the window covers most of that day and the layout has one).
 * - `listWindowBlobs(targets, layout, window)` streams the blobs of those prefixes under every root of
 *   every target (account × container), with list calls in flight in parallel (bounded).
 * - `readWindowedBlobs(targets, layout, options, deps, onLine)` reads what is new in each of them since
 *   its cursor (`BlobCursorStore`, keyed by `blobKey`), with up to `downloadConcurrency` downloads in
 *   flight across blobs and accounts, and hands complete lines to `onLine` blob by blob in listing order
 *   (so results do not depend on network timing). Cursors advance only through `commit()`.
 * - `mapOrdered(source, concurrency, fn)` (src/collect/map-ordered.ts) is the bounded, order-keeping pool
 *   underneath.
 *
 * A layout for another source is four small functions: see `ARCHIVE_LAYOUT` (archive/paths.ts) and, for
 * classic `$logs` (`isTimeSegment` /^\d{4}\/$/, `hourPrefix` `YYYY/MM/DD/HH` which also matches the
 * `hh00` folders, `dayPrefix` `YYYY/MM/DD/`), `CLASSIC_LAYOUT` in classic-source.ts.
 *
 * Memory: at most `concurrency` list pages and `downloadConcurrency` paused response streams (their
 * buffers, not whole blobs), plus one summary per blob read.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface BlobWindowLayout {
  /** True when a child segment (e.g. `y=2026/`, `2026/`) starts the time partitions below a root. */
  isTimeSegment(segment: string): boolean;
  /**
   * A string that occurs in a blob name only where its time partitions start, beginning with `/` (the
   * archive's `/y=`). When given, the roots come from one listing with it as the delimiter (one call per
   * 5 000 roots) instead of a walk folder by folder.
   */
  rootDelimiter?: string;
  /** Prefix, relative to a root, of every blob of the UTC hour starting at `hourMs`. */
  hourPrefix(hourMs: number): string;
  /** Prefix, relative to a root, of every blob of the UTC day starting at `dayMs` (one list call a day). */
  dayPrefix?(dayMs: number): string;
  /** Start of the hour a blob (full name) covers, or undefined for a blob that is not a log blob. */
  hourOf(name: string): number | undefined;
  /** The storage account whose logs a blob holds (lower case), for the input check of listed accounts. */
  accountOf?(blob: WindowBlob): string | undefined;
}

/** Accounts remembered as having logs in the window; past this the input check is skipped, not guessed. */
export const MAX_ACCOUNTS_LISTED = 10_000;

/** Times are epoch ms; a blob belongs to the window when its hour overlaps [fromMs, toMs]. */
export interface BlobWindow {
  fromMs: number;
  toMs: number;
}

/** One container of one account to read. */
export interface BlobWindowTarget {
  /** Account name, for cursor keys (lower-cased there). */
  accountName: string;
  container: ContainerClient;
}

export interface WindowBlob {
  target: BlobWindowTarget;
  name: string;
  hourMs: number;
  size: number;
  etag: string;
}

export interface BlobWindowListOptions {
  /** List calls in flight at once (default 8). */
  listConcurrency?: number;
  /** Counts list calls, e.g. for run summaries and tests. */
  onListCall?: () => void;
}

/** Deepest root the walk looks for (the archive's is 11 segments down). */
const MAX_ROOT_DEPTH = 16;
const DEFAULT_CONCURRENCY = 8;
/** A day whose window covers at least this many hours is listed with one call instead of one per hour. */
const DAY_LISTING_MIN_HOURS = 6;

const pad = (n: number) => String(n).padStart(2, "0");

/** `{ y, m, d, h }` of a UTC instant, zero-padded, for layouts' prefix functions. */
export function utcParts(ms: number): { y: string; m: string; d: string; h: string } {
  const t = new Date(ms);
  return {
    y: String(t.getUTCFullYear()),
    m: pad(t.getUTCMonth() + 1),
    d: pad(t.getUTCDate()),
    h: pad(t.getUTCHours()),
  };
}

/**
 * utcParts' inverse: the UTC instant of the year, month, day and (when matched) hour a path's pattern
 * captured in its groups 1 to 4, or undefined when it did not match.
 */
export function utcOfParts(m: RegExpExecArray | null): number | undefined {
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0));
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The prefixes covering every hour that overlaps the window, in time order. A day the window covers
 * for at least DAY_LISTING_MIN_HOURS hours is listed by its day prefix when the layout has one (the
 * blobs outside the window are then filtered by `hourOf`).
 */
export function windowPrefixes(layout: BlobWindowLayout, window: BlobWindow): string[] {
  if (!(window.toMs >= window.fromMs)) return [];
  const firstHour = Math.floor(window.fromMs / HOUR_MS) * HOUR_MS;
  const lastHour = Math.floor(window.toMs / HOUR_MS) * HOUR_MS;
  const prefixes: string[] = [];
  for (let day = Math.floor(firstHour / DAY_MS) * DAY_MS; day <= lastHour; day += DAY_MS) {
    const from = Math.max(day, firstHour);
    const to = Math.min(day + DAY_MS - HOUR_MS, lastHour);
    const hours = (to - from) / HOUR_MS + 1;
    if (layout.dayPrefix && hours >= DAY_LISTING_MIN_HOURS) prefixes.push(layout.dayPrefix(day));
    else for (let h = from; h <= to; h += HOUR_MS) prefixes.push(layout.hourPrefix(h));
  }
  return prefixes;
}

interface Level {
  prefix: string;
  isRoot: boolean;
  children: string[];
}

async function listLevel(
  container: ContainerClient,
  layout: BlobWindowLayout,
  prefix: string,
  onListCall: (() => void) | undefined,
): Promise<Level> {
  const children: string[] = [];
  let isRoot = false;
  for await (const page of container.listBlobsByHierarchy("/", { prefix }).byPage()) {
    onListCall?.();
    for (const p of page.segment.blobPrefixes ?? []) {
      if (layout.isTimeSegment(p.name.slice(prefix.length))) isRoot = true;
      else children.push(p.name);
    }
  }
  // A root's other children are not walked: roots do not nest.
  return { prefix, isRoot, children: isRoot ? [] : children };
}

/** The roots of a container (see the module comment), depth first, in listing order. */
export async function* listRoots(
  container: ContainerClient,
  layout: BlobWindowLayout,
  options: BlobWindowListOptions = {},
): AsyncGenerator<string> {
  const concurrency = options.listConcurrency ?? DEFAULT_CONCURRENCY;
  const delimiter = layout.rootDelimiter;
  if (delimiter !== undefined) {
    // Blob names collapse at their first `delimiter`: Azure answers ".../DEFAULT/y=" for every blob of
    // that resource, Azurite ".../DEFAULT/" (it cuts after the delimiter's first character); both give
    // the root ".../DEFAULT/".
    for await (const page of container.listBlobsByHierarchy(delimiter).byPage()) {
      options.onListCall?.();
      for (const p of page.segment.blobPrefixes ?? [])
        yield p.name.endsWith(delimiter) ? p.name.slice(0, p.name.length - delimiter.length + 1) : p.name;
    }
    return;
  }
  async function* walk(prefixes: string[], depth: number): AsyncGenerator<string> {
    if (depth > MAX_ROOT_DEPTH) return;
    for await (const level of mapOrdered(prefixes, concurrency, (p) =>
      listLevel(container, layout, p, options.onListCall),
    )) {
      if (level.isRoot) yield level.prefix;
      else if (level.children.length > 0) yield* walk(level.children, depth + 1);
    }
  }
  yield* walk([""], 0);
}

/**
 * Every log blob of the window under every root of every target, in order (target, root, time). Only
 * the window's prefixes are listed; a blob listed there whose hour is outside the window is skipped.
 */
export async function* listWindowBlobs(
  targets: readonly BlobWindowTarget[],
  layout: BlobWindowLayout,
  window: BlobWindow,
  options: BlobWindowListOptions = {},
): AsyncGenerator<WindowBlob> {
  const prefixes = windowPrefixes(layout, window);
  const firstHour = Math.floor(window.fromMs / HOUR_MS) * HOUR_MS;
  const concurrency = options.listConcurrency ?? DEFAULT_CONCURRENCY;
  async function* prefixesOf(
    target: BlobWindowTarget,
  ): AsyncGenerator<{ target: BlobWindowTarget; prefix: string }> {
    if (!(await target.container.exists())) return;
    for await (const root of listRoots(target.container, layout, options)) {
      for (const p of prefixes) yield { target, prefix: root + p };
    }
  }
  async function* all(): AsyncGenerator<{ target: BlobWindowTarget; prefix: string }> {
    for (const target of targets) yield* prefixesOf(target);
  }
  const listed = mapOrdered(all(), concurrency, async ({ target, prefix }) => {
    const blobs: WindowBlob[] = [];
    for await (const page of target.container.listBlobsFlat({ prefix }).byPage()) {
      options.onListCall?.();
      for (const item of page.segment.blobItems) {
        const hourMs = layout.hourOf(item.name);
        if (hourMs === undefined || hourMs < firstHour || hourMs > window.toMs) continue;
        blobs.push({
          target,
          name: item.name,
          hourMs,
          size: item.properties.contentLength ?? 0,
          etag: item.properties.etag ?? "",
        });
      }
    }
    return blobs;
  });
  for await (const blobs of listed) yield* blobs;
}

// ---------------------------------------------------------------------------------------------------
// Reading with per-blob cursors

/** The cursor key of a blob: account, container and name identify it across runs. */
export function blobKey(accountName: string, container: string, name: string): string {
  return `${accountName.toLowerCase()}/${container}/${name}`;
}

export interface WindowedReadOptions extends BlobWindowListOptions {
  window: BlobWindow;
  /** A blob whose hour started this long ago no longer grows; a partial last line there is truncated. */
  closedAfterHours: number;
  /** Downloads in flight at once, across blobs and accounts (default 8). */
  downloadConcurrency?: number;
  /** Whether an unterminated last line is a whole record (e.g. it parses); Azure may omit the last newline. */
  isCompleteLastLine(tail: Buffer): boolean;
}

export interface WindowedReadDeps {
  clock: Clock;
  cursors: BlobCursorStore;
  /** Blob-level problems (shrunk blob, truncated last line); line-level ones are `onLine`'s. */
  rejections: RejectionSink;
}

export interface BlobReadSummary {
  container: string;
  name: string;
  fromOffset: number;
  toOffset: number;
  records: number;
  /** Bytes of an incomplete last line left for the next run. */
  pendingBytes: number;
}

export interface WindowedReadResult {
  blobsListed: number;
  /**
   * Accounts with at least one log blob of an hour in the window, read or not (sorted, lower case); absent
   * when the layout cannot tell or more than MAX_ACCOUNTS_LISTED have.
   */
  accountsListed?: string[];
  blobsRead: BlobReadSummary[];
  /** List calls made (roots and window prefixes). */
  listCalls: number;
  /** Bytes downloaded. */
  bytesRead: number;
  /** Advances the blob cursors (conditional on the versions read); call after the lines were used. */
  commit(): Promise<void>;
}

/** The file name rejections use for a blob: `container/name`. */
export function blobFile(blob: WindowBlob): string {
  return `${blob.target.container.containerName}/${blob.name}`;
}

/**
 * Handles one complete line (newline and a trailing CR removed) of `blob`; `lineNumber` is 1-based
 * within the blob. Returns true when the line counted as a record.
 */
export type WindowLineHandler = (blob: WindowBlob, line: Buffer, lineNumber: number) => boolean;

type Opened =
  | { kind: "skip" }
  | { kind: "remember"; commit: () => Promise<void> }
  | {
      kind: "read";
      blob: WindowBlob;
      fromOffset: number;
      firstLine: number;
      closed: boolean;
      stream: NodeJS.ReadableStream;
      etag: string;
      commitWith: (next: BlobCursor) => () => Promise<void>;
    };

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Splits a byte stream into lines without decoding across chunk borders; returns the unterminated tail. */
async function consumeLines(
  stream: NodeJS.ReadableStream,
  firstLineNumber: number,
  line: (bytes: Buffer, lineNumber: number) => void,
): Promise<{ consumedBytes: number; lines: number; tail: Buffer; bytes: number }> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let consumedBytes = 0;
  let bytes = 0;
  let lineNumber = firstLineNumber;
  for await (const raw of stream) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : (raw as Buffer);
    bytes += chunk.length;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      const whole = pendingLength > 0 ? Buffer.concat([...pending, piece]) : piece;
      consumedBytes += whole.length + 1;
      pending = [];
      pendingLength = 0;
      line(whole, lineNumber++);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      pending.push(Buffer.from(rest));
      pendingLength += rest.length;
    }
  }
  return { consumedBytes, lines: lineNumber - firstLineNumber, tail: Buffer.concat(pending), bytes };
}

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * Reads what is new in every blob of the window (see the module comment). A blob is read from its
 * cursor; an unchanged blob is skipped unless a partial last line waits there and its hour has closed.
 */
export async function readWindowedBlobs(
  targets: readonly BlobWindowTarget[],
  layout: BlobWindowLayout,
  options: WindowedReadOptions,
  deps: WindowedReadDeps,
  onLine: WindowLineHandler,
): Promise<WindowedReadResult> {
  const nowMs = deps.clock.now().getTime();
  let listCalls = 0;
  let bytesRead = 0;
  let blobsListed = 0;
  const blobsRead: BlobReadSummary[] = [];
  const pendingCommits: Array<() => Promise<void>> = [];
  const listOptions: BlobWindowListOptions = {
    listConcurrency: options.listConcurrency ?? DEFAULT_CONCURRENCY,
    onListCall: () => {
      listCalls++;
      options.onListCall?.();
    },
  };

  const open = async (blob: WindowBlob): Promise<Opened> => {
    const container = blob.target.container.containerName;
    const key = blobKey(blob.target.accountName, container, blob.name);
    const stored = await deps.cursors.get(key);
    const cursor = stored?.cursor;
    const closed = blob.hourMs + options.closedAfterHours * HOUR_MS <= nowMs;
    const unchanged = cursor !== undefined && cursor.blobEtag === blob.etag && cursor.blobSize === blob.size;
    if (unchanged && (cursor.offset === blob.size || !closed)) return { kind: "skip" };
    const commitWith = (next: BlobCursor) => async () =>
      void (await deps.cursors.set(key, next, stored?.version));
    let fromOffset = cursor?.offset ?? 0;
    let firstLine = (cursor?.lines ?? 0) + 1;
    if (blob.size < fromOffset) {
      deps.rejections.reject({
        file: blobFile(blob),
        line: 0,
        field: "(blob)",
        reason: `blob shrank from ${fromOffset} to ${blob.size} bytes (replaced?); read again from the start`,
      });
      fromOffset = 0;
      firstLine = 1;
    }
    if (blob.size === fromOffset && cursor) {
      // Nothing past the offset (only the ETag changed, or a pending partial line vanished): remember
      // the blob as it is; a range read at the end of a blob would be refused (416).
      return {
        kind: "remember",
        commit: commitWith({ ...cursor, blobEtag: blob.etag, blobSize: blob.size }),
      };
    }
    const download = await blob.target.container.getBlobClient(blob.name).download(fromOffset);
    return {
      kind: "read",
      blob,
      fromOffset,
      firstLine,
      closed,
      stream: download.readableStreamBody!,
      etag: download.etag ?? blob.etag,
      commitWith,
    };
  };

  const blobs = listWindowBlobs(targets, layout, options.window, listOptions);
  const accounts = layout.accountOf ? new Set<string>() : undefined;
  const counted = (async function* () {
    for await (const b of blobs) {
      blobsListed++;
      if (accounts && accounts.size <= MAX_ACCOUNTS_LISTED) {
        const account = layout.accountOf!(b);
        if (account) accounts.add(account);
      }
      yield b;
    }
  })();
  const discard = (o: Opened) => {
    if (o.kind === "read") (o.stream as NodeJS.ReadableStream & { destroy?(): void }).destroy?.();
  };
  for await (const opened of mapOrdered(
    counted,
    options.downloadConcurrency ?? DEFAULT_CONCURRENCY,
    open,
    discard,
  )) {
    if (opened.kind === "skip") continue;
    if (opened.kind === "remember") {
      pendingCommits.push(opened.commit);
      continue;
    }
    const { blob, fromOffset, firstLine } = opened;
    let records = 0;
    const handle = (bytes: Buffer, lineNumber: number) => {
      if (onLine(blob, withoutCr(bytes), lineNumber)) records++;
    };
    const { consumedBytes, lines, tail, bytes } = await consumeLines(opened.stream, firstLine, handle);
    bytesRead += bytes;
    let toOffset = fromOffset + consumedBytes;
    let lineCount = firstLine - 1 + lines;
    let pendingBytes = tail.length;
    if (tail.length > 0) {
      const complete = options.isCompleteLastLine(tail);
      if (complete || opened.closed) {
        if (complete) handle(tail, lineCount + 1);
        else
          deps.rejections.reject({
            file: blobFile(blob),
            line: lineCount + 1,
            field: "(record)",
            reason: `truncated last line (${tail.length} bytes) in a blob whose hour is closed`,
          });
        toOffset += tail.length;
        lineCount += 1;
        pendingBytes = 0;
      }
    }
    blobsRead.push({
      container: blob.target.container.containerName,
      name: blob.name,
      fromOffset,
      toOffset,
      records,
      pendingBytes,
    });
    pendingCommits.push(
      opened.commitWith({
        offset: toOffset,
        blobEtag: opened.etag,
        blobSize: toOffset + pendingBytes,
        lines: lineCount,
      }),
    );
  }

  return {
    blobsListed,
    ...(accounts && accounts.size <= MAX_ACCOUNTS_LISTED ? { accountsListed: [...accounts].sort() } : {}),
    blobsRead,
    listCalls,
    bytesRead,
    commit: () =>
      commitAll(
        pendingCommits,
        (err) => (err instanceof BlobCursorConflictError ? err.blobKey : undefined),
        (keys) => new BlobCursorConflictError(keys),
      ),
  };
}
