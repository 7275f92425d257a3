// The success-row skim in WebAssembly (AssemblyScript; compiled by `npm run build:wasm` into
// ../skim-wasm.ts). The JavaScript side (../json-lines-skim.ts) documents what a row must be to be taken;
// this file does the byte work: it splits a run of UTF-8 lines, checks each line (only ASCII ones are
// read), finds the keys of its layout, interns their text values and hashes the row's caller key, so
// that JavaScript gets one string per distinct value rather than ~13 strings per row, and none for a
// caller it will not keep. For the lines it declines (401/403s, nearly all), `locate` finds where every
// field the full reader reads lies in the line (../field-locator.ts). Memory is laid out by hand (no
// allocator): offsets below, sizes fixed.

// ---- Memory layout (bytes) ----
/** Key patterns, 64 bytes each: [length i32][bytes]. Written by JavaScript before the first scan. */
const KEYS: i32 = 1024;
const KEY_BYTES: i32 = 64;
/** Per layout: how many slots it searches, then their order. */
const ORDERS: i32 = KEYS + KEY_BYTES * 32;
/** Per layout: where each slot's key was found in the line read last. */
const POSITIONS: i32 = ORDERS + 2 * 64;
/** Per layout: the value of each slot in the line read last, two i32 each (see ROW_VALUES). */
const VALUES: i32 = POSITIONS + 2 * 64;
/** Per slot, one byte: 1 to intern its values, 0 to locate them (values that seldom repeat). Then scratch. */
const INTERNED: i32 = VALUES + 2 * 128;
/** One row of results per line: ROW_INTS i32. */
const ROWS: i32 = 8192;
const ROW_INTS: i32 = 38;
const MAX_ROWS: i32 = 4096;
/** The intern table: open addressing, [hash u32, id u32] per slot. */
const TABLE: i32 = ROWS + MAX_ROWS * ROW_INTS * 4;
const TABLE_SLOTS: i32 = 1 << 14;
/** Per id: [offset i32, length i32] of its bytes in the arena. */
const ENTRIES: i32 = TABLE + TABLE_SLOTS * 8;
/** Ids are handed out up to half the table's slots, so a probe stays short. */
const MAX_IDS: i32 = TABLE_SLOTS >> 1;
const ARENA: i32 = ENTRIES + MAX_IDS * 8;
const ARENA_BYTES: i32 = 1 << 20;
/** Field location (see `locate`): the key matchers, written by JavaScript once. */
const MATCHERS: i32 = ARENA + ARENA_BYTES;
const MATCHERS_BYTES: i32 = 1 << 14;
/** Field location: the values found in the line read last, FOUND_INTS i32 each. */
const FOUND: i32 = MATCHERS + MATCHERS_BYTES;
const FOUND_INTS: i32 = 4;
const MAX_FOUND: i32 = 256;
/**
 * The run of lines being read (or the one line located); the memory grows (from JavaScript) to fit. A
 * skim-ahead thread's module reads each window where the thread read it, in the ring's memory
 * (`setInput`), rather than a copy here.
 */
const INPUT: i32 = FOUND + MAX_FOUND * FOUND_INTS * 4;

// ---- Slots: the order of LEAN_REQUEST_FIELDS (../../storage-records.ts), the time read from its column ----
const TIME: i32 = 0;
const STATUS: i32 = 4;
const RESOURCE_ID: i32 = 13;
const CALLER_IP: i32 = 8;
const STATUS_TEXT: i32 = 5;
const AUTH_TYPE: i32 = 6;
const AUTH_HASH: i32 = 7;
const OPERATION_VERSION: i32 = 10;
const OBJECT_ID: i32 = 12;
const SLOTS: i32 = 14;
/** Key ids past the two layouts' slot keys (0–13 Log Analytics, 14–27 archive). */
const IDENTITY_KEY: i32 = 28;
const REQUESTER_KEY: i32 = 29;
const OBJECT_ID_KEY: i32 = 30;
const TABLE_KEY: i32 = 31;
const LOG_ANALYTICS: i32 = 0;
const ARCHIVE: i32 = 1;

// ---- Row fields (i32 index within a row) ----
// 0 line start, 1 line end (offsets into the run), 2 layout + 1 when taken (declined: DECLINED_ASCII
// when every byte of the line is ASCII, DECLINED_AUTH_FAILURE when it is also a 401/403, else 0),
// 3 status, 4 hour id, 5 ms within the hour (-1 unless the time has the common shape),
// 6 time start, 7 time length, then two i32 per slot from ROW_VALUES: an interned slot's value id
// (0 absent) and 0; a located slot's start in the run and length (0 absent). Then the caller key's
// hash and kind (ROW_CALLER_KEY).
const ROW_VALUES: i32 = 8;
/** A declined line all ASCII: its reader need not look at its bytes again to decode them as latin1. */
const DECLINED_ASCII: i32 = -1;
/** A declined line all ASCII whose status is 401 or 403: its reader reads it in full at once. */
const DECLINED_AUTH_FAILURE: i32 = -2;
const ROW_CALLER_KEY: i32 = ROW_VALUES + 2 * SLOTS;

/** Value ids: 0 absent (absent, null or ""), then interned texts from 1. */
let nextId: i32 = 1;
let arenaTop: i32 = ARENA;
/** Set when the intern table may not hold the next line's values: the scan stops before that line. */
let full: bool = false;
/** Where the next scan resumes, as an offset into the run. */
let resumeAt: i32 = 0;
/** Where the run starts: INPUT, or where `setInput` put it. */
let input: i32 = INPUT;

export function inputOffset(): i32 {
  return INPUT;
}
/** Reads the next runs at `at` (READ_PAST bytes after them readable), until set again. */
export function setInput(at: i32): void {
  input = at;
}
export function keysOffset(): i32 {
  return KEYS;
}
export function internedOffset(): i32 {
  return INTERNED;
}
export function rowsOffset(): i32 {
  return ROWS;
}
export function entriesOffset(): i32 {
  return ENTRIES;
}
export function maxIds(): i32 {
  return MAX_IDS;
}
export function rowInts(): i32 {
  return ROW_INTS;
}
export function isFull(): bool {
  return full;
}
export function resumeOffset(): i32 {
  return resumeAt;
}
/** The next value id and the arena's top: what was interned since they were last read (skim-ahead.ts). */
export function nextValueId(): i32 {
  return nextId;
}
export function arenaEnd(): i32 {
  return arenaTop;
}

/** Forgets every interned value (JavaScript forgets their strings too). */
export function resetInterned(): void {
  memory.fill(TABLE, 0, TABLE_SLOTS * 8);
  nextId = 1;
  arenaTop = ARENA;
  full = false;
}

