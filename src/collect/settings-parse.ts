import { z } from "zod";

/** Validates a source's settings; the error lists every field to fix under `invalid <what> settings:`. */
export function parseSourceSettings<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`);
    throw new Error(`invalid ${what} settings:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

/** The settings of every blob-window source (archive, classic `$logs`): how it lists and downloads. */
export const blobWindowSettingsShape = {
  /** A blob whose hour started more than this long ago no longer grows; a partial last line there is truncated. */
  closedAfterHours: z.number().int().min(1).max(48).default(3),
  /** List calls in flight at once. */
  listConcurrency: z.number().int().min(1).max(64).default(8),
  /** Blob downloads in flight at once, across blobs and logged accounts; lines are still used in order. */
  downloadConcurrency: z.number().int().min(1).max(64).default(8),
};
