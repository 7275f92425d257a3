import type { z } from "zod";

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