/** Sets each layout's search order to slot order, skipping slots without a key. */
export function initOrders(): void {
  for (let layout = 0; layout < 2; layout++) {
    const order = ORDERS + layout * 64;
    let n = 0;
    for (let slot = 0; slot < SLOTS; slot++) {
      if (load<i32>(keyAt(layout * SLOTS + slot)) > 0) {
        store<i32>(order + 4 + n * 4, slot);
        n++;
      }
    }
    store<i32>(order, n);
  }
  resetInterned();
}

function keyAt(id: i32): i32 {
  return KEYS + id * KEY_BYTES;
}

/**
 * Where `key` ("name": as bytes) starts at or after `from` and ends by `limit`, or -1. A 16-byte compare
 * of the key's first letter and its colon picks candidates, which are then compared whole.
 */
function findKey(from: i32, limit: i32, id: i32): i32 {
  const key = keyAt(id);
  const klen = load<i32>(key);
  const bytes = key + 4;
  const lastStart = limit - klen;
  if (from > lastStart) return -1;
  const first = i8x16.splat(load<u8>(bytes + 1));
  const colon = i8x16.splat(load<u8>(bytes + klen - 1));
  for (let i = from; i <= lastStart; i += 16) {
    let mask = i8x16.bitmask(
      v128.and(i8x16.eq(v128.load(i + 1), first), i8x16.eq(v128.load(i + klen - 1), colon)),
    );
    while (mask != 0) {
      const p = i + ctz(mask);
      if (p > lastStart) return -1;
      if (sameBytes(p, bytes, klen)) {
        // A quote after a backslash may be escaped, inside a string: the line is left to the full reader.
        if (lineHasBackslash && load<u8>(p - 1) == 92) escapedKey = true;
        return p;
      }
      mask &= mask - 1;
    }
  }
  return -1;
}

/**
 * Whether the `len` bytes at `a` and at `b` are the same, compared 16 at a time; the last block overlaps
 * the one before it, or is masked when `len` is under 16 (both sides may be read past `len`: the run has
 * READ_PAST bytes after it, a key its 64-byte slot, the arena its input).
 */
function sameBytes(a: i32, b: i32, len: i32): bool {
  if (len < 16) {
    const equal = i8x16.bitmask(i8x16.eq(v128.load(a), v128.load(b)));
    const wanted = (1 << len) - 1;
    return (equal & wanted) == wanted;
  }
  let i = 0;
  for (; i + 16 <= len; i += 16)
    if (v128.any_true(v128.xor(v128.load(a + i), v128.load(b + i)))) return false;
  return i == len || !v128.any_true(v128.xor(v128.load(a + len - 16), v128.load(b + len - 16)));
}

/**
 * The first `"` or backslash in [from, end), or `end`. A string value read ends at its first `"` when
 * it holds no backslash; one that does is not its bytes (an escape), and its readers decline it.
 */
function closingQuote(from: i32, end: i32): i32 {
  const quote = i8x16.splat(34);
  const backslash = i8x16.splat(92);
  let i = from;
  for (; i + 16 <= end; i += 16) {
    const block = v128.load(i);
    const m = i8x16.bitmask(v128.or(i8x16.eq(block, quote), i8x16.eq(block, backslash)));
    if (m != 0) return i + ctz(m);
  }
  for (; i < end; i++) {
    const c = load<u8>(i);
    if (c == 34 || c == 92) return i;
  }
  return end;
}

/** Where the value of key `id` starts (just after its colon), or -1. */
function valueAt(from: i32, limit: i32, id: i32): i32 {
  const k = findKey(from, limit, id);
  return k < 0 ? -1 : pastBlanks(k + load<i32>(keyAt(id)));
}

/**
 * Past the spaces and tabs after a key's colon, as Python's json.dumps writes `"key": value`. A line
 * ends with `}`, so this stops inside it.
 */
function pastBlanks(at: i32): i32 {
  let c = load<u8>(at);
  while (c == 32 || c == 9) c = load<u8>(++at);
  return at;
}

function startsWithNull(at: i32, end: i32): bool {
  return at + 4 <= end && load<u32>(at) == 0x6c6c756e;
}

const GIVE_UP: i32 = -1;

/**
 * Whether the line being read holds a backslash. Real records do: Storage logs every ETag in its quotes
 * (`"etag":"\"0x8D…\""`), and an export writes a dynamic column as JSON text. Such a line is read all
 * the same, but a key found right after a backslash may be an escaped quote inside a string (or a key of
 * its own): then `escapedKey` is set and the line is declined.
 */
let lineHasBackslash: bool = false;
/** Set when a key was found right after a backslash, in the line being read. */
let escapedKey: bool = false;

/**
 * Just past the closing quote of the string readText or readTime read last (or where its value began):
 * the next key is searched from there, as no key can start inside that string (it holds no backslash,
 * so its first `"` closes it). Searching from the value's start went over each value a second time: a
 * third of the bytes the key search covered.
 */
let textEnd: i32 = 0;

/**
 * Text at `at` as the full reader reads it into `value` (two i32, as in a row): absent for absent, null
 * or "". False when it is not text.
 */
function readText(at: i32, end: i32, interned: bool, value: i32): bool {
  store<i32>(value, 0);
  store<i32>(value, 0, 4);
  textEnd = at;
  if (at < 0) return true;
  if (at < end && load<u8>(at) == 34) {
    const close = closingQuote(at + 1, end);
    if (close >= end || load<u8>(close) != 34) return false;
    textEnd = close + 1;
    const len = close - at - 1;
    if (len == 0) return true;
    if (interned) store<i32>(value, intern(at + 1, len));
    else {
      store<i32>(value, at + 1 - input);
      store<i32>(value, len, 4);
    }
    return true;
  }
  return startsWithNull(at, end);
}

/** What statusOf answers for a 401 or a 403 (negative: the line is declined, as for no status). */
const AUTH_FAILURE: i32 = -2;

/** A status other than 401/403: 100–599 as a number or a string of 3 digits; AUTH_FAILURE for 401/403; else -1. */
function statusOf(at: i32, end: i32): i32 {
  if (at < 0) return -1;
  const quoted = at < end && load<u8>(at) == 34;
  const d = quoted ? at + 1 : at;
  if (d + 3 >= end) return -1;
  const after = load<u8>(d + 3);
  if (quoted ? after != 34 : after != 44 && after != 125) return -1;
  const a = <i32>load<u8>(d) - 48;
  const b = <i32>load<u8>(d + 1) - 48;
  const c = <i32>load<u8>(d + 2) - 48;
  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  const status = a * 100 + b * 10 + c;
  return status == 401 || status == 403 ? AUTH_FAILURE : status;
}

/**
 * The id of bytes [at, at + len): the same id for the same bytes until the next reset. Its callers make
 * room first (`scan` before each line, `tableOf`), so running out here is a bug, and traps.
 */
