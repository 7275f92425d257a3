/**
 * Plain-text rendering of a signature explanation: an aligned field table, then the likely causes, the
 * verdict and the wrong fixes to avoid. Pure; values are already redacted by the diff.
 */
import type { AlignedRow, SignatureExplanation } from "./diff.js";

const MARK: Record<AlignedRow["status"], string> = {
  same: " ",
  differs: "≠",
  "client-only": "-",
  "server-only": "+",
};

/** Makes control characters and empties visible without quoting ordinary values. */
function show(value: string | undefined): string {
  if (value === undefined) return "(absent)";
  if (value === "") return "(empty)";
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

function fit(s: string, width: number): string {
  const chars = [...s];
  return chars.length > width
    ? chars.slice(0, width - 1).join("") + "…"
    : s + " ".repeat(width - chars.length);
}

function label(row: AlignedRow): string {
  return row.section === "query" ? `?${row.name}` : row.name;
}

export interface RenderOptions {
  /** Show only the fields that differ (and the resource line, for orientation). */
  onlyDifferences?: boolean;
}

export function renderSignatureExplanation(e: SignatureExplanation, options: RenderOptions = {}): string {
  const out: string[] = [];
  const t = e.target;
  out.push(
    `Shared Key signature diff: ${t.service}, ${t.scheme}, account ${t.account} (from ${t.provenance.account})` +
      (t.version ? `, x-ms-version ${t.version}` : ", no x-ms-version"),
  );
  const s = e.server;
  const serverBits = [
    s.errorCode ? `code ${s.errorCode}` : undefined,
    s.requestId ? `RequestId ${s.requestId}` : undefined,
    s.time ? `Time ${s.time}` : undefined,
    `pasted as ${s.shape}`,
  ].filter(Boolean);
  out.push(`Server answer: ${serverBits.join(", ")}`);
  out.push("");

  if (e.rows.length > 0) {
    const valueWidth = 46;
    const nameWidth = Math.min(32, Math.max(8, ...e.rows.map((r) => [...label(r)].length)));
    out.push(
      `  ${fit("FIELD", nameWidth)}  ${fit("CLIENT (rebuilt from the request)", valueWidth)}  SERVER (from the error)`,
    );
    const long: string[] = [];
    const shown = options.onlyDifferences
      ? e.rows.filter((r) => r.status !== "same" || r.section === "resource")
      : e.rows;
    for (const row of shown) {
      const c = show(row.client);
      const v = show(row.server);
      out.push(`${MARK[row.status]} ${fit(label(row), nameWidth)}  ${fit(c, valueWidth)}  ${v}`);
      if (row.status !== "same" && [...c].length > valueWidth)
        long.push(`  ${label(row)}: client ${c}`, `  ${label(row)}: server ${v}`);
    }
    if (long.length) out.push("", "Full values of the differing fields:", ...long);
    out.push(
      "",
      `Legend: ≠ differs, - signed by the client but not seen by the server, + seen by the server but not signed.`,
    );
    const hidden = e.rows.length - shown.length;
    out.push(
      (e.identical
        ? "The two strings are identical."
        : `${e.rows.filter((r) => r.status !== "same").length} field(s) differ.`) +
        (hidden > 0 ? ` ${hidden} equal field(s) not shown.` : ""),
    );
    out.push("");
  }

  out.push(e.causes.length === 1 ? "Likely cause:" : "Likely causes, most likely first:");
  e.causes.forEach((c, i) => out.push(`  ${i + 1}. ${c.explanation}`));
  if (e.causes.length === 0) out.push("  (none recognised; see the fields above)");
  out.push("");
  out.push(`Verdict: ${e.verdict.decision} (${e.verdict.errorCode}). ${e.verdict.summary}`);
  out.push("Wrong fixes to avoid:");
  for (const a of e.verdict.avoid) out.push(`  - ${a}`);
  if (e.notes.length) {
    out.push("Notes:");
    for (const n of e.notes) out.push(`  - ${n}`);
  }
  return out.join("\n") + "\n";
}
