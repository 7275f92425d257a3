/**
 * Runs `fn` over `source` with at most `concurrency` calls in flight and yields the results in source
 * order. The source is pulled only as slots free up, so a long source costs constant memory.
 */
export async function* mapOrdered<T, U>(
  source: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<U>,
  /** Releases a result never yielded because the consumer stopped early (e.g. an open download). */
  discard?: (result: U) => void,
): AsyncGenerator<U> {
  const limit = Math.max(1, Math.floor(concurrency));
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  const inFlight: Array<Promise<U>> = [];
  let done = false;
  try {
    for (;;) {
      while (!done && inFlight.length < limit) {
        const next = await iterator.next();
        if (next.done) done = true;
        else {
          const p = fn(next.value);
          // A rejection is observed when its turn comes; until then it must not count as unhandled.
          p.catch(() => undefined);
          inFlight.push(p);
        }
      }
      const head = inFlight.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    for (const p of inFlight) p.then(discard, () => undefined);
    if (!done) await iterator.return?.();
  }
}
