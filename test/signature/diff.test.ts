import { describe, expect, it } from "vitest";
import { buildStringToSign } from "../../src/signature/canonical.js";
import { explainSignatureMismatch, parseStringToSign } from "../../src/signature/diff.js";
import { parseRequestText } from "../../src/signature/http-request.js";
import { renderSignatureExplanation } from "../../src/signature/render.js";
import { parseServerAuthError } from "../../src/signature/server-error.js";
import { azureErrorBody, ECHOED_MAC, serverStringToSign, STORIES } from "./stories.js";

describe("failure stories: the diff names the cause", () => {
  for (const story of STORIES) {
    it(`${story.title} → ${story.id}`, () => {
      const body = azureErrorBody(serverStringToSign(story), story.errorTime);
      const e = explainSignatureMismatch(story.signed, body);
      expect(e.causes[0]?.id).toBe(story.id);
      expect(e.verdict.decision).toBe("authentication");
      expect(e.verdict.errorCode).toBe("AuthenticationFailed");
      expect(e.verdict.avoid.some((a) => /rotate or regenerate/.test(a))).toBe(true);
      const text = renderSignatureExplanation(e);
      const json = JSON.stringify(e);
      for (const out of [text, json]) {
        expect(out).not.toContain(ECHOED_MAC);
        expect(out).not.toContain(ECHOED_MAC.slice(0, 12));
      }
    });
  }

  it("x-ms-date stripped: the Date row is explained by the missing x-ms-date, not reported twice", () => {
    const story = STORIES.find((s) => s.id === "x-ms-date-stripped")!;
    const e = explainSignatureMismatch(story.signed, serverStringToSign(story));
    const xmsDate = e.rows.find((r) => r.name === "x-ms-date")!;
    expect(xmsDate.status).toBe("client-only");
    expect(e.rows.find((r) => r.name === "Date")).toMatchObject({
      client: "",
      server: "Tue, 03 Nov 2026 10:15:01 GMT",
    });
    expect(e.causes.map((c) => c.id)).toEqual(["x-ms-date-stripped"]);
  });

  it("APM injection names both injected headers and the exclusion fix", () => {
    const story = STORIES.find((s) => s.id === "telemetry-header-added")!;
    const e = explainSignatureMismatch(story.signed, serverStringToSign(story));
    expect(e.causes.map((c) => c.field)).toEqual(["x-ms-request-id, x-ms-request-root-id"]);
    expect(e.causes[0]!.explanation).toMatch(/correlation/i);
  });

  it("IIS decoding names the escape that was decoded", () => {
    const story = STORIES.find((s) => s.id === "path-encoding-changed")!;
    const e = explainSignatureMismatch(story.signed, serverStringToSign(story));
    expect(e.causes[0]!.explanation).toContain("the server saw '%2C' as ','");
  });

  it("nginx prefix names the prefix", () => {
    const story = STORIES.find((s) => s.id === "path-prefix-added")!;
    const e = explainSignatureMismatch(story.signed, serverStringToSign(story));
    expect(e.causes[0]!.explanation).toContain("'/blobstorage'");
  });

  it("a clock 3 days behind is reported with the size of the skew", () => {
    const story = STORIES.find((s) => s.id === "stale-date")!;
    const e = explainSignatureMismatch(
      story.signed,
      azureErrorBody(serverStringToSign(story), story.errorTime),
    );
    expect(e.causes[0]!.explanation).toContain("4320 minutes");
    expect(e.identical).toBe(true);
  });

  it("identical strings point at the key, not the request", () => {
    const r = parseRequestText(
      [
        "GET https://contoso.queue.core.windows.net/jobs/messages?numofmessages=4 HTTP/1.1",
        "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
        "x-ms-version: 2021-08-06",
      ].join("\n"),
    );
    const server = buildStringToSign(r, { account: "contoso", service: "queue", scheme: "SharedKey" }).text;
    const e = explainSignatureMismatch(r, server);
    expect(e.identical).toBe(true);
    expect(e.causes.map((c) => c.id)).toEqual(["identical"]);
    expect(e.verdict.summary).toMatch(/key/);
  });

  it("a duplicated signed header is an error the service answers with 400", () => {
    const r = parseRequestText(
      [
        "GET https://contoso.blob.core.windows.net/c/b HTTP/1.1",
        "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
        "x-ms-version: 2021-08-06",
        "x-ms-meta-a: 1",
        "X-MS-META-A: 2",
      ].join("\n"),
    );
    const e = explainSignatureMismatch(r, "GET\n\n");
    expect(e.causes[0]).toMatchObject({ id: "duplicate-signed-header", field: "x-ms-meta-a" });
    expect(e.causes[0]!.explanation).toContain("400");
  });

  it("a string signed under another layout is named (SharedKeyLite server string for a SharedKey request)", () => {
    const r = parseRequestText(
      [
        "GET https://contoso.blob.core.windows.net/c/b?comp=metadata HTTP/1.1",
        "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
        "x-ms-version: 2021-08-06",
      ].join("\n"),
    );
    const lite = buildStringToSign(r, { account: "contoso", service: "blob", scheme: "SharedKeyLite" }).text;
    const e = explainSignatureMismatch(r, lite, { scheme: "SharedKey" });
    expect(e.causes[0]!.id).toBe("layout-mismatch");
    expect(e.server.layout).toBe("shared-key-lite");
  });

  it("metadata white space trimmed by the server", () => {
    const signed = {
      ...parseRequestText(
        [
          "PUT https://contoso.blob.core.windows.net/c/b HTTP/1.1",
          "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
          "x-ms-version: 2021-08-06",
        ].join("\n"),
      ),
    };
    signed.headers.push({ name: "x-ms-meta-note", value: "two  spaces" });
    const server = buildStringToSign(signed, {
      account: "contoso",
      service: "blob",
      scheme: "SharedKey",
    }).text.replace("two  spaces", "two spaces");
    const e = explainSignatureMismatch(signed, server);
    expect(e.causes[0]).toMatchObject({ id: "whitespace-normalised", field: "x-ms-meta-note" });
  });

  it("never prints secret header or query values", () => {
    const r = parseRequestText(
      [
        "PUT https://contoso.blob.core.windows.net/c/b?sig=c2VjcmV0c2ln HTTP/1.1",
        "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
        "x-ms-version: 2021-08-06",
        "x-ms-encryption-key: Q1BLS0VZQ1BLS0VZQ1BLS0VZ",
        "x-ms-copy-source: https://other.blob.core.windows.net/c/x?sv=2021&sig=c291cmNlc2ln",
      ].join("\n"),
    );
    const server =
      buildStringToSign(r, { account: "contoso", service: "blob", scheme: "SharedKey" }).text + "\nextra:1";
    const out =
      JSON.stringify(explainSignatureMismatch(r, server)) +
      renderSignatureExplanation(explainSignatureMismatch(r, server));
    expect(out).not.toContain("c2VjcmV0c2ln");
    expect(out).not.toContain("Q1BLS0VZ");
    expect(out).not.toContain("c291cmNlc2ln");
  });
});

