import { describe, expect, it } from "vitest";
import { ERROR_CODES, verdictRuleFor } from "../../src/codes/error-codes.js";
import { DECISIONS } from "../../src/model/incident.js";

describe("error-code table", () => {
  it("holds every auth-related code from the reference with a verdict, steps and a wrong fix", () => {
    const codes = ERROR_CODES.map((e) => e.code);
    for (const c of [
      "NoAuthenticationInformation",
      "InvalidAuthenticationInfo",
      "AuthenticationFailed",
      "AuthorizationFailure",
      "AuthorizationPermissionMismatch",
      "AuthorizationProtocolMismatch",
      "AuthorizationResourceTypeMismatch",
      "AuthorizationServiceMismatch",
      "AuthorizationSourceIPMismatch",
      "KeyBasedAuthenticationNotPermitted",
      "InsufficientAccountPermissions",
      "AccountIsDisabled",
      "RequestForbiddenByContainerEncryptionPolicy",
    ]) {
      expect(codes).toContain(c);
    }
    for (const e of ERROR_CODES) {
      expect(e.rules.length).toBeGreaterThan(0);
      expect(e.rules.at(-1)!.authTypes, `${e.code} needs a catch-all rule last`).toBe("*");
      for (const r of e.rules) {
        expect(DECISIONS).toContain(r.decision);
        expect(r.guidance.steps.length).toBeGreaterThan(0);
        expect(r.guidance.avoid.length).toBeGreaterThan(0);
      }
    }
  });

  it("splits verdicts by authentication type where the meaning differs", () => {
    expect(verdictRuleFor("AuthorizationPermissionMismatch", "OAuth", 403).decision).toBe("rbac");
    expect(verdictRuleFor("AuthorizationPermissionMismatch", "SAS", 403).decision).toBe("sas");
    expect(verdictRuleFor("AuthenticationFailed", "AccountKey", 403).decision).toBe("authentication");
    expect(verdictRuleFor("AuthenticationFailed", "SAS", 403).decision).toBe("sas");
    expect(verdictRuleFor("KeyBasedAuthenticationNotPermitted", "AccountKey", 403).decision).toBe("policy");
    expect(verdictRuleFor("AuthorizationFailure", "OAuth", 403).decision).toBe("network");
    expect(verdictRuleFor("authorizationfailure", "oauth", 403).decision).toBe("network");
  });

  it("falls back plainly for unknown codes", () => {
    expect(verdictRuleFor("SomethingNew", "OAuth", 401).guidance.summary).toMatch(/does not know/);
  });
});
