import { ERROR_CODES, UNKNOWN_CODE_RULES } from "./error-codes.js";

/** KQL string literal (double-quoted, escaped). */
export function kqlString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The verdict as a KQL `case()` expression, generated from the error-code table so that the generated
 * queries, the workbook and the local engine can never disagree.
 */
export function verdictCaseKql(
  errorCodeColumn = "StatusText",
  authTypeColumn = "AuthenticationType",
  statusCodeColumn = "StatusCode",
): string {
  const branches: string[] = [];
  // Log Analytics tables carry error codes, never classic `$logs` statuses: those stay out of the KQL.
  for (const entry of ERROR_CODES) {
    for (const rule of entry.rules) {
      const codeTest = `${errorCodeColumn} =~ ${kqlString(entry.code)}`;
      const authTest =
        rule.authTypes === "*"
          ? ""
          : ` and ${authTypeColumn} in~ (${rule.authTypes.map(kqlString).join(", ")})`;
      const statusTest = rule.statusCodes
        ? ` and toint(${statusCodeColumn}) in (${rule.statusCodes.join(", ")})`
        : "";
      branches.push(`${codeTest}${authTest}${statusTest}, ${kqlString(rule.decision)}`);
    }
  }
  // Codes the table does not know fall back exactly as verdictRuleFor does.
  return `case(${branches.join(",\n    ")},\n    ${kqlString(UNKNOWN_CODE_RULES[403].decision)})`;
}

/** The auth-related error codes, as a KQL dynamic array literal. */
export function knownAuthCodesKql(): string {
  return `dynamic([${ERROR_CODES.map((e) => kqlString(e.code)).join(", ")}])`;
}