describe("reading the server's answer", () => {
  const sts =
    "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Tue, 03 Nov 2026 10:15:00 GMT\nx-ms-version:2021-08-06\n/contoso/c/it's";

  it("XML body: code, request id, time, string with quotes, MAC redacted", () => {
    const p = parseServerAuthError(azureErrorBody(sts, "2026-11-03T10:15:02.0000000Z"));
    expect(p).toMatchObject({
      shape: "xml",
      errorCode: "AuthenticationFailed",
      requestId: "0c3e6a1d-701e-0040-2f3a-0e8c5b000000",
      time: "2026-11-03T10:15:02.0000000Z",
      stringToSign: sts,
    });
    expect(p.detail).not.toContain(ECHOED_MAC);
  });

  it("detail text with literal \\n escapes", () => {
    const detail = `The MAC signature found in the HTTP request '${ECHOED_MAC}' is not the same as any computed signature. Server used following string to sign: '${sts.replace(/\n/g, "\\n")}'.`;
    const p = parseServerAuthError(detail);
    expect(p.shape).toBe("detail");
    expect(p.stringToSign).toBe(sts);
  });

  it("bare string, with escapes or CRLF", () => {
    expect(parseServerAuthError(sts.replace(/\n/g, "\\n")).stringToSign).toBe(sts);
    expect(parseServerAuthError(sts.replace(/\n/g, "\r\n")).stringToSign).toBe(sts);
    expect(parseServerAuthError(JSON.stringify(sts)).stringToSign).toBe(sts);
  });

  it("an Azurite debug-log line", () => {
    const line = `2026-11-03T10:15:00.000Z 1f2e info: BlobSharedKeyAuthenticator:validate() [STRING TO SIGN]:${JSON.stringify(sts)}`;
    expect(parseServerAuthError(line)).toMatchObject({ shape: "azurite-log", stringToSign: sts });
  });

  it("'Request date header too old' without a string-to-sign still yields the clock verdict", () => {
    const body =
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:0c3e6a1d-701e-0040-2f3a-0e8c5b000000\nTime:2026-11-06T10:15:02.0000000Z</Message><AuthenticationErrorDetail>Request date header too old: \'Tue, 03 Nov 2026 10:15:00 GMT\'</AuthenticationErrorDetail></Error>';
    const r = parseRequestText(
      [
        "GET https://contoso.blob.core.windows.net/c/b HTTP/1.1",
        "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
        "x-ms-version: 2021-08-06",
      ].join("\n"),
    );
    const e = explainSignatureMismatch(r, body);
    expect(e.server.hasStringToSign).toBe(false);
    expect(e.causes[0]!.id).toBe("stale-date");
    expect(e.rows).toEqual([]);
  });

  it("parses server strings of every layout into fields and back", () => {
    const r = parseRequestText(
      [
        "PUT https://contoso.table.core.windows.net/t(PartitionKey='a',RowKey='b')?comp=x&timeout=3 HTTP/1.1",
        "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
        "x-ms-version: 2021-08-06",
        "Content-Type: application/json",
        "x-ms-meta-z: 1",
      ].join("\n"),
    );
    for (const [service, scheme] of [
      ["blob", "SharedKey"],
      ["blob", "SharedKeyLite"],
      ["table", "SharedKey"],
      ["table", "SharedKeyLite"],
    ] as const) {
      const built = buildStringToSign(r, { account: "contoso", service, scheme });
      expect(parseStringToSign(built.text, built.layout)).toEqual(built.fields);
    }
  });
});
