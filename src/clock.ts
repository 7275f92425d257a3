/** Time source injected into every stage that asks "now", so tests and `--now` replays are deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date | string): Clock {
  const t = typeof at === "string" ? new Date(at) : at;
  return { now: () => new Date(t.getTime()) };
}