function intern(at: i32, len: i32): i32 {
  // Sixteen bytes per step in two words, each multiplied on its own so that the two chains run side by
  // side (interning was a quarter of the module's time, and in one chain each multiply waited for the
  // last); the tail read as one word, the bytes past the value masked off.
  let x: u64 = 0x9e3779b97f4a7c15 ^ (<u64>len);
  let y: u64 = 0xc2b2ae3d27d4eb4f;
  let j = 0;
  for (; j + 16 <= len; j += 16) {
    x = (x ^ load<u64>(at + j)) * 0xff51afd7ed558ccd;
    y = (y ^ load<u64>(at + j + 8)) * 0xc4ceb9fe1a85ec53;
  }
  if (j + 8 <= len) {
    x = (x ^ load<u64>(at + j)) * 0xff51afd7ed558ccd;
    j += 8;
  }
  if (j < len)
    y = (y ^ (load<u64>(at + j) & (((<u64>1) << ((<u64>(len - j)) << 3)) - 1))) * 0xc4ceb9fe1a85ec53;
  x = (x ^ rotr<u64>(y, 29)) * 0xff51afd7ed558ccd;
  x ^= x >> 29;
  const h = <u32>(x ^ (x >> 32));
  let slot = h & (TABLE_SLOTS - 1);
  for (;;) {
    const e = TABLE + (slot << 3);
    const id = load<i32>(e, 4);
    if (id == 0) {
      if (nextId >= MAX_IDS || arenaTop + len > ARENA + ARENA_BYTES) unreachable();
      memory.copy(arenaTop, at, len);
      store<u32>(e, h);
      store<i32>(e, nextId, 4);
      const entry = ENTRIES + (nextId << 3);
      store<i32>(entry, arenaTop);
      store<i32>(entry, len, 4);
      arenaTop += len;
      return nextId++;
    }
    if (load<u32>(e) == h) {
      const entry = ENTRIES + (id << 3);
      if (load<i32>(entry, 4) == len && sameBytes(load<i32>(entry), at, len)) return id;
    }
    slot = (slot + 1) & (TABLE_SLOTS - 1);
  }
  return 0;
}

/**
 * Reads line [s, e) in `layout`: each slot's key searched from the end of the previous slot's value, in
 * the order the keys were last found in (learnt again when a line orders them otherwise). False to
 * decline.
 */
function readLayout(layout: i32, s: i32, e: i32, row: i32): bool {
  const order = ORDERS + layout * 64;
  const positions = POSITIONS + layout * 64;
  const values = VALUES + layout * 128;
  const n = load<i32>(order);
  let cursor = s;
  let reordered = false;
  let status = -1;
  for (let o = 0; o < n; o++) {
    const slot = load<i32>(order + 4 + o * 4);
    const id = layout * SLOTS + slot;
    let k = findKey(cursor, e, id);
    // Not found from the cursor: the part of the line before it is searched (a key starting there may
    // end past the cursor), so an absent key costs one pass over the line.
    if (k < 0 && cursor > s) {
      k = findKey(s, min(e, cursor - 1 + load<i32>(keyAt(id))), id);
      if (k >= 0) reordered = true;
    }
    let at = -1;
    if (k < 0 && layout == ARCHIVE && slot == AUTH_TYPE) {
      k = spacedIdentityType(s, e);
      at = spacedTypeValue;
      if (k < 0) {
        k = identityTypeByMembers(s, e);
        at = memberTypeValue;
      }
    }
    store<i32>(positions + slot * 4, k);
    if (k < 0) {
      store<i64>(values + slot * 8, 0);
      continue;
    }
    if (at < 0) at = pastBlanks(k + load<i32>(keyAt(id)));
    if (at > cursor) cursor = at;
    else reordered = true;
    if (slot == STATUS) {
      // A 401/403 (or a status that is not one) is declined whatever the rest says: no further search.
      status = statusOf(at, e);
      if (status == AUTH_FAILURE) store<i32>(row + 8, DECLINED_AUTH_FAILURE);
      if (status < 0) return false;
      continue;
    }
    if (slot == TIME) {
      const time = readTime(at, e, row);
      if (time == GIVE_UP) return false;
      store<i64>(values + slot * 8, time);
    } else if (!readText(at, e, load<u8>(INTERNED + slot) != 0, values + slot * 8)) return false;
    if (textEnd > cursor) cursor = textEnd;
  }
  if (reordered) learnOrder(layout);
  if (layout == ARCHIVE && !archiveNesting(s, e)) return false;
  store<i32>(row + 12, status);
  memory.copy(row + ROW_VALUES * 4, values, SLOTS * 8);
  return true;
}

/** Where the value of `type` starts, after spacedIdentityType found it. */
let spacedTypeValue: i32 = -1;

/**
 * The archive's `identity` written with blanks, as Python's json.dumps writes a record (`"identity":
 * {"type": "SAS"`), when the compact key `"identity":{"type":` is not in the line: where `"identity":`
 * starts, its first key being `type` (spacedTypeValue: where its value starts), or -1.
 */
function spacedIdentityType(s: i32, e: i32): i32 {
  spacedTypeValue = -1;
  const k = findKey(s, e, IDENTITY_KEY);
  if (k < 0) return -1;
  let at = pastBlanks(k + load<i32>(keyAt(IDENTITY_KEY)));
  if (load<u8>(at) != 123) return -1;
  at = pastBlanks(at + 1);
  // `"type":`, the compact key's last seven bytes.
  const compact = keyAt(ARCHIVE * SLOTS + AUTH_TYPE);
  if (at + 7 > e || !sameBytes(at, compact + 4 + load<i32>(compact) - 7, 7)) return -1;
  spacedTypeValue = pastBlanks(at + 7);
  return k;
}

/** Where the value of `type` starts, after identityTypeByMembers found it. */
let memberTypeValue: i32 = -1;
/** Just past the `}` of `identity` when identityTypeByMembers walked it this line, else -1. */
let identityClose: i32 = -1;

/**
 * `identity.type` wherever it stands among identity's own members, as records whose keys were sorted
 * (`jq -S`, Python's sort_keys, shippers that keep objects in sorted maps) write it: `type` after
 * `authorization`, `requester` and `tokenHash`. Where `"identity":` starts (memberTypeValue: where its
 * `type` starts), or -1. identity is walked whole as the field locator walks a line (objectAt): a
 * `type` nested deeper (an authorization's principals') is skipped with the value holding it, and
 * identity's end is learnt (identityClose).
 */
function identityTypeByMembers(s: i32, e: i32): i32 {
  memberTypeValue = -1;
  const k = findKey(s, e, IDENTITY_KEY);
  if (k < 0) return -1;
  lineEnd = e;
  let i = skipSpace(k + load<i32>(keyAt(IDENTITY_KEY)));
  if (i >= e || load<u8>(i) != 123) return -1;
  i = skipSpace(i + 1);
  let type = -1;
  if (i < e && load<u8>(i) == 125) return -1;
  for (;;) {
    if (i >= e || load<u8>(i) != 34) return -1;
    const keyStart = i + 1;
    const q = plainKeyEnd(keyStart);
    if (q < 0) return -1;
    i = valueAfterKey(q);
    if (i < 0) return -1;
    // "type", little-endian.
    if (q - keyStart == 4 && load<u32>(keyStart) == 0x65707974) type = i;
    i = valueEnd(i, 1);
    if (i < 0) return -1;
    i = skipSpace(i);
    if (i >= e) return -1;
    const d = load<u8>(i);
    if (d == 125) break;
    if (d != 44) return -1;
    i = skipSpace(i + 1);
  }
  identityClose = i + 1;
  memberTypeValue = type;
  return type < 0 ? -1 : k;
}

