import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// The SDK's own port of the service's header order (not exported by the package, so by path).
import { compareHeader } from "../../node_modules/@azure/storage-common/dist/esm/utils/SharedKeyComparator.js";
import {
  buildStringToSign,
  canonicalizedHeaders,
  DuplicateSignedHeaderError,
  inferAccount,
  inferService,
  parseQuery,
  renderFields,
} from "../../src/signature/canonical.js";
import { compareCanonicalHeaderNames } from "../../src/signature/header-order.js";
import { parseRequestText, RequestInputError } from "../../src/signature/http-request.js";
import { headerSuffix } from "./arbitraries.js";

describe("header order", () => {
  it("matches the SDK's port of the service's order on 5000 random name pairs", () => {
    fc.assert(
      fc.property(headerSuffix, headerSuffix, (a, b) => {
        const x = `x-ms-${a}`;
        const y = `x-ms-${b}`;
        if (x === y) return;
        expect(Math.sign(compareCanonicalHeaderNames(x, y))).toBe(compareHeader(x, y));
      }),
      { numRuns: 5000 },
    );
  });

  it("ignores hyphens first: x-ms-meta-ab before x-ms-meta-a-key", () => {
    expect(compareCanonicalHeaderNames("x-ms-meta-ab", "x-ms-meta-a-key")).toBeLessThan(0);
    expect(compareCanonicalHeaderNames("x-ms-meta-a_b", "x-ms-meta-ab")).toBeLessThan(0);
  });
});

describe("canonicalisation rules", () => {
  it("lower-cases names, unfolds and trims values, and refuses a duplicated signed header", () => {
    const fields = canonicalizedHeaders([
      { name: "X-Ms-Meta-B", value: "  a\r\n   folded  value " },
      { name: "x-ms-meta-a", value: "1" },
    ]);
    expect(renderFields(fields)).toBe("x-ms-meta-a:1\nx-ms-meta-b:a folded  value\n");
    expect(() =>
      canonicalizedHeaders([
        { name: "x-ms-a", value: "1" },
        { name: "X-MS-A", value: "2" },
      ]),
    ).toThrow(DuplicateSignedHeaderError);
    const dupRange = parseRequestText(
      "GET https://a1.blob.core.windows.net/c HTTP/1.1\nRange: bytes=0-1\nRange: bytes=2-3\nx-ms-date: x",
    );
    expect(() =>
      buildStringToSign(dupRange, { account: "a1", service: "blob", scheme: "SharedKey" }),
    ).toThrow(/"range"/);
  });

  it("decodes query names and values, '+' as space, tolerates malformed escapes, groups repeats", () => {
    expect(parseQuery("A%42=x+y&a%42=%E2%82%AC&bad=%E2%82&empty=&flag")).toEqual([
      { name: "ab", values: ["x y", "€"] },
      { name: "bad", values: ["%E2%82"] },
      { name: "empty", values: [""] },
      { name: "flag", values: [""] },
    ]);
  });

  it("x-ms-date empties the Date line (Blob), but Table signs the x-ms-date value", () => {
    const r = parseRequestText(
      "GET https://acct.table.core.windows.net/t HTTP/1.1\nDate: Mon, 02 Nov 2026 00:00:00 GMT\nx-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
    );
    expect(
      buildStringToSign(r, { account: "acct", service: "blob", scheme: "SharedKey" }).text.split("\n")[6],
    ).toBe("");
    expect(
      buildStringToSign(r, { account: "acct", service: "table", scheme: "SharedKey" }).text.split("\n")[3],
    ).toBe("Tue, 03 Nov 2026 10:15:00 GMT");
    const dateOnly = parseRequestText(
      "GET https://acct.table.core.windows.net/t HTTP/1.1\nDate: Mon, 02 Nov 2026 00:00:00 GMT",
    );
    expect(
      buildStringToSign(dateOnly, { account: "acct", service: "table", scheme: "SharedKeyLite" }).text,
    ).toBe("Mon, 02 Nov 2026 00:00:00 GMT\n/acct/t");
  });

  it("infers service and account from hosts, -secondary hosts, emulator ports and path-style URLs", () => {
    expect([
      inferService("https://acct.dfs.core.windows.net/x"),
      inferAccount("https://acct.dfs.core.windows.net/x"),
    ]).toEqual(["blob", "acct"]);
    expect([
      inferService("https://acct-secondary.queue.core.windows.net/q"),
      inferAccount("https://acct-secondary.queue.core.windows.net/q"),
    ]).toEqual(["queue", "acct"]);
    expect([
      inferService("http://127.0.0.1:10002/devstoreaccount1/t"),
      inferAccount("http://127.0.0.1:10002/devstoreaccount1-secondary/t"),
    ]).toEqual(["table", "devstoreaccount1"]);
    expect([
      inferService("https://acct.z23.blob.storage.azure.net/c"),
      inferAccount("https://acct.z23.blob.storage.azure.net/c"),
    ]).toEqual(["blob", "acct"]);
    expect(inferAccount("https://acct.privatelink.file.core.windows.net/s")).toBe("acct");
    expect(inferService("https://files.contoso.com/x")).toBeUndefined();
    expect(inferAccount("https://files.contoso.com/x")).toBeUndefined();
  });
});

