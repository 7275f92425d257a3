import { parseArgs } from "node:util";
import { z } from "zod";
import { redactSecrets } from "../../redact.js";
import { DuplicateSignedHeaderError, SHARED_KEY_SCHEMES } from "../../signature/canonical.js";
import { explainSignatureMismatch, redactedStringToSign } from "../../signature/diff.js";
import { parseRequestText, RequestInputError, type ParsedRequest } from "../../signature/http-request.js";
import { renderSignatureExplanation } from "../../signature/render.js";
import { parseServerAuthError } from "../../signature/server-error.js";
import { accountKeySchema, signRequest } from "../../signature/sign.js";
import { TargetResolutionError } from "../../signature/target.js";
import { EXIT_OK, UsageError, type CliCommand, type CliIo } from "../command.js";
import { readInputOrStdin as readInput } from "../read-input.js";

const HELP = `auth-triage signature: Shared Key signing and the string-to-sign diff.

Usage:
  auth-triage signature sign --request FILE --account NAME --key-env VAR
                             [--scheme SharedKey|SharedKeyLite] [--service blob|queue|file|table]
                             [--show-string-to-sign]
  auth-triage signature explain --request FILE --server-string-to-sign FILE|- [--format text|json]
                             [--only-differences] [--account NAME] [--scheme …] [--service …]

  --request FILE     The request: raw HTTP text (request line, headers, optional body; "> " prefixes
                     from curl -v are fine), JSON {method, url, headers[, body]} with headers as an
                     object or an array of [name, value] pairs, or a HAR entry. "-" reads stdin.
  --account NAME     The storage account (default: from the Authorization header or the host name).
  --key-env VAR      Name of the environment variable holding the base64 account key. The key is
                     never printed.
  --scheme S         SharedKey (default, or the request's Authorization scheme) or SharedKeyLite.
  --service S        blob, queue, file or table (default: from the host name or emulator port).
  --show-string-to-sign
                     'sign' also prints the string-to-sign (JSON-quoted), to compare with your signer's.
  --server-string-to-sign FILE
                     The server's answer: the XML error body, the AuthenticationErrorDetail text,
                     an Azurite '[STRING TO SIGN]' log line, or just the string (real newlines or
                     literal \\n). "-" reads stdin.
  --format FMT       text (default) or json.
  --only-differences In the text table, show only the fields that differ (and the resource).

'sign' prints the Authorization header for your own request (the only place a signature is printed).
'explain' rebuilds the request's string-to-sign, aligns it field by field with the server's, names the
likely cause (a header stripped or added after signing, a path re-encoded or prefixed, the
Content-Length-zero rule, a Content-Type added by a library, another x-ms-version, a skewed clock) and
gives the verdict with the wrong fixes to avoid. Keys, signatures and echoed MACs are never printed.
Exit codes: 0 done; 2 unreadable or malformed input.`;

const serviceSchema = z.enum(["blob", "queue", "file", "table"], {
  error: "--service must be blob, queue, file or table",
});
const schemeSchema = z.enum(SHARED_KEY_SCHEMES as [string, ...string[]], {
  error: "--scheme must be SharedKey or SharedKeyLite",
}) as z.ZodType<"SharedKey" | "SharedKeyLite">;
const accountSchema = z
  .string()
  .regex(/^[a-z0-9]{3,24}$/, "--account must be 3-24 lower-case letters and digits (a storage account name)");

const SignFlags = z.object({
  request: z.string({ error: "--request FILE is required" }).min(1),
  account: accountSchema.optional(),
  "key-env": z
    .string({ error: "--key-env VAR is required (the name of the variable holding the key)" })
    .min(1),
  scheme: schemeSchema.optional(),
  service: serviceSchema.optional(),
  "show-string-to-sign": z.boolean().default(false),
});

const ExplainFlags = z.object({
  request: z.string({ error: "--request FILE is required" }).min(1),
  "server-string-to-sign": z.string({ error: "--server-string-to-sign FILE|- is required" }).min(1),
  format: z.enum(["text", "json"], { error: "--format must be text or json" }).default("text"),
  "only-differences": z.boolean().default(false),
  account: accountSchema.optional(),
  scheme: schemeSchema.optional(),
  service: serviceSchema.optional(),
});

const OPTIONS = {
  request: { type: "string" },
  account: { type: "string" },
  "key-env": { type: "string" },
  scheme: { type: "string" },
  service: { type: "string" },
  "server-string-to-sign": { type: "string" },
  format: { type: "string" },
  "only-differences": { type: "boolean" },
  "show-string-to-sign": { type: "boolean" },
} as const;