/**
 * The time, read as text is (1 when present, 0 for null or "", GIVE_UP). Its text is located for
 * JavaScript; when it has the common shape `YYYY-MM-DDTHH:MM:SS.fffffffZ`, the hour is interned and the
 * rest read into milliseconds (JavaScript parses each distinct hour once).
 */
function readTime(at: i32, e: i32, row: i32): i32 {
  textEnd = at;
  if (at >= e || load<u8>(at) != 34) return startsWithNull(at, e) ? 0 : GIVE_UP;
  const close = closingQuote(at + 1, e);
  if (close >= e || load<u8>(close) != 34) return GIVE_UP;
  textEnd = close + 1;
  if (close == at + 1) return 0;
  const t = at + 1;
  const len = close - t;
  store<i32>(row + 24, t - input);
  store<i32>(row + 28, len);
  store<i32>(row + 20, -1);
  const end = len - 1;
  if (end <= 20 || load<u8>(t + 19) != 46 || load<u8>(t + end) != 90 || load<u8>(t + 16) != 58) return 1;
  const mi = twoDigits(t + 14);
  const sec = twoDigits(t + 17);
  if (mi < 0 || mi > 59 || sec < 0 || sec > 59) return 1;
  // Whole milliseconds: digits past the third only have to be digits.
  let ms = 0;
  let scale = 100;
  for (let i = 20; i < end; i++) {
    const d = <i32>load<u8>(t + i) - 48;
    if (d < 0 || d > 9) return 1;
    ms += d * scale;
    scale /= 10;
  }
  store<i32>(row + 16, intern(t, 14));
  store<i32>(row + 20, mi * 60000 + sec * 1000 + ms);
  return 1;
}

function twoDigits(at: i32): i32 {
  const a = <i32>load<u8>(at) - 48;
  const b = <i32>load<u8>(at + 1) - 48;
  return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
}

/** The search order sorted by where each key was found in the line read last (absent keys last; stable). */
function learnOrder(layout: i32): void {
  const order = ORDERS + layout * 64 + 4;
  const positions = POSITIONS + layout * 64;
  const n = load<i32>(order - 4);
  for (let i = 1; i < n; i++) {
    const slot = load<i32>(order + i * 4);
    const at = positionFor(positions, slot);
    let j = i - 1;
    while (j >= 0 && positionFor(positions, load<i32>(order + j * 4)) > at) {
      store<i32>(order + (j + 1) * 4, load<i32>(order + j * 4));
      j--;
    }
    store<i32>(order + (j + 1) * 4, slot);
  }
}

function positionFor(positions: i32, slot: i32): i32 {
  const p = load<i32>(positions + slot * 4);
  return p < 0 ? i32.MAX_VALUE : p;
}

/** Archive slots whose keys lie outside `identity`. */
function outsideIdentity(slot: i32): bool {
  return (
    slot != STATUS_TEXT &&
    slot != AUTH_TYPE &&
    slot != AUTH_HASH &&
    slot != OPERATION_VERSION &&
    slot != OBJECT_ID
  );
}

/**
 * The archive's nested keys, where the full reader reads them: `identity.type` (or no identity at all),
 * `resourceId` before `identity` or past its end, and `objectId` inside `requester`.
 */
function archiveNesting(s: i32, e: i32): bool {
  const positions = POSITIONS + ARCHIVE * 64;
  const values = VALUES + ARCHIVE * 128;
  const identity = load<i32>(positions + AUTH_TYPE * 4);
  if (identity < 0) {
    const at = valueAt(s, e, IDENTITY_KEY);
    if (at >= 0 && !startsWithNull(at, e)) return false;
  } else if (load<i32>(positions + RESOURCE_ID * 4) > identity) {
    // A `resourceId` after `identity` is the record's own only past identity's end (sorted keys put it
    // there): inside, it is a delegated request's `identity.delegatedResource.resourceId`.
    if (identityClose < 0) identityClose = objectEndAfter(identity + load<i32>(keyAt(IDENTITY_KEY)), e);
    if (identityClose < 0 || load<i32>(positions + RESOURCE_ID * 4) < identityClose) return false;
  }
  store<i64>(values + OBJECT_ID * 8, 0);
  if (identity < 0) return true;
  // `requester` lies inside `identity`: before its end, or the first key found after it that is not
  // identity's.
  let bound = identityClose < 0 ? e : identityClose;
  for (let slot = 0; slot < SLOTS; slot++) {
    if (!outsideIdentity(slot)) continue;
    const p = load<i32>(positions + slot * 4);
    if (p > identity && p < bound) bound = p;
  }
  const requester = valueAt(identity, bound, REQUESTER_KEY);
  if (requester < 0 || startsWithNull(requester, e)) return true;
  if (load<u8>(requester) != 123) return false;
  const close = flatObjectEnd(requester + 1, e);
  if (close < 0) return false;
  // The key must end inside `requester`, so its value starts by the closing brace.
  const at = valueAt(requester, close, OBJECT_ID_KEY);
  if (at < 0) return true;
  return readText(at, e, load<u8>(INTERNED + OBJECT_ID) != 0, values + OBJECT_ID * 8);
}

/** Just past the object whose `{` comes at `from` (after blanks), walked whole; or -1. */
function objectEndAfter(from: i32, e: i32): i32 {
  lineEnd = e;
  const i = skipSpace(from);
  return i < e && load<u8>(i) == 123 ? objectAt(i, NO_MATCHER, 1) : -1;
}

/**
 * The first `}` in [from, e) when no `{` comes before it, else -1: the end of an object that nests
 * nothing, found 16 bytes at a time (half of the archive's rows carry a `requester` of some 270 bytes).
 */
function flatObjectEnd(from: i32, e: i32): i32 {
  const open = i8x16.splat(123);
  const close = i8x16.splat(125);
  for (let i = from; i < e; i += 16) {
    const block = v128.load(i);
    const valid: i32 = e - i >= 16 ? 0xffff : (1 << (e - i)) - 1;
    const closing = i8x16.bitmask(i8x16.eq(block, close)) & valid;
    const opening = i8x16.bitmask(i8x16.eq(block, open)) & valid;
    if (closing != 0) {
      const first = closing & -closing;
      return (opening & (first - 1)) != 0 ? -1 : i + ctz(closing);
    }
    if (opening != 0) return -1;
  }
  return -1;
}

