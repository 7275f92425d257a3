import type { Remedy } from "../model/incident.js";
import { cleanText as c, escapeMarkdown as e } from "./sanitize.js";

/** A fence longer than any backtick run in the content, so log-derived text cannot close it. */
function fence(lines: readonly string[]): string {
  const longest = Math.max(
    2,
    ...lines.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length))),
  );
  return "`".repeat(longest + 1);
}

/** The remedy as plain text (text report, `explain`). */
export function remedyText(r: Remedy): string[] {
  const out = [`Exact fix (${r.kind}): ${c(r.change)}`];
  if (r.commands.length === 0) out.push(`  No command: ${c(r.noCommand ?? "nothing to run")}`);
  r.commands.forEach((cmd, k) => {
    out.push(
      `  ${k + 1}. ${cmd.risky ? "[RISKY, TEMPORARY] " : ""}${c(cmd.purpose)}`,
      `     $ ${c(cmd.command)}`,
    );
    for (const p of cmd.placeholders) out.push(`     <${c(p.name)}>: ${c(p.reason)}`);
  });
  for (const f of r.facts) out.push(`  ${c(f.label)}: ${c(f.value)}`);
  out.push(`  Why the narrowest: ${c(r.whyNarrowest)}`);
  for (const w of r.wrongIf) out.push(`  Wrong if: ${c(w)}`);
  if (r.bicep) out.push("  Lasting change (Bicep):", ...r.bicep.split("\n").map((l) => `    ${c(l)}`));
  return out;
}

/** The remedy as Markdown: commands in fenced blocks (copyable), everything else escaped. */
export function remedyMarkdown(r: Remedy): string[] {
  const out = [`**Exact fix:** ${e(r.change)}`, ""];
  if (r.commands.length === 0) out.push(`*No command:* ${e(r.noCommand ?? "nothing to run")}`, "");
  for (const cmd of r.commands) {
    const line = c(cmd.command);
    const f = fence([line]);
    out.push(`${cmd.risky ? "**Risky, temporary:** " : ""}${e(cmd.purpose)}`, "", `${f}bash`, line, f, "");
    for (const p of cmd.placeholders) out.push(`- \`<${e(p.name)}>\`: ${e(p.reason)}`);
    if (cmd.placeholders.length) out.push("");
  }
  for (const f of r.facts) out.push(`- **${e(f.label)}:** ${e(f.value)}`);
  out.push(`- **Why the narrowest:** ${e(r.whyNarrowest)}`);
  for (const w of r.wrongIf) out.push(`- **Wrong if:** ${e(w)}`);
  if (r.bicep) {
    const lines = r.bicep.split("\n").map(c);
    const f = fence(lines);
    out.push("", "Lasting change (Bicep):", "", `${f}bicep`, ...lines, f);
  }
  return out;
}
