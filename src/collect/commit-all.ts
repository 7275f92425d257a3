/**
 * Runs the pending commits of a run (watermarks, blob cursors) in order. A conflict (an overlapping run
 * got there first) does not stop the others: the conflicting keys are thrown together at the end, as
 * the error `conflictError` builds; any other error is thrown at once.
 */
export async function commitAll(
  commits: ReadonlyArray<() => Promise<void>>,
  conflictKeyOf: (err: unknown) => string | undefined,
  conflictError: (keys: string) => Error,
): Promise<void> {
  const conflicts: string[] = [];
  for (const commit of commits) {
    try {
      await commit();
    } catch (err) {
      const key = conflictKeyOf(err);
      if (key === undefined) throw err;
      conflicts.push(key);
    }
  }
  if (conflicts.length > 0) throw conflictError(conflicts.join(", "));
}
