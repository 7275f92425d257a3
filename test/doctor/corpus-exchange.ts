import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/**
 * A committed corpus capture (test/doctor/captures/*.json), for the tests that save the same exchange as
 * another tool would (Fiddler, Burp, Charles) and hold the doctor to the same diagnosis of both.
 */
export interface CorpusExchange {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
  response: { status: number; headers: Array<[string, string]>; body?: string };
}

/** The capture's file text (what `explain` reads) and the exchange it holds. */
export function corpusExchange(name: string): { text: string; exchange: CorpusExchange } {
  const text = readFileSync(join(import.meta.dirname, "captures", `${name}.json`), "utf8");
  return { text, exchange: JSON.parse(text) as CorpusExchange };
}

/**
 * The request as raw HTTP with CRLF lines: the absolute URL on the request line (as Fiddler saves it), or
 * the path with the host in a Host header (as Burp does).
 */
export function rawRequestOf(c: CorpusExchange, target: "absolute URL" | "path and Host"): string {
  const url = new URL(c.url);
  const hasHost = c.headers.some(([n]) => n.toLowerCase() === "host");
  const [line, headers] =
    target === "absolute URL"
      ? [`${c.method} ${c.url} HTTP/1.1`, c.headers]
      : [
          `${c.method} ${url.pathname}${url.search} HTTP/1.1`,
          hasHost ? c.headers : [["Host", url.host], ...c.headers],
        ];
  return `${[line, ...headers.map(([n, v]) => `${n}: ${v}`)].join("\r\n")}\r\n\r\n${c.body ?? ""}`;
}

/** The response as raw HTTP with CRLF lines. */
export function rawResponseOf(c: CorpusExchange): string {
  const r = c.response;
  const head = [
    `HTTP/1.1 ${r.status} ${r.status === 403 ? "Forbidden" : "OK"}`,
    ...r.headers.map(([n, v]) => `${n}: ${v}`),
  ];
  return `${head.join("\r\n")}\r\n\r\n${r.body ?? ""}`;
}

interface Diagnosis {
  findings: ReadonlyArray<{ id: string }>;
  basis: unknown;
  response?: unknown;
}

/** The same diagnosis as the JSON capture's: its findings, the evidence that decided it, the answer read. */
export function expectSameDiagnosis(report: Diagnosis, fromJson: Diagnosis): void {
  // Through JSON, so that a report printed by `explain --format json` compares with one built in process.
  const json = (v: unknown) => JSON.parse(JSON.stringify(v ?? null)) as unknown;
  expect(report.findings.map((f) => f.id)).toEqual(fromJson.findings.map((f) => f.id));
  expect(json(report.basis)).toEqual(json(fromJson.basis));
  expect(json(report.response)).toEqual(json(fromJson.response));
}
