import { parseArgs } from "node:util";
import { z } from "zod";
import { CaptureError } from "../../doctor/capture.js";
import { explainCapture } from "../../doctor/explain.js";
import { renderExplainJson, renderExplainText } from "../../doctor/render.js";
import { redactSecrets } from "../../redact.js";
import { sharedKeyDiffFindings } from "../../signature/doctor-adapter.js";
import { RequestInputError } from "../../signature/http-request.js";
import { accountKeySchema, computeSharedKeySignature } from "../../signature/sign.js";
import { EXIT_OK, UsageError, type CliCommand } from "../command.js";
import { readCaptureFile, readInputFile as readInput } from "../read-input.js";

const HELP = `auth-triage explain: diagnose one captured Storage request/response pair.

Usage: auth-triage explain --request FILE [--response FILE] [--client-ip IP] [--format text|json]
                           [--service blob|queue|file|table] [--account NAME] [--key-env VAR]

  --request FILE    The request as raw HTTP text (its response may follow it, as Fiddler and Burp
                    save a session), JSON {method, url, headers[, body][, response]}, a HAR file or
                    entry (its response is used too), Fiddler's session archive (.saz), Burp's
                    saved items (XML) or a Charles JSON session (.chlsj) (each session as a HAR's
                    entries), Azurite's debug log (azurite --debug FILE: the
                    request, its answer and the emulator's string-to-sign), the Python SDK's HTTP
                    logging, as 'az … --debug' prints it (Request URL/method/headers, Response
                    status/headers/content, each line's logging prefix read off), Python's
                    http.client debugging (debuglevel = 1: send:, reply:, header:), the JavaScript
                    SDK's with AZURE_LOG_LEVEL=info, the .NET SDK's event-source logging (console
                    listener or ILogger, with the exception the program printed), the Java SDK's
                    (az.sdk.message events), AzCopy's job log, terminal output (the Go SDK's) or
                    --output-type json, AzCopy's "…FAILED: … When <step>." line with its "Dst:" line
                    (the request rebuilt from the step), Hadoop's ABFS error ('Operation failed:
                    "…", 403, GET, https://…', as Spark prints it on Databricks and Synapse), .NET's
                    HttpRequestMessage as PowerShell 7's error record ($_ | Format-List * -Force) or
                    a .NET program's log prints it, the older Go Storage SDKs' "===== RESPONSE ERROR
                    (ServiceCode=…)" text (what AzCopy 10.18 and older print), Terraform's error for
                    a Storage call (the request rebuilt from the names it gives; --account when it
                    names none) or its TF_LOG=DEBUG dumps, a JavaScript SDK RestError as Node prints
                    it (console.error(err)), Azure Storage Explorer's error details (its response is
                    used too), what 'curl -v' prints (its response and body are used too), a curl
                    command line (a browser's "Copy as cURL", bash or cmd), a browser's "Copy as
                    fetch" or "Copy as PowerShell" (Invoke-WebRequest), or a browser console's line
                    for the call (PUT https://… 403 (…)).
  --response FILE   The response as raw HTTP text, JSON {status, headers, body}, Azurite's debug log
                    (the answer to its last failed request, with its string-to-sign), the text of a
                    .NET RequestFailedException or of a Go SDK error (as AzCopy prints it, either
                    form), AzCopy's "…FAILED:" line, Hadoop's ABFS error, Data Factory's or
                    Synapse's Storage error, a JavaScript SDK RestError as JSON, or just the XML
                    error body. Needed for the WWW-Authenticate challenge and the error detail; an
                    answer from which no status and no code can be read is refused.
                  Either file may be copied from a CI job's log (Azure Pipelines' and GitHub
                  Actions' time stamps and terminal colour codes are read off) or from a page that
                  doubled its line breaks.
  --client-ip IP    The caller's egress IP, to check a SAS bound to an IP range (sip) and to name it
                    in a firewall fix.
  --service S       blob, queue, file or table, when the host does not tell (path-style URLs, the
                    emulator, custom domains, proxies). Without it the service is read from the
                    answer's Server header (Windows-Azure-Blob/1.0, Azurite-Queue/…), then from the
                    request (queue /messages, Table OData headers and paths, Blob or Files headers
                    and comp= values, the SAS) or, failing that, from which service's layout
                    matches the server's string-to-sign.
  --account NAME    The storage account, when the host does not tell (a custom domain).
  --key-env VAR     Name of the environment variable holding the base64 account key. With the
                    server's string-to-sign it tells a wrong key from a changed request (Shared Key
                    and SAS). The key is never printed.
  --format FMT      text (default) or json.

It reports, in order, the scheme in use and any mixed or duplicated auth metadata, then what is wrong
with the bearer token (claims vs the challenge, lifetime, x-ms-version), the SAS (every field vs the
request) or the Shared Key request (date, account, the server's string-to-sign), and the verdict
(authentication, rbac, sas, network, policy) with the wrong fix to avoid. The request's own evidence
(the server's string-to-sign, the SAS fields, the token's claims, who answered) decides over the
response's error code; the report says which evidence decided and when the code was overruled.
A HAR with several requests gets one answer per failed Storage request.
Tokens, keys and signatures are never printed: only claims and field values.
Exit codes: 0 diagnosis printed; 2 unreadable or malformed input.`;

