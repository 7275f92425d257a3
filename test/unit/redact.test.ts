import { describe, expect, it } from "vitest";
import { describeSecretUrl, redactSecrets, redactUri } from "../../src/redact.js";

describe("redaction", () => {
  it("masks SAS sig values wherever they appear", () => {
    const u =
      "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&sig=abc%2Bdef%3D";
    expect(redactUri(u)).toBe(
      "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&sig=REDACTED",
    );
    expect(redactUri("x?SIG=zzz&a=1")).toBe("x?SIG=REDACTED&a=1");
  });

  it("masks Shared Key signatures, bearer tokens, JWTs, account keys and echoed MACs", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl";
    const text = [
      "Authorization: SharedKey acct:ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08=",
      `Authorization: Bearer ${jwt}`,
      `token ${jwt}`,
      "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0a2V5;EndpointSuffix=core.windows.net",
      "The MAC signature found in the HTTP request 'abc+def=' is not the same as any computed signature.",
    ].join("\n");
    const out = redactSecrets(text);
    expect(out).not.toContain("ctzMq410");
    expect(out).not.toContain("c2lnbmF0dXJl");
    expect(out).not.toContain("c2VjcmV0a2V5");
    expect(out).not.toContain("abc+def=");
    expect(out).toContain("SharedKey acct:REDACTED");
  });

  it("describes webhook URLs without their query", () => {
    const d = describeSecretUrl(
      "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=secret",
    );
    expect(d).not.toContain("secret");
    expect(d).toContain("prod-01.westeurope.logic.azure.com");
  });
});

describe("redaction leaves prose alone", () => {
  it("does not treat a following line as a bearer token", () => {
    expect(redactSecrets("Scheme:   Bearer\nTime:     2026")).toBe("Scheme:   Bearer\nTime:     2026");
    expect(redactSecrets("Authorization: Bearer abcdefgh12345")).toBe("Authorization: Bearer REDACTED");
  });
});