/**
 * The value id of the Log Analytics table (`Type`) of line [s, e) (offsets into the run), read only when
 * a row's ServiceType names no service: 0 absent, GIVE_UP when not text or there is no room left.
 */
export function tableOf(s: i32, e: i32): i32 {
  if (nextId + 1 >= MAX_IDS || arenaTop + (e - s) > ARENA + ARENA_BYTES) return GIVE_UP;
  // What scan noted is another line's by now: a backslash before the key is looked for whatever it said.
  lineHasBackslash = true;
  escapedKey = false;
  const value = INTERNED + 16;
  const at = valueAt(input + s, input + e, TABLE_KEY);
  return !escapedKey && readText(at, input + e, true, value) ? load<i32>(value) : GIVE_UP;
}

/** The line's layout: archive when it starts with the archive's time, else Log Analytics if it has a TimeGenerated. */
function layoutOf(s: i32, e: i32): i32 {
  const archiveTime = keyAt(ARCHIVE * SLOTS + TIME);
  const len = load<i32>(archiveTime);
  if (e - s > len && sameBytes(s + 1, archiveTime + 4, len)) return ARCHIVE;
  return findKey(s, e, LOG_ANALYTICS * SLOTS + TIME) >= 0 ? LOG_ANALYTICS : ARCHIVE;
}

/**
 * Whether the line `scan` found last is one whole object with nothing to decline in its bytes: all of
 * them ASCII (values are handed to JavaScript as latin1), as many `{` as `}`, and every `}` but the last
 * followed (after spaces and tabs) by `,` `}` or `]`. Worked out while the line's end is searched for
 * (with lineHasBackslash), rather than in a second pass over it.
 */
let linePlain = false;

/** Reads line [s, e), of at most maxLineBytes, into its row: taken when row + 8 holds its layout + 1. */
function readLine(s: i32, e: i32, row: i32): void {
  if (e - s < 2 || load<u8>(s) != 123 || load<u8>(e - 1) != 125) return;
  // Compact JSON only: nothing between the first key and its colon.
  let q = s + 2;
  while (q < e && load<u8>(q) != 34) q++;
  if (q + 1 >= e || load<u8>(q + 1) != 58) return;
  if (!linePlain) return;
  escapedKey = false;
  identityClose = -1;
  const layout = layoutOf(s, e);
  if (readLayout(layout, s, e, row) && !escapedKey) {
    store<i32>(row + 8, layout + 1);
    callerKey(row);
  }
}

// ---- The caller key (../../../model/caller-key.ts) ----
const KEY_HASH_SEED: u32 = 0x811c9dc5;
const KEY_HASH_PRIME: u32 = 0x9e3779b1;
const KEY_HASH_MIX: u32 = 0x85ebca6b;
const KIND_NONE: i32 = 0;
const KIND_LOWER_CASE_OBJECT_ID: i32 = 1;
const KIND_OBJECT_ID: i32 = 2;
const KIND_ADDRESS: i32 = 3;
const KIND_AUTH_HASH: i32 = 4;

/**
 * callerKeyHash(rawCallerKeyOf(row)) and its CallerKeyKind into the row's ROW_CALLER_KEY ints: the
 * object id, else the address as withoutPort cuts it, else the auth hash. The three slots are located
 * (JavaScript sets them so), and the line is ASCII: each byte is one character.
 */
function callerKey(row: i32): void {
  const out = row + ROW_CALLER_KEY * 4;
  let at = input + load<i32>(row + (ROW_VALUES + 2 * OBJECT_ID) * 4);
  let end = at + load<i32>(row + (ROW_VALUES + 2 * OBJECT_ID) * 4, 4);
  if (end > at) {
    // The kind tells whether only an upper-case spelling could alias the id.
    store<u32>(out, keyHash(at, end));
    store<i32>(out, upperOrPastAscii(at, end) ? KIND_OBJECT_ID : KIND_LOWER_CASE_OBJECT_ID, 4);
    return;
  }
  at = input + load<i32>(row + (ROW_VALUES + 2 * CALLER_IP) * 4);
  end = at + load<i32>(row + (ROW_VALUES + 2 * CALLER_IP) * 4, 4);
  if (end > at) {
    // withoutPort: trimmed as String.prototype.trim trims (tab to carriage return, space), then
    // `[host]:port` → host, `host:port` → host, a bare IPv6 address kept.
    while (at < end && isTrimmed(load<u8>(at))) at++;
    while (end > at && isTrimmed(load<u8>(end - 1))) end--;
    if (end > at && load<u8>(at) == 91) {
      const close = byteIn(93, at, end);
      if (close > at) {
        at++;
        end = close;
      }
    } else {
      const colon = byteIn(58, at, end);
      if (colon >= 0 && byteIn(58, colon + 1, end) < 0) end = colon;
    }
    if (end > at) {
      store<u32>(out, keyHash(at, end));
      store<i32>(out, KIND_ADDRESS, 4);
      return;
    }
  }
  at = input + load<i32>(row + (ROW_VALUES + 2 * AUTH_HASH) * 4);
  end = at + load<i32>(row + (ROW_VALUES + 2 * AUTH_HASH) * 4, 4);
  store<u32>(out, keyHash(at, end));
  store<i32>(out, end > at ? KIND_AUTH_HASH : KIND_NONE, 4);
}

/**
 * callerKeyHash of bytes [at, end), each one character: four characters a step, the last step's bytes
 * past `end` masked off (the run has READ_PAST bytes after it), then mixed.
 */
function keyHash(at: i32, end: i32): u32 {
  let h: u32 = KEY_HASH_SEED ^ (<u32>(end - at));
  let i = at;
  for (; i + 4 <= end; i += 4) h = (h ^ load<u32>(i)) * KEY_HASH_PRIME;
  if (i < end) h = (h ^ (load<u32>(i) & (((<u32>1) << ((<u32>(end - i)) << 3)) - 1))) * KEY_HASH_PRIME;
  h ^= h >> 15;
  h *= KEY_HASH_MIX;
  h ^= h >> 13;
  return h | 1;
}

/** Whether [at, end) holds an upper-case ASCII letter or a byte past ASCII: sixteen bytes a step. */
function upperOrPastAscii(at: i32, end: i32): bool {
  const a = i8x16.splat(65);
  const letters = i8x16.splat(26);
  let i = at;
  for (; i + 16 <= end; i += 16) {
    const block = v128.load(i);
    // A byte past ASCII has its top bit set; an upper-case letter is less than 26 past `A`.
    if (i8x16.bitmask(v128.or(block, i8x16.lt_u(i8x16.sub(block, a), letters))) != 0) return true;
  }
  for (; i < end; i++) {
    const b = load<u8>(i);
    if ((b >= 65 && b <= 90) || b > 127) return true;
  }
  return false;
}

function isTrimmed(b: u8): bool {
  return (b >= 9 && b <= 13) || b == 32;
}