function parseFlags<T extends z.ZodType>(schema: T, argv: string[]): z.infer<T> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

async function loadRequest(path: string): Promise<ParsedRequest> {
  const text = await readInput(path, "--request");
  try {
    return parseRequestText(text, path === "-" ? "stdin" : path);
  } catch (err) {
    if (err instanceof RequestInputError) throw new UsageError(`--request ${redactSecrets(err.message)}`);
    throw err;
  }
}

/** Errors about the request that are the user's to fix: exit 2 with what is wrong. */
function asUsageError(err: unknown, requestPath: string): never {
  if (err instanceof DuplicateSignedHeaderError || err instanceof TargetResolutionError) {
    throw new UsageError(`--request ${requestPath}: ${err.message}`);
  }
  throw err;
}

async function runSign(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(SignFlags, argv);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags["key-env"])) {
    throw new UsageError(`--key-env takes the NAME of an environment variable, not the key itself`);
  }
  const rawKey = io.env[flags["key-env"]];
  if (rawKey === undefined || rawKey === "") {
    throw new UsageError(`environment variable ${flags["key-env"]} (from --key-env) is not set or empty`);
  }
  const key = accountKeySchema.safeParse(rawKey);
  if (!key.success) {
    throw new UsageError(
      `environment variable ${flags["key-env"]}: ${key.error.issues[0]?.message ?? "not a valid account key"}`,
    );
  }
  const request = await loadRequest(flags.request);
  try {
    const signed = signRequest(request, key.data, {
      ...(flags.account ? { account: flags.account } : {}),
      ...(flags.scheme ? { scheme: flags.scheme } : {}),
      ...(flags.service ? { service: flags.service } : {}),
    });
    io.stdout.write(`Authorization: ${signed.authorization}\n`);
    if (flags["show-string-to-sign"]) {
      // JSON-quoted so the newlines are visible; secret header and query values are redacted.
      io.stdout.write(
        `String-To-Sign: ${JSON.stringify(redactedStringToSign(signed.stringToSign.fields))}\n`,
      );
    }
    return EXIT_OK;
  } catch (err) {
    asUsageError(err, flags.request);
  }
}

async function runExplain(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(ExplainFlags, argv);
  if (flags.request === "-" && flags["server-string-to-sign"] === "-") {
    throw new UsageError("only one of --request and --server-string-to-sign can read stdin ('-')");
  }
  const request = await loadRequest(flags.request);
  const serverPath = flags["server-string-to-sign"];
  const serverText = await readInput(serverPath, "--server-string-to-sign");
  if (serverText.trim() === "") {
    throw new UsageError(
      `--server-string-to-sign ${serverPath === "-" ? "stdin" : serverPath}: the input is empty`,
    );
  }
  const server = parseServerAuthError(serverText);
  if (!server.stringToSign && !server.staleDate) {
    throw new UsageError(
      `--server-string-to-sign ${serverPath === "-" ? "stdin" : serverPath}: no string-to-sign found (expected "Server used following string to sign: '…'" in an error body or detail, an Azurite [STRING TO SIGN] line, or the bare string)`,
    );
  }
  try {
    const explanation = explainSignatureMismatch(request, server, {
      ...(flags.account ? { account: flags.account } : {}),
      ...(flags.scheme ? { scheme: flags.scheme } : {}),
      ...(flags.service ? { service: flags.service } : {}),
    });
    const out =
      flags.format === "json"
        ? JSON.stringify(explanation, null, 2) + "\n"
        : renderSignatureExplanation(explanation, { onlyDifferences: flags["only-differences"] });
    // Belt and braces: the diff redacts field by field; this catches anything shaped like a credential.
    io.stdout.write(redactSecrets(out));
    return EXIT_OK;
  } catch (err) {
    asUsageError(err, flags.request);
  }
}

export const signatureCommand: CliCommand = {
  name: "signature",
  summary: "Sign a request with Shared Key, or diff its string-to-sign against the server's",
  help: HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === "sign") return runSign(rest, io);
    if (sub === "explain") return runExplain(rest, io);
    throw new UsageError(
      sub
        ? `unknown sub-command '${sub}': use 'sign' or 'explain'`
        : "missing sub-command: use 'sign' or 'explain'",
    );
  },
};