const Flags = z.object({
  request: z.string({ error: "--request FILE is required" }).min(1),
  response: z.string().optional(),
  "client-ip": z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}$/, "--client-ip must be an IPv4 address")
    .optional(),
  format: z.enum(["text", "json"], { error: "--format must be text or json" }).default("text"),
  service: z
    .enum(["blob", "queue", "file", "table"], { error: "--service must be blob, queue, file or table" })
    .optional(),
  account: z
    .string()
    .regex(
      /^[a-z0-9]{3,24}$/,
      "--account must be 3-24 lower-case letters and digits (a storage account name)",
    )
    .optional(),
  "key-env": z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      "--key-env takes the NAME of an environment variable, not the key itself",
    )
    .optional(),
});

export const explainCommand: CliCommand = {
  name: "explain",
  summary: "Diagnose one captured request/response pair (scheme, token claims, SAS fields, signature)",
  help: HELP,
  async run(argv, io) {
    let values: Record<string, unknown>;
    try {
      values = parseArgs({
        args: argv,
        options: {
          request: { type: "string" },
          response: { type: "string" },
          "client-ip": { type: "string" },
          format: { type: "string" },
          service: { type: "string" },
          account: { type: "string" },
          "key-env": { type: "string" },
        },
        strict: true,
      }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const parsed = Flags.safeParse(values);
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("; "));
    const flags = parsed.data;
    let keyCheck: { source: string; sign(s: string): string } | undefined;
    if (flags["key-env"]) {
      const name = flags["key-env"];
      const raw = io.env[name];
      if (raw === undefined || raw === "")
        throw new UsageError(`environment variable ${name} (from --key-env) is not set or empty`);
      const key = accountKeySchema.safeParse(raw);
      if (!key.success)
        throw new UsageError(
          `environment variable ${name}: ${key.error.issues[0]?.message ?? "not a valid account key"}`,
        );
      keyCheck = { source: `The key in $${name}`, sign: (s) => computeSharedKeySignature(s, key.data) };
    }
    try {
      const result = explainCapture(
        await readCaptureFile(flags.request, "--request"),
        flags.response ? await readInput(flags.response, "--response") : undefined,
        {
          clientIp: flags["client-ip"],
          sharedKeyDiff: sharedKeyDiffFindings,
          ...(flags.service ? { service: flags.service } : {}),
          ...(flags.account ? { account: flags.account } : {}),
          ...(keyCheck ? { keyCheck } : {}),
        },
        { request: flags.request, response: flags.response ?? "response" },
      );
      if (!result.primary && result.requests.length === 1) {
        const only = result.requests[0]!;
        throw new UsageError(`${flags.request}: ${"skipped" in only ? only.skipped : "nothing to diagnose"}`);
      }
      io.stdout.write(flags.format === "json" ? renderExplainJson(result) : renderExplainText(result));
      return EXIT_OK;
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(redactSecrets(err.message));
      if (err instanceof CaptureError || err instanceof RequestInputError) {
        throw new UsageError(redactSecrets(err.message));
      }
      throw new UsageError(redactSecrets((err as Error).message));
    }
  },
};