/** Where byte `b` first is in [from, end), or -1. */
function byteIn(b: u8, from: i32, end: i32): i32 {
  for (let i = from; i < end; i++) if (load<u8>(i) == b) return i;
  return -1;
}

/**
 * Reads the lines of the run [from, length) (offsets into the input; lines end at `\n`, a `\r` before
 * it dropped, the last line at `length`) into rows, until MAX_ROWS rows or a full intern table (then
 * `isFull()`; the scan stops before a line, which the next call reads after `resetInterned()`). Returns the rows written; `resumeOffset()`
 * says where the next call starts (`length + 1` when the run is done).
 */
export function scan(from: i32, length: i32, maxLineBytes: i32): i32 {
  const end = input + length;
  const newline = i8x16.splat(10);
  const backslash = i8x16.splat(92);
  const open = i8x16.splat(123);
  const close = i8x16.splat(125);
  let s = input + from;
  let rows = 0;
  while (s <= end && rows < MAX_ROWS) {
    // The line's end, and on the way whether it is one plain object (see linePlain): one pass.
    let e = s;
    let escapes = false;
    let pastAscii = false;
    let opens = 0;
    let closes = 0;
    let badCloses = 0;
    let lastBadClose = -1;
    for (;;) {
      const block = v128.load(e);
      // Most blocks hold none of the bytes tracked below (a byte past ASCII has its top bit set, which
      // the block itself contributes): one test for all of them.
      if (
        end - e >= 16 &&
        i8x16.bitmask(
          v128.or(
            v128.or(v128.or(i8x16.eq(block, newline), i8x16.eq(block, backslash)), block),
            v128.or(i8x16.eq(block, open), i8x16.eq(block, close)),
          ),
        ) == 0
      ) {
        e += 16;
        continue;
      }
      const inRun: i32 = end - e >= 16 ? 0xffff : (1 << (end - e)) - 1;
      const breaks = i8x16.bitmask(i8x16.eq(block, newline)) & inRun;
      const inLine = breaks != 0 ? (breaks & -breaks) - 1 : inRun;
      if ((i8x16.bitmask(i8x16.eq(block, backslash)) & inLine) != 0) escapes = true;
      // A byte's top bit: part of a character past ASCII (the run is UTF-8), which JavaScript decodes.
      if ((i8x16.bitmask(block) & inLine) != 0) pastAscii = true;
      opens += popcnt(i8x16.bitmask(i8x16.eq(block, open)) & inLine);
      let closing = i8x16.bitmask(i8x16.eq(block, close)) & inLine;
      while (closing != 0) {
        const p = e + ctz(closing);
        closing &= closing - 1;
        closes++;
        let j = p + 1;
        let c = load<u8>(j);
        while (c == 32 || c == 9) c = load<u8>(++j);
        if (c != 44 && c != 125 && c != 93) {
          badCloses++;
          lastBadClose = p;
        }
      }
      if (breaks != 0) {
        e += ctz(breaks);
        break;
      }
      if (inRun != 0xffff) {
        e = end;
        break;
      }
      e += 16;
    }
    const next = e + 1;
    if (e > s && load<u8>(e - 1) == 13) e--;
    // Only the last `}` may be followed by the line's end.
    linePlain =
      !pastAscii && opens == closes && (badCloses == 0 || (badCloses == 1 && lastBadClose == e - 1));
    lineHasBackslash = escapes;
    // A line interns at most 16 values, of at most its own length and an hour: room for them is made
    // before the line, so a line is never cut short by a full table. A line too long for even an empty
    // table is left to the full reader.
    let readable = e - s <= maxLineBytes;
    if (readable && (nextId + 16 > MAX_IDS || arenaTop + (e - s) + 64 > ARENA + ARENA_BYTES)) {
      if (nextId > 1) {
        full = true;
        break;
      }
      readable = false;
    }
    const row = ROWS + rows * ROW_INTS * 4;
    store<i32>(row, s - input);
    store<i32>(row + 4, e - input);
    store<i32>(row + 8, pastAscii ? 0 : DECLINED_ASCII);
    if (readable) readLine(s, e, row);
    rows++;
    s = next;
  }
  resumeAt = s - input;
  return rows;
}

// ---- Field location: every field the full reader reads, for a line the skim declines ----
// The same walk as json-fields.ts's `obj` over one line at the input, with the same results where both
// answer; it may refuse what that walk takes (then JavaScript walks the line), never the reverse: it also
// refuses raw control characters and bytes past ASCII in strings, and objects nested past LOCATE_DEPTH.

/**
 * A matcher (at MATCHERS + its offset): [longest key length i32], then per key length 0..longest two
 * i32, [first entry, entries], then entries of four i32: [key length, key address, nested matcher
 * offset or -1, value]. A value is the field's slot, or its complement for a field whose value is only
 * typed (json-fields.ts, check-only). JavaScript writes them (field-locator.ts); the first is the top's.
 */
const ENTRY_BYTES: i32 = 16;
const NO_MATCHER: i32 = -1;
/** Kinds of value found (FOUND entries: [value, kind, start, end], start and end offsets into the line). */
const FOUND_STRING: i32 = 1;
const FOUND_ESCAPED: i32 = 2;
const FOUND_NUMBER: i32 = 3;
const FOUND_TRUE: i32 = 4;
const FOUND_FALSE: i32 = 5;
const FOUND_CONTAINER: i32 = 6;
const LOCATE_DEPTH: i32 = 32;
const REFUSED: i32 = -1;

let lineEnd: i32 = 0;
let found: i32 = 0;
/** Whether the string stringEnd read last held an escape. */
let escaped: bool = false;

export function matchersOffset(): i32 {
  return MATCHERS;
}
export function matchersBytes(): i32 {
  return MATCHERS_BYTES;
}
export function foundOffset(): i32 {
  return FOUND;
}

/**
 * Walks the JSON object that is the line of `length` bytes at the input, validating it whole, and records
 * each value of a matched field in FOUND, in line order (a later value of a field wins; null records
 * nothing). Returns how many values it recorded, or -1 when it cannot vouch for the line.
 */
export function locate(length: i32): i32 {
  lineEnd = input + length;
  found = 0;
  let i = skipSpace(input);
  if (i >= lineEnd || load<u8>(i) != 123) return REFUSED;
  i = objectAt(i, MATCHERS, 0);
  if (i < 0) return REFUSED;
  return skipSpace(i) == lineEnd ? found : REFUSED;
}

function isSpace(c: u32): bool {
  return c == 32 || c == 9 || c == 10 || c == 13;
}

function skipSpace(i: i32): i32 {
  while (i < lineEnd && isSpace(load<u8>(i))) i++;
  return i;
}

/** The entry of `matcher` (NO_MATCHER: none) for the key at [at, at + len), or 0. */
function entryOf(matcher: i32, at: i32, len: i32): i32 {
  if (matcher == NO_MATCHER || len > load<i32>(matcher)) return 0;
  const bucket = matcher + 4 + len * 8;
  let entry = load<i32>(bucket);
  const last = entry + load<i32>(bucket, 4) * ENTRY_BYTES;
  for (; entry < last; entry += ENTRY_BYTES)
    if (load<u8>(load<i32>(entry, 4)) == load<u8>(at) && sameBytes(load<i32>(entry, 4), at, len))
      return entry;
  return 0;
}

