import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import draft7MetaSchema from "ajv/dist/refs/json-schema-draft-07.json" with { type: "json" };
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./bicep-cli.js";

/**
 * azure.yaml against the Azure Developer CLI's own JSON schema (vendored in schemas/, source in
 * schemas/README.md), validated offline with ajv (JSON Schema 2019-09, the schema's dialect), plus what
 * the deployment relies on: the function service, the package hook and the folder it deploys.
 */
const AZD_RAW = "https://raw.githubusercontent.com/Azure/azure-dev/main/";
const ajv = new Ajv2019({
  allErrors: true,
  strict: false,
  // The schema refers to azd extensions' schemas (draft-07) by URL: they are vendored under schemas/azd/
  // with the same paths, so validation needs no network.
  loadSchema: async (uri) => {
    if (!uri.startsWith(AZD_RAW))
      throw new Error(`azure.yaml schema refers to ${uri}, which is not vendored`);
    return JSON.parse(
      readFileSync(join(REPO_ROOT, "schemas/azd", uri.slice(AZD_RAW.length)), "utf8"),
    ) as object;
  },
});
ajv.addMetaSchema(draft7MetaSchema);
const validate = await ajv.compileAsync(
  JSON.parse(readFileSync(join(REPO_ROOT, "schemas/azure.yaml.schema.json"), "utf8")) as object,
);

function problemsOf(doc: unknown): string[] {
  return validate(doc)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

interface AzureYaml {
  name: string;
  infra: { provider: string; path: string; module: string };
  services: Record<
    string,
    {
      host: string;
      language: string;
      project: string;
      dist: string;
      remoteBuild: boolean;
      hooks: { prepackage: { run: string; windows: { run: string } } };
    }
  >;
}

const text = readFileSync(join(REPO_ROOT, "azure.yaml"), "utf8");
const doc = parse(text) as AzureYaml;

describe("azure.yaml", () => {
  it("is valid against the azd schema", () => {
    expect(problemsOf(doc)).toEqual([]);
  });

  it("the validation catches real mistakes (a bad name, a service without host, a function with an image and a project)", () => {
    expect(problemsOf({ ...doc, name: "Storage Auth Triage" }).join("\n")).toMatch(/\/name/);
    const { host: _host, ...withoutHost } = doc.services.triage!;
    expect(problemsOf({ ...doc, services: { triage: withoutHost } }).join("\n")).toMatch(/host/);
    expect(
      problemsOf({ ...doc, services: { triage: { ...doc.services.triage, image: "x:1" } } }),
    ).not.toEqual([]);
    expect(problemsOf({ ...doc, hooks: { preprovision: { run: "x", unknownKey: true } } })).not.toEqual([]);
  });

  it("provisions infra/main.bicep and deploys one TypeScript function app from the packaged bundle", () => {
    expect(doc.infra).toEqual({ provider: "bicep", path: "infra", module: "main" });
    expect(existsSync(join(REPO_ROOT, doc.infra.path, `${doc.infra.module}.bicep`))).toBe(true);
    expect(existsSync(join(REPO_ROOT, doc.infra.path, `${doc.infra.module}.bicepparam`))).toBe(true);
    const services = Object.entries(doc.services);
    expect(services).toHaveLength(1);
    const [name, service] = services[0]!;
    expect(service).toMatchObject({ host: "function", language: "ts", project: ".", remoteBuild: false });
    // azd finds the app by its azd-service-name tag, which the Bicep sets to this service's name.
    const functionApp = readFileSync(join(REPO_ROOT, "infra/modules/function-app.bicep"), "utf8");
    expect(functionApp).toContain(`param azdServiceName string = '${name}'`);
    // The hook stages exactly the folder azd deploys.
    for (const run of [service.hooks.prepackage.run, service.hooks.prepackage.windows.run]) {
      expect(run).toMatch(/npm run --silent package -- --stage (\S+)$/);
      expect(run.split("--stage ")[1]).toBe(service.dist);
    }
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.package).toBe("node scripts/package.mjs");
  });
});
