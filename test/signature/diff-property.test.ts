/**
 * The diff under random requests and one random in-transit change each: the change is always named as
 * the (only) likely cause, whatever the names, headers and query look like.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildStringToSign, type SigningTarget } from "../../src/signature/canonical.js";
import { explainSignatureMismatch, type CauseId } from "../../src/signature/diff.js";
import type { HttpHeader, ParsedRequest } from "../../src/signature/http-request.js";
import { headerValue, metadata } from "./arbitraries.js";

const target: SigningTarget = { account: "contoso", service: "blob", scheme: "SharedKey" };

const segment = fc
  .array(fc.constantFrom(..."abcXYZ019-_.~!$&'()*+,;=:@ é日"), { minLength: 1, maxLength: 10 })
  .map((c) => encodeURIComponent(c.join("")));
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/c/${s.join("/")}`);
const query = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), headerValue), {
    maxLength: 3,
    selector: ([n]) => n,
  })
  .map((pairs) => pairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join("&"));

type Mutation = { id: CauseId; apply: (r: ParsedRequest) => ParsedRequest | undefined };

const setHeaders = (r: ParsedRequest, f: (h: HttpHeader[]) => HttpHeader[]) => ({
  ...r,
  headers: f(r.headers),
});
const withUrl = (r: ParsedRequest, f: (u: URL) => string | undefined) => {
  const next = f(new URL(r.url));
  return next === undefined ? undefined : { ...r, url: next };
};

const MUTATIONS: Mutation[] = [
  {
    id: "telemetry-header-added",
    apply: (r) => setHeaders(r, (h) => [...h, { name: "x-ms-request-root-id", value: "abc" }]),
  },
  {
    id: "header-added-after-signing",
    apply: (r) => setHeaders(r, (h) => [...h, { name: "x-ms-proxy-hop", value: "1" }]),
  },
  { id: "x-ms-date-stripped", apply: (r) => setHeaders(r, (h) => h.filter((x) => x.name !== "x-ms-date")) },
  {
    id: "signed-header-stripped",
    apply: (r) =>
      r.headers.some((h) => h.name.startsWith("x-ms-meta-"))
        ? setHeaders(r, (h) =>
            h.filter((x) => x.name !== h.find((y) => y.name.startsWith("x-ms-meta-"))!.name),
          )
        : undefined,
  },
  {
    id: "version-changed",
    apply: (r) =>
      setHeaders(r, (h) => h.map((x) => (x.name === "x-ms-version" ? { ...x, value: "2019-12-12" } : x))),
  },
  {
    id: "path-encoding-changed",
    apply: (r) =>
      withUrl(r, (u) => {
        const m = /%(2C|3B|3D|40|24|26|2B|3A)/i.exec(u.pathname);
        if (!m) return undefined;
        return `${u.origin}${u.pathname.replace(m[0], decodeURIComponent(m[0]))}${u.search}`;
      }),
  },
  { id: "path-prefix-added", apply: (r) => withUrl(r, (u) => `${u.origin}/gateway${u.pathname}${u.search}`) },
  {
    id: "content-type-added",
    apply: (r) => setHeaders(r, (h) => [...h, { name: "Content-Type", value: "text/plain;charset=UTF-8" }]),
  },
  {
    id: "query-changed",
    apply: (r) => withUrl(r, (u) => `${u.origin}${u.pathname}${u.search ? `${u.search}&zz=1` : "?zz=1"}`),
  },
];

describe("the diff names a random in-transit change", () => {
  it("on 600 random requests", () => {
    fc.assert(
      fc.property(path, query, metadata, fc.constantFrom(...MUTATIONS), (p, q, meta, mutation) => {
        const signed: ParsedRequest = {
          method: "PUT",
          url: `https://contoso.blob.core.windows.net${p}${q ? `?${q}` : ""}`,
          headers: [
            { name: "x-ms-date", value: "Tue, 03 Nov 2026 10:15:00 GMT" },
            { name: "Date", value: "Tue, 03 Nov 2026 10:15:00 GMT" },
            { name: "x-ms-version", value: "2021-08-06" },
            { name: "Content-Length", value: "0" },
            ...Object.entries(meta).map(([k, v]) => ({ name: `x-ms-meta-${k}`, value: v })),
          ],
          format: "json",
        };
        // Metadata names that collide case-insensitively are a different error (duplicate header).
        const lower = signed.headers.map((h) => h.name.toLowerCase());
        fc.pre(new Set(lower).size === lower.length);
        const received = mutation.apply(signed);
        fc.pre(received !== undefined);
        const server = buildStringToSign(received!, target).text;
        const e = explainSignatureMismatch(signed, server);
        expect(e.identical).toBe(false);
        expect(e.causes.map((c) => c.id)).toEqual([mutation.id]);
      }),
      { numRuns: 600 },
    );
  });
});
