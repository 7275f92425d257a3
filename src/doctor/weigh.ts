/**
 * How the verdict weighs the evidence: the request's own evidence (the server's string-to-sign, a
 * recomputable signature, the SAS fields, the token's claims, who answered) decides over the response's
 * error code whenever the two point to different verdicts, and the report says which evidence decided and
 * why the code was overruled. Pure.
 */
import type { VerdictRule } from "../codes/error-codes.js";
import type { Decision } from "../model/incident.js";
import type { Finding } from "./finding.js";
import type { Emulator } from "./origin.js";

export interface Basis {
  /** The evidence that decided, in words. */
  evidence: string;
  /** Set when the response's code alone would have given another verdict. */
  overruled?: string;
}

const EVIDENCE: Array<[RegExp, string]> = [
  [/^signature-/, "the server's string-to-sign compared field by field with the request"],
  [/^sharedkey-signature-rejected$/, "the Shared Key scheme of the request and a rejection of its signature"],
  [/^sharedkey-/, "the Shared Key Authorization header and the request's date"],
  [/^sas-(wrong-key|signature-rejected)$/, "the SAS fields compared with the string Storage signed"],
  [/^sas-/, "the SAS fields checked against the request and its time"],
  [/^bearer-rejected-by-server$/, "the server's detail about the token, which the capture hides"],
  [/^bearer-/, "the token's claims checked against the request, the challenge and the server's detail"],
  [
    /^(response-not-from-storage|proxy-authentication-required)$/,
    "who answered: the response is not Storage's",
  ],
  [/^response-/, "the response body"],
  [/^auth-/, "the request's Authorization metadata"],
  [/^anonymous$/, "the request's missing credentials"],
  [/^server-/, "the response's error code, through the product's code table"],
];

function evidenceOf(f: Finding): string {
  return EVIDENCE.find(([re]) => re.test(f.id))?.[1] ?? "the request's own evidence";
}

export function weighEvidence(input: {
  firstProblem?: Finding;
  decision: Decision;
  errorCode?: string;
  codeRule?: VerdictRule;
  emulator?: Emulator;
}): Basis {
  const { firstProblem, decision, errorCode, codeRule, emulator } = input;
  if (!firstProblem) {
    return {
      evidence: errorCode
        ? `the response's error code ${errorCode}, through the product's code table`
        : "nothing in the capture points to a problem",
    };
  }
  const evidence = evidenceOf(firstProblem);
  if (!errorCode || !codeRule || firstProblem.id.startsWith("server-") || codeRule.decision === decision)
    return { evidence };
  return {
    evidence,
    overruled: `The response's code ${errorCode} alone would mean ${codeRule.decision}, but ${evidence} points to ${decision} ("${firstProblem.title}"), and a code cannot outweigh that${emulator ? ": the emulator's codes differ from Azure's" : ""}.`,
  };
}
