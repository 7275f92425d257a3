/** The examples shown in docs/signature.md: each pair still yields the cause the documentation shows. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { explainSignatureMismatch } from "../../src/signature/diff.js";
import { parseRequestText } from "../../src/signature/http-request.js";
import { renderSignatureExplanation } from "../../src/signature/render.js";

const DIR = join(import.meta.dirname, "../../docs/examples/signature");
let doc = "";

beforeAll(async () => {
  doc = await readFile(join(import.meta.dirname, "../../docs/signature.md"), "utf8");
});

const EXAMPLES: [string, string, string, string | undefined][] = [
  ["proxy-stripped-x-ms-date", "error.xml", "x-ms-date-stripped", undefined],
  ["iis-decoded-comma", "error.xml", "path-encoding-changed", undefined],
  ["nginx-prefix", "error.xml", "path-prefix-added", undefined],
  ["apm-header", "azurite-log.txt", "telemetry-header-added", "blob"],
  ["content-type-added", "azurite-log.txt", "content-type-added", "blob"],
  ["content-length-zero", "azurite-log.txt", "content-length-zero-rule", "blob"],
];

describe("docs/examples/signature", () => {
  for (const [name, serverFile, cause, service] of EXAMPLES) {
    it(`${name} → ${cause}`, async () => {
      const request = parseRequestText(await readFile(join(DIR, `${name}.http`), "utf8"), `${name}.http`);
      const server = await readFile(join(DIR, `${name}.${serverFile}`), "utf8");
      const e = explainSignatureMismatch(request, server, service ? { service: "blob" } : {});
      expect(e.causes[0]!.id).toBe(cause);
      const rendered = renderSignatureExplanation(e, { onlyDifferences: service !== undefined });
      expect(rendered).not.toMatch(/q1w2e3r4/);
      // The page shows this exact output, so it must stay current.
      expect(doc).toContain(rendered.trimEnd());
    });
  }

  it("the Azurite responses are 403 AuthorizationFailure without AuthenticationErrorDetail", async () => {
    for (const name of ["apm-header", "content-type-added", "content-length-zero"]) {
      const body = await readFile(join(DIR, `${name}.response.txt`), "utf8");
      expect(body).toMatch(/^HTTP\/1\.1 403/);
      expect(body).toContain("<Code>AuthorizationFailure</Code>");
      expect(body).not.toContain("AuthenticationErrorDetail");
    }
  });
});
