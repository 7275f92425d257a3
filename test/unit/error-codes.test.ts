import { describe, expect, it } from "vitest";
import { CLASSIC_STATUSES, ERROR_CODES, codesMeantBy, verdictRuleFor } from "../../src/codes/error-codes.js";
import { verdictCaseKql } from "../../src/codes/kql.js";
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

describe("classic Storage Analytics statuses in the same table", () => {
  it("decides the verdict where the status does, and says what is open where it does not", () => {
    expect(verdictRuleFor("IpAuthorizationError", "AccountKey", 403)).toMatchObject({ decision: "network" });
    expect(verdictRuleFor("OAuthIpAuthorizationError", "OAuth", 403).ambiguous).toBeUndefined();
    expect(verdictRuleFor("AnonymousAuthorizationError", "Anonymous", 403).decision).toBe("authentication");
    // A 401 is an authentication failure whatever the scheme; a 403 depends on it.
    expect(verdictRuleFor("AuthorizationError", "OAuth", 401)).toMatchObject({ decision: "authentication" });
    expect(verdictRuleFor("AuthorizationError", "OAuth", 401).ambiguous).toBeUndefined();
    const oauth = verdictRuleFor("AuthorizationError", "OAuth", 403);
    expect(oauth.decision).toBe("rbac");
    expect(oauth.ambiguous?.between).toEqual(["rbac", "policy"]);
    expect(oauth.ambiguous?.narrowedBy).toMatch(/authorization-detail/);
    const key = verdictRuleFor("AuthorizationError", "AccountKey", 403);
    expect(key.decision).toBe("authentication");
    expect(key.ambiguous?.between).toEqual(["authentication", "policy"]);
    expect(verdictRuleFor("SASAuthorizationError", "SAS", 403).ambiguous?.between).toEqual(["sas", "policy"]);
  });

  it("every ambiguous classic rule points to diagnostic settings for the exact code, and stands for known codes", () => {
    const known = new Set(ERROR_CODES.map((e) => e.code));
    for (const e of CLASSIC_STATUSES) {
      expect(e.classic).toBe(true);
      expect(e.standsFor?.length, e.code).toBeGreaterThan(0);
      expect(e.standsFor!.filter((c) => known.has(c)).length, e.code).toBeGreaterThan(0);
      expect(e.rules.at(-1)!.authTypes, `${e.code} needs a catch-all rule last`).toBe("*");
      for (const r of e.rules) {
        expect(r.guidance.avoid.length).toBeGreaterThan(0);
        if (r.ambiguous) {
          expect(r.ambiguous.between).toContain(r.decision);
          expect(r.guidance.steps.join(" ")).toMatch(/diagnostic setting/);
        }
      }
    }
    expect(codesMeantBy("SASIpAuthorizationError")).toEqual([
      "SASIpAuthorizationError",
      "AuthorizationFailure",
      "AuthorizationSourceIPMismatch",
    ]);
    expect(codesMeantBy("AuthenticationFailed")).toEqual(["AuthenticationFailed"]);
  });

  it("keeps classic statuses out of the generated KQL (Log Analytics never holds them)", () => {
    const kql = verdictCaseKql();
    for (const e of CLASSIC_STATUSES) expect(kql).not.toContain(`"${e.code}"`);
  });
});