function record(value: i32, kind: i32, start: i32, end: i32): bool {
  if (found >= MAX_FOUND) return false;
  const out = FOUND + found * FOUND_INTS * 4;
  store<i32>(out, value);
  store<i32>(out, kind, 4);
  store<i32>(out, start - input, 8);
  store<i32>(out, end - input, 12);
  found++;
  return true;
}

/**
 * The closing quote of a key that starts at `from` (just past its opening quote), or -1: a key with an
 * escape, a control character or a byte past ASCII is not read.
 */
function plainKeyEnd(from: i32): i32 {
  for (let k = from; k < lineEnd; k++) {
    const c = load<u8>(k);
    if (c == 34) return k;
    if (c == 92 || c < 32 || c > 127) return REFUSED;
  }
  return REFUSED;
}

/** Where the value of the key whose closing quote is at `close` starts (past its colon), or -1. */
function valueAfterKey(close: i32): i32 {
  let i = skipSpace(close + 1);
  if (i >= lineEnd || load<u8>(i) != 58) return REFUSED;
  i = skipSpace(i + 1);
  return i >= lineEnd ? REFUSED : i;
}

/** From `{` at i: just past its `}`, recording the fields `matcher` names (NO_MATCHER: none); or -1. */
function objectAt(i: i32, matcher: i32, depth: i32): i32 {
  i = skipSpace(i + 1);
  if (i < lineEnd && load<u8>(i) == 125) return i + 1;
  for (;;) {
    if (i >= lineEnd || load<u8>(i) != 34) return REFUSED;
    const keyStart = i + 1;
    const k = plainKeyEnd(keyStart);
    if (k < 0) return REFUSED;
    const entry = entryOf(matcher, keyStart, k - keyStart);
    i = valueAfterKey(k);
    if (i < 0) return REFUSED;
    const c = load<u8>(i);
    if (entry == 0) i = valueEnd(i, depth + 1);
    else if (load<i32>(entry, 8) != NO_MATCHER) {
      // A nested field's value must be an object, or null.
      if (c == 123) i = depth >= LOCATE_DEPTH ? REFUSED : objectAt(i, load<i32>(entry, 8), depth + 1);
      else if (c == 110) i = literalEnd(i, 0x6c6c756e, 4);
      else return REFUSED;
    } else {
      const start = i;
      const value = load<i32>(entry, 12);
      if (c == 34) {
        i = stringEnd(i);
        if (i >= 0 && !record(value, escaped ? FOUND_ESCAPED : FOUND_STRING, start, i)) return REFUSED;
      } else if (c == 123 || c == 91) {
        i = valueEnd(i, depth + 1);
        if (i >= 0 && !record(value, FOUND_CONTAINER, start, i)) return REFUSED;
      } else if (c == 116) {
        i = literalEnd(i, 0x65757274, 4);
        if (i >= 0 && !record(value, FOUND_TRUE, start, i)) return REFUSED;
      } else if (c == 102) {
        i = literalEnd(i, 0x736c6166, 5);
        if (i >= 0 && load<u8>(i - 1) != 101) i = REFUSED;
        if (i >= 0 && !record(value, FOUND_FALSE, start, i)) return REFUSED;
      } else if (c == 110) i = literalEnd(i, 0x6c6c756e, 4);
      else {
        i = numberEnd(i);
        if (i >= 0 && !record(value, FOUND_NUMBER, start, i)) return REFUSED;
      }
    }
    if (i < 0) return REFUSED;
    i = skipSpace(i);
    if (i >= lineEnd) return REFUSED;
    const d = load<u8>(i);
    if (d == 125) return i + 1;
    if (d != 44) return REFUSED;
    i = skipSpace(i + 1);
  }
  return REFUSED;
}

/** Past the literal whose first four bytes (little-endian) are `word`, `length` bytes long; or -1. */
function literalEnd(i: i32, word: u32, length: i32): i32 {
  if (i + length > lineEnd || load<u32>(i) != word) return REFUSED;
  return i + length;
}

/**
 * From the `"` at i: just past the closing quote, or -1 (no closing quote, a bad escape, a raw control
 * character or a byte past ASCII). Sets `escaped`. Sixteen bytes at a time to the next byte of note.
 */
function stringEnd(i: i32): i32 {
  escaped = false;
  const quote = i8x16.splat(34);
  const backslash = i8x16.splat(92);
  const space = i8x16.splat(32);
  let p = i + 1;
  for (;;) {
    if (p + 16 <= lineEnd) {
      const block = v128.load(p);
      // Signed: bytes past ASCII are below 32 too.
      const mask = i8x16.bitmask(
        v128.or(v128.or(i8x16.eq(block, quote), i8x16.eq(block, backslash)), i8x16.lt_s(block, space)),
      );
      if (mask == 0) {
        p += 16;
        continue;
      }
      p += ctz(mask);
    } else {
      while (p < lineEnd) {
        const c = load<u8>(p);
        if (c == 34 || c == 92 || c < 32 || c > 127) break;
        p++;
      }
      if (p >= lineEnd) return REFUSED;
    }
    const c = load<u8>(p);
    if (c == 34) return p + 1;
    if (c != 92 || p + 1 >= lineEnd) return REFUSED;
    escaped = true;
    const e = load<u8>(p + 1);
    if (e == 117) {
      if (p + 6 > lineEnd || !isHex(load<u8>(p + 2)) || !isHex(load<u8>(p + 3))) return REFUSED;
      if (!isHex(load<u8>(p + 4)) || !isHex(load<u8>(p + 5))) return REFUSED;
      p += 6;
    } else if (e == 34 || e == 92 || e == 47 || e == 98 || e == 102 || e == 110 || e == 114 || e == 116)
      p += 2;
    else return REFUSED;
  }
  return REFUSED;
}

