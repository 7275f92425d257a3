import type { Incident, Remedy } from "../model/incident.js";
import { SERVICE_LETTER, type ServiceType } from "../model/storage-request.js";
import { command, serviceResourceType, type RemedyContext } from "./context.js";
import { placeholder, sh } from "./shell.js";

/** Response headers a page usually reads from Storage: request ids and the error code for support. */
const EXPOSED_HEADERS = ["x-ms-request-id", "x-ms-error-code", "etag"];
const MAX_AGE_SECONDS = 3600;

/**
 * CorsPreflightFailure: one CORS rule for exactly the origin, method and headers the browser asked for.
 * A captured preflight proves them (ctx.proven.corsPreflight); from logs alone they are placeholders.
 */
export function corsRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const asked = ctx.proven?.corsPreflight;
  const origin = asked?.origin ?? placeholder("page-origin");
  const method = asked?.method ?? placeholder("method");
  const headers = asked?.headers ?? [];
  const services = incident.services.length ? incident.services : (["blob"] as ServiceType[]);
  const letters = services.map((s) => SERVICE_LETTER[s]).join("");
  const placeholders = asked
    ? []
    : [
        {
          name: "page-origin",
          reason:
            "the page's origin (scheme, host and port, e.g. https://app.contoso.com): the Origin header of the browser's OPTIONS request",
        },
        { name: "method", reason: "the method the page uses: the preflight's Access-Control-Request-Method" },
      ];
  const allowedHeaders = (headers.length ? headers : ["x-ms-*"]).map(sh).join(" ");
  const rule = [
    `--origins ${asked ? sh(origin) : origin}`,
    `--methods ${asked ? sh(method) : method}`,
    `--allowed-headers ${allowedHeaders}`,
    `--exposed-headers ${EXPOSED_HEADERS.join(" ")}`,
    `--max-age ${MAX_AGE_SECONDS}`,
  ].join(" ");
  const serviceList = services.join(" and ");
  return {
    kind: "add-cors-rule",
    change: `Let ${asked ? origin : "the page's origin"} send ${asked ? method : "its method"}${headers.length ? ` with ${headers.join(", ")}` : ""} to the ${serviceList} service of ${incident.account}: add one CORS rule for exactly that origin, method and headers.`,
    commands: [
      command(
        `See the CORS rules the ${serviceList} service has now (a rule for the origin may exist with another method or headers).`,
        `az storage cors list --services ${letters} --account-name ${sh(incident.account)}`,
      ),
      command(
        "Add the rule. This call is signed with the account key; with Shared Key access off, set the rule through ARM instead (the Bicep below).",
        `az storage cors add --services ${letters} ${rule} --account-name ${sh(incident.account)}`,
        placeholders,
      ),
    ],
    bicep: [
      "// ARM replaces the whole list: keep the rules the service has, and add this one.",
      ...services.map((s) =>
        [
          `resource ${s}Cors 'Microsoft.Storage/storageAccounts/${serviceResourceType(s)}@2023-05-01' = {`,
          `  name: '${incident.account.replace(/'/g, "")}/default'`,
          "  properties: {",
          "    cors: {",
          "      corsRules: [",
          "        {",
          `          allowedOrigins: [ '${origin.replace(/'/g, "")}' ]`,
          `          allowedMethods: [ '${method.replace(/'/g, "")}' ]`,
          `          allowedHeaders: [ ${(headers.length ? headers : ["x-ms-*"]).map((h) => `'${h.replace(/'/g, "")}'`).join(", ")} ]`,
          `          exposedHeaders: [ ${EXPOSED_HEADERS.map((h) => `'${h}'`).join(", ")} ]`,
          `          maxAgeInSeconds: ${MAX_AGE_SECONDS}`,
          "        }",
          "      ]",
          "    }",
          "  }",
          "}",
        ].join("\n"),
      ),
    ].join("\n"),
    whyNarrowest: `One origin, the one method and ${headers.length ? "exactly the headers" : "the x-ms-* headers"} the browser asked for, on the ${serviceList} service only: no other site and no other method gains anything.`,
    wrongIf: [
      "Allowing origin '*' with every method lets any site drive browsers that hold a SAS against the account.",
      "Rotating keys, minting a new SAS or adding RBAC roles changes nothing: a preflight carries no credential.",
      "The page calls another service (dfs, file, queue or table) than the rule is on: each service has its own rules.",
    ],
    facts: asked
      ? [
          { label: "Origin", value: origin },
          { label: "Method", value: method },
          { label: "Request headers", value: headers.length ? headers.join(", ") : "(none)" },
        ]
      : [
          {
            label: "Origin",
            value: "not in the logs: read it from a browser capture (HAR) of the failing page",
          },
        ],
  };
}
