import type { StorageRequest } from "./storage-request.js";

/**
 * A request's raw caller key: the field the root-cause evidence finds its caller by before it builds the
 * caller's identity (src/correlate/evidence.ts). `||`, not `??`: an empty object id falls through to the
 * address, as callerIdentityOf does.
 */
export function rawCallerKeyOf(
  r: Pick<StorageRequest, "requesterObjectId" | "callerIp" | "authHash">,
): string {
  return r.requesterObjectId || r.callerIp || r.authHash || "";
}

/** Which field the raw caller key is, and for an object id, whether it can be told apart by its case. */
export const CallerKeyKind = {
  /** No object id, address or auth hash. */
  NONE: 0,
  /** An object id of no upper-case or non-ASCII letter: only an upper-case spelling can alias it. */
  LOWER_CASE_OBJECT_ID: 1,
  /** Any other object id. */
  OBJECT_ID: 2,
  ADDRESS: 3,
  AUTH_HASH: 4,
} as const;
export type CallerKeyKind = (typeof CallerKeyKind)[keyof typeof CallerKeyKind];

/**
 * A request that answers, without making the string, what the evidence needs to tell a caller it has
 * never seen: the hash and kind of its raw caller key. The skim's lent success rows do (most rows of a
 * large run come from such callers, past the caller cap), reading them from the row's bytes.
 */
export interface CallerKeyFromBytes {
  /** callerKeyHash(rawCallerKeyOf(this)). */
  callerKeyHash(): number;
  callerKeyKind(): CallerKeyKind;
}

/**
 * What a reader that knows a success row's account, time and caller key (hash and kind) before making
 * the row may ask where the row goes: whether all it would do with the row is count it (a caller past
 * the root-cause evidence's cap: most rows of a large run). It has then counted it, and the row is never
 * made.
 */
export interface UnseenCallerShortcut {
  countsOnly(account: string, timeMs: number, keyHash: number, keyKind: CallerKeyKind): boolean;
}

export function hasUnseenCallerShortcut(o: object): o is UnseenCallerShortcut {
  return typeof (o as Partial<UnseenCallerShortcut>).countsOnly === "function";
}

export function hasCallerKeyFromBytes(r: object): r is CallerKeyFromBytes {
  return typeof (r as Partial<CallerKeyFromBytes>).callerKeyHash === "function";
}

const KEY_HASH_SEED = 0x811c9dc5;
const KEY_HASH_PRIME = 0x9e3779b1;
const KEY_HASH_MIX = 0x85ebca6b;

/**
 * A hash of the UTF-16 code units, never 0 (0 marks an empty slot of the evidence's key filter): four
 * a step, each the low byte of a word, then mixed. For ASCII text it is what assembly/skim.ts's keyHash
 * gives for the text's bytes, read as little-endian words; a multiply per character, byte by byte, was
 * a tenth of the module's time.
 */
export function callerKeyHash(s: string): number {
  const n = s.length;
  let h = KEY_HASH_SEED ^ n;
  let i = 0;
  for (; i + 4 <= n; i += 4)
    h = Math.imul(
      h ^
        (s.charCodeAt(i) |
          (s.charCodeAt(i + 1) << 8) |
          (s.charCodeAt(i + 2) << 16) |
          (s.charCodeAt(i + 3) << 24)),
      KEY_HASH_PRIME,
    );
  if (i < n) {
    let w = 0;
    for (let k = 0; i + k < n; k++) w |= s.charCodeAt(i + k) << (8 * k);
    h = Math.imul(h ^ w, KEY_HASH_PRIME);
  }
  h ^= h >>> 15;
  h = Math.imul(h, KEY_HASH_MIX);
  h ^= h >>> 13;
  return h | 1;
}

/** An upper-case ASCII letter or any character past ASCII. */
const UPPER_OR_NOT_ASCII = /[A-Z\u0080-\uffff]/;

/** The kind of rawCallerKeyOf(r). */
export function callerKeyKindOf(
  r: Pick<StorageRequest, "requesterObjectId" | "callerIp" | "authHash">,
): CallerKeyKind {
  const oid = r.requesterObjectId;
  if (oid) return UPPER_OR_NOT_ASCII.test(oid) ? CallerKeyKind.OBJECT_ID : CallerKeyKind.LOWER_CASE_OBJECT_ID;
  if (r.callerIp) return CallerKeyKind.ADDRESS;
  return r.authHash ? CallerKeyKind.AUTH_HASH : CallerKeyKind.NONE;
}
