import { parseArgs } from "node:util";
import { z } from "zod";
import { CaptureError, parseRequestCapture, parseResponseCapture } from "../../doctor/capture.js";
import { diagnose } from "../../doctor/doctor.js";
import { renderDoctorJson, renderDoctorText } from "../../doctor/render.js";
import { redactSecrets } from "../../redact.js";
import { sharedKeyDiffFindings } from "../../signature/doctor-adapter.js";
import { RequestInputError } from "../../signature/http-request.js";
import { EXIT_OK, UsageError, type CliCommand } from "../command.js";
import { readInputFile as readInput } from "../read-input.js";

const HELP = `auth-triage explain: diagnose one captured Storage request/response pair.

Usage: auth-triage explain --request FILE [--response FILE] [--client-ip IP] [--format text|json]

  --request FILE    The request as raw HTTP text, JSON {method, url, headers[, body][, response]},
                    a HAR file or entry (its response is used too), or the HTTP logging that
                    'az … --debug' prints (Request URL/method/headers, Response status/headers).
  --response FILE   The response as raw HTTP text, JSON {status, headers, body}, or just the XML
                    error body. Needed for the WWW-Authenticate challenge and the error detail.
  --client-ip IP    The caller's egress IP, to check a SAS bound to an IP range (sip).
  --format FMT      text (default) or json.

It reports, in order, the scheme in use and any mixed or duplicated auth metadata, then what is wrong
with the bearer token (claims vs the challenge, lifetime, x-ms-version), the SAS (every field vs the
request) or the Shared Key request (date, account, the server's string-to-sign), and the verdict
(authentication, rbac, sas, network, policy) with the wrong fix to avoid.
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
        },
        strict: true,
      }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const parsed = Flags.safeParse(values);
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("; "));
    const flags = parsed.data;
    try {
      const exchange = parseRequestCapture(await readInput(flags.request, "--request"), flags.request);
      const response = flags.response
        ? parseResponseCapture(await readInput(flags.response, "--response"), flags.response)
        : undefined;
      const report = diagnose(exchange, response, {
        clientIp: flags["client-ip"],
        sharedKeyDiff: sharedKeyDiffFindings,
      });
      io.stdout.write(flags.format === "json" ? renderDoctorJson(report) : renderDoctorText(report));
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