describe("request parsing", () => {
  it("raw HTTP: origin-form with Host, curl -v prefixes, folded headers, body", () => {
    const r = parseRequestText(
      [
        "> PUT /c/b?comp=metadata HTTP/1.1",
        "> Host: acct.blob.core.windows.net",
        "> x-ms-meta-a: one",
        ">   two",
        "> ",
        "> body",
      ].join("\n"),
    );
    expect(r).toMatchObject({
      method: "PUT",
      url: "https://acct.blob.core.windows.net/c/b?comp=metadata",
      body: "body",
      format: "http",
    });
    expect(r.headers).toEqual([
      { name: "Host", value: "acct.blob.core.windows.net" },
      { name: "x-ms-meta-a", value: "one two" },
    ]);
  });

  it("JSON with header pairs keeps duplicates; HAR entries work", () => {
    const r = parseRequestText(
      JSON.stringify({
        method: "get",
        url: "https://a.blob.core.windows.net/c",
        headers: [
          ["x-ms-a", "1"],
          ["x-ms-a", "2"],
        ],
      }),
    );
    expect(r.headers).toHaveLength(2);
    const har = parseRequestText(
      JSON.stringify({
        request: {
          method: "GET",
          url: "https://a.queue.core.windows.net/q",
          headers: [{ name: "x-ms-version", value: "2021-08-06" }],
        },
      }),
    );
    expect(har).toMatchObject({ format: "har", method: "GET" });
  });

  it("errors name the source, line and field", () => {
    const cases: [string, RegExp][] = [
      ["GET /c HTTP/1.1\nx-ms-date: now", /^req\.http:1: Host: /],
      ["GET /c HTTP/1.1\nHost: a.blob.core.windows.net\nbroken header", /^req\.http:3: header: /],
      ["FETCH! /c HTTP/1.1", /^req\.http:1: method: /],
      ['{"method": "GET"}', /^req\.http: url: /],
      ['{"method": "GET", "url": "https://a/x", "headers": {"bad name": "1"}}', /^req\.http: headers: /],
      ["{not json", /^req\.http: not valid JSON/],
      ["   \n", /^req\.http: the request is empty/],
    ];
    for (const [text, pattern] of cases) {
      let error: unknown;
      try {
        parseRequestText(text, "req.http");
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(RequestInputError);
      expect((error as Error).message).toMatch(pattern);
    }
  });
});

describe("purity", () => {
  it("the browser-side modules import nothing from node:", async () => {
    const dir = join(import.meta.dirname, "../../src/signature");
    const pure = (await readdir(dir)).filter((f) => f.endsWith(".ts") && f !== "sign.ts");
    expect(pure.length).toBeGreaterThanOrEqual(8);
    for (const f of pure) {
      const text = await readFile(join(dir, f), "utf8");
      expect(text, f).not.toMatch(/from "node:|require\(|\bBuffer\b|process\./);
    }
    // Their shared imports must be pure too.
    for (const shared of ["../redact.ts", "../codes/error-codes.ts"]) {
      expect(await readFile(join(dir, shared), "utf8")).not.toMatch(/from "node:/);
    }
  });
});
