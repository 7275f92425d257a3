/**
 * What a run could read, said plainly when it is not "some rows in the window": every record rejected,
 * no record at all, or every row outside the window (with where the data is and how to reach it). One
 * wording for the reports, `analyze`'s exit status, and the timer's run log and `run-once`.
 */
export type InputHealth =
  | { kind: "ok" }
  | { kind: "nothing-read"; rejected: number }
  | { kind: "empty" }
  | {
      kind: "outside-window";
      /** Rows read and outside the window. */
      outside: number;
      /** Files not read, their hour outside the window (absent when none). */
      files?: number;
      /** An archive's day folders not listed, their day outside the window (absent when none). */
      dayFolders?: number;
      window: { from: string; to: string };
      data?: { from: string; to: string };
    };

export interface InputFigures {
  /** Valid rows inside the window. */
  rows: number;
  rejected: number;
  outsideWindow: number;
  filesOutsideWindow?: number;
  dayFoldersOutsideWindow?: number;
  window: { from: string; to: string };
  dataSpan?: { from: string; to: string };
}

export function inputHealth(f: InputFigures): InputHealth {
  if (f.rows > 0) return { kind: "ok" };
  const files = f.filesOutsideWindow ?? 0;
  const dayFolders = f.dayFoldersOutsideWindow ?? 0;
  if (f.outsideWindow > 0 || files > 0 || dayFolders > 0) {
    const h: InputHealth = { kind: "outside-window", outside: f.outsideWindow, window: f.window };
    if (files > 0) h.files = files;
    if (dayFolders > 0) h.dayFolders = dayFolders;
    if (f.dataSpan) h.data = f.dataSpan;
    return h;
  }
  if (f.rejected > 0) return { kind: "nothing-read", rejected: f.rejected };
  return { kind: "empty" };
}

/**
 * One sentence for a health that is not ok; `reach` says how to move the window in the caller's terms
 * (e.g. "widen --from/--to" for analyze, "pass --now" for run-once).
 */
export function describeInputHealth(
  h: InputHealth,
  reach: (data: { from: string; to: string }) => string,
): string {
  switch (h.kind) {
    case "ok":
      return "";
    case "nothing-read":
      return `Nothing could be read: all ${h.rejected} record(s) were rejected (each listed with file, line, field and reason).`;
    case "empty":
      return "No Storage log records were found in the input.";
    case "outside-window": {
      const window = `${h.window.from} → ${h.window.to}`;
      const unread = [
        ...(h.files ? [`${h.files} file(s)`] : []),
        ...(h.dayFolders ? [`${h.dayFolders} archive day folder(s)`] : []),
      ].join(" and ");
      return (
        (h.outside === 0 && unread
          ? `All ${unread} lie outside the window ${window} by the time their path names, and were not read`
          : `All ${h.outside} row(s) fall outside the window ${window}` +
            (unread ? `, and ${unread} whose path names a time outside it were not read` : "")) +
        (h.data ? `; the data spans ${h.data.from} → ${h.data.to}: ${reach(h.data)}.` : ".")
      );
    }
  }
}