function isHex(c: u32): bool {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isDigit(i: i32): bool {
  if (i >= lineEnd) return false;
  const c = load<u8>(i);
  return c >= 48 && c <= 57;
}

/** From a number at i: just past it, or -1 (JSON's grammar). */
function numberEnd(i: i32): i32 {
  if (i < lineEnd && load<u8>(i) == 45) i++;
  if (i >= lineEnd) return REFUSED;
  const first = load<u8>(i);
  if (first == 48) i++;
  else if (first >= 49 && first <= 57) {
    i++;
    while (isDigit(i)) i++;
  } else return REFUSED;
  if (i < lineEnd && load<u8>(i) == 46) {
    i++;
    if (!isDigit(i)) return REFUSED;
    while (isDigit(i)) i++;
  }
  if (i < lineEnd && (load<u8>(i) == 101 || load<u8>(i) == 69)) {
    i++;
    if (i < lineEnd && (load<u8>(i) == 43 || load<u8>(i) == 45)) i++;
    if (!isDigit(i)) return REFUSED;
    while (isDigit(i)) i++;
  }
  return i;
}

/** Past the value at i, validated and recording nothing; or -1. */
function valueEnd(i: i32, depth: i32): i32 {
  const c = load<u8>(i);
  if (c == 34) return stringEnd(i);
  if (c == 123) return depth > LOCATE_DEPTH ? REFUSED : objectAt(i, NO_MATCHER, depth);
  if (c == 91) {
    if (depth > LOCATE_DEPTH) return REFUSED;
    i = skipSpace(i + 1);
    if (i < lineEnd && load<u8>(i) == 93) return i + 1;
    for (;;) {
      if (i >= lineEnd) return REFUSED;
      i = valueEnd(i, depth + 1);
      if (i < 0) return REFUSED;
      i = skipSpace(i);
      if (i >= lineEnd) return REFUSED;
      const d = load<u8>(i);
      if (d == 93) return i + 1;
      if (d != 44) return REFUSED;
      i = skipSpace(i + 1);
    }
  }
  if (c == 116) return literalEnd(i, 0x65757274, 4);
  if (c == 102) {
    const end = literalEnd(i, 0x736c6166, 5);
    return end >= 0 && load<u8>(end - 1) == 101 ? end : REFUSED;
  }
  if (c == 110) return literalEnd(i, 0x6c6c756e, 4);
  return numberEnd(i);
}

// ---- Container ends: where a captured JSON object or array closes (../../json-scanner.ts) ----
// The stream scanner captures each record of an envelope or array whole, tracking strings and their
// escapes to find its closing bracket: here from one byte of note to the next, sixteen bytes at a time.

/** The walk's state where an input ended before the container closed: depth << 2 | in a string << 1 | after a backslash. */
let carried: i32 = 0;

/**
 * Where the container being captured closes in the input [from, length) (offsets into it): just past its
 * closing bracket; or -1 when the input ends first, and carriedState() is the state to go on from in the
 * next input. `state` is the walk's state at `from`: 0 at the container's opening bracket. As the
 * scanner's own walk: brackets count inside the container whatever their kind, a backslash only inside a
 * string; what the container holds is checked by whoever reads it.
 */
export function containerEnd(from: i32, length: i32, state: i32): i32 {
  const end = input + length;
  let depth = state >> 2;
  let inString = (state & 2) != 0;
  let escaped = (state & 1) != 0;
  let p = input + from;
  while (p < end) {
    if (escaped) {
      escaped = false;
      p++;
    } else if (inString) {
      p = closingQuote(p, end);
      if (p >= end) break;
      if (load<u8>(p) == 92) escaped = true;
      else inString = false;
      p++;
    } else {
      p = bracketOrQuote(p, end);
      if (p >= end) break;
      const c = load<u8>(p++);
      if (c == 34) inString = true;
      else if (c == 123 || c == 91) depth++;
      else if (--depth == 0) return p - input;
    }
  }
  carried = (depth << 2) | (inString ? 2 : 0) | (escaped ? 1 : 0);
  return -1;
}

export function carriedState(): i32 {
  return carried;
}

/**
 * The first `"`, `{`, `[`, `}` or `]` in [from, end), or `end`. `{` and `[` differ only in the bit 0x20,
 * as `}` and `]` do: one compare for each pair with that bit set.
 */
function bracketOrQuote(from: i32, end: i32): i32 {
  const quote = i8x16.splat(34);
  const bit = i8x16.splat(0x20);
  const open = i8x16.splat(123);
  const close = i8x16.splat(125);
  let i = from;
  for (; i + 16 <= end; i += 16) {
    const block = v128.load(i);
    const folded = v128.or(block, bit);
    const m = i8x16.bitmask(
      v128.or(i8x16.eq(block, quote), v128.or(i8x16.eq(folded, open), i8x16.eq(folded, close))),
    );
    if (m != 0) return i + ctz(m);
  }
  for (; i < end; i++) {
    const c = load<u8>(i);
    if (c == 34 || (c | 0x20) == 123 || (c | 0x20) == 125) return i;
  }
  return end;
}

// ---- Compacting a pretty-printed record, for the skim (../json-lines-skim.ts, takeRecord) ----

/**
 * The record in the input [0, length), pretty-printed (`az` output, `jq .`, an envelope saved indented),
 * compacted in place as JSON.stringify writes it: the spaces, tabs and line breaks between its tokens
 * removed, its strings copied as they are. Returns the new length, or -1 when the record is one the skim
 * must not see compacted: whitespace between two tokens neither of which is structural (`1 2`, `"a" "b"`:
 * removing it would join them into valid JSON), a raw control character in a string, or a string that
 * does not close. The skim then reads the compacted record as a line, under its own rules.
 */
export function compactRecord(length: i32): i32 {
  const end = input + length;
  let r = input;
  let w = input;
  // The last byte written outside strings (a quote for a string); 0 before the first.
  let last: u32 = 0;
  while (r < end) {
    const c = load<u8>(r);
    if (c == 34) {
      const start = r;
      r++;
      for (;;) {
        r = quoteBackslashOrControl(r, end);
        if (r >= end) return -1;
        const d = load<u8>(r);
        if (d == 92) {
          if (r + 1 >= end || load<u8>(r + 1) < 32) return -1;
          r += 2;
        } else if (d < 32) return -1;
        else break;
      }
      r++;
      memory.copy(w, start, r - start);
      w += r - start;
      last = 34;
    } else if (isSpace(c)) {
      let q = r + 1;
      while (q < end && isSpace(load<u8>(q))) q++;
      if (q < end && !isStructural(last) && !isStructural(load<u8>(q))) return -1;
      r = q;
    } else {
      store<u8>(w++, c);
      last = c;
      r++;
    }
  }
  return w - input;
}

/** The start of a record, or a byte that ends or separates values: whitespace beside it means nothing. */
function isStructural(c: u32): bool {
  return c == 0 || c == 123 || c == 125 || c == 91 || c == 93 || c == 44 || c == 58;
}

/** The first `"`, backslash or control character (below 32) in [from, end), or `end`. */
function quoteBackslashOrControl(from: i32, end: i32): i32 {
  const quote = i8x16.splat(34);
  const backslash = i8x16.splat(92);
  const space = i8x16.splat(32);
  let i = from;
  for (; i + 16 <= end; i += 16) {
    const block = v128.load(i);
    const m = i8x16.bitmask(
      v128.or(v128.or(i8x16.eq(block, quote), i8x16.eq(block, backslash)), i8x16.lt_u(block, space)),
    );
    if (m != 0) return i + ctz(m);
  }
  for (; i < end; i++) {
    const c = load<u8>(i);
    if (c == 34 || c == 92 || c < 32) return i;
  }
  return end;
}
