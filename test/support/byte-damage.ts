import fc from "fast-check";

/**
 * Damage for a binary file's reader under a property test: the file cut at a point, and up to four bytes
 * set to any value. A reader must then read what it can or say what is wrong, never crash.
 */
export const byteDamage = fc.record({
  cut: fc.double({ min: 0, max: 1, noNaN: true }),
  flips: fc.array(
    fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.integer({ min: 0, max: 255 }) }),
    { maxLength: 4 },
  ),
});

/** A damaged copy of `bytes`: cut somewhere past `kept` of it (a fraction), then its bytes flipped. */
export function damagedCopy(
  bytes: Buffer,
  d: { cut: number; flips: Array<{ at: number; value: number }> },
  kept = 0,
): Buffer {
  const damaged = Buffer.from(
    bytes.subarray(0, Math.max(1, Math.floor(bytes.length * (kept + (1 - kept) * d.cut)))),
  );
  for (const f of d.flips) damaged[Math.min(damaged.length - 1, Math.floor(damaged.length * f.at))] = f.value;
  return damaged;
}
