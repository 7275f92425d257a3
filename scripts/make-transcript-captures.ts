/**
 * `npm run corpus:transcripts`: real transcripts of failing Storage requests as people capture them,
 * for the doctor's readers of tool output (test/doctor/transcript-captures.test.ts). It starts Azurite
 * (`--disableTelemetry`, free ports), writes a blob with the real SDK, breaks a SAS the way people do
 * (expired, missing a permission, signed with another key), and makes each failing call twice:
 * - with the machine's `curl -v`: what curl prints (stderr and stdout, as a terminal shows them);
 * - with the Azure SDK for JavaScript in a child process run with `AZURE_LOG_LEVEL=info`: its stderr;
 * - with the same SDK without logging, the error as Node prints it (`console.error(err)`);
 * - with the Azure SDK for .NET (scripts/dotnet-sdk-capture, built with the machine's `dotnet`), its
 *   HTTP logging written by Azure.Core's console listener and by a Microsoft.Extensions.Logging console
 *   logger, then the RequestFailedException the program catches: stdout and stderr as a terminal shows.
 * - with the Azure SDK for Python (scripts/python-sdk-capture.py, Debian's python3 and
 *   python3-azure-storage), its Storage policy's and azure-core's logging at DEBUG, urllib3's line and
 *   the exception it prints: stderr;
 * - with the Azure CLI (Debian's azure-cli), `az storage blob download|upload --debug`: stderr.
 * A wrong account key in a connection string is used with the Python SDK and the CLI too, and tokens the
 * emulator refuses (a wrong audience, an expired one: Azurite with --oauth basic) with the Python SDK.
 * AzCopy (the npm package @azure-tools/azcopy-linux, fetched into a temporary folder) copies with an
 * expired SAS and uploads with a read-only one: its job log at --log-level DEBUG, and what it prints on
 * the terminal (the Go SDK's error text, without the URL's query). AzCopy 10.14.1, built on the older Go
 * Storage SDK (azure-storage-blob-go, as AzCopy was up to 10.18), uploads with an expired SAS and a read-only one: its
 * terminal prints that SDK's `===== RESPONSE ERROR (ServiceCode=…)` text, request and answer whole.
 * Browsers' CORS preflights are captured with curl alone (OPTIONS with the page's Origin), once with no
 * CORS rule on the service and once with a rule for another origin: no SDK sends a preflight.
 * Each goes to test/doctor/captures/transcripts/<tool>-<story>.txt, with index.json saying what each
 * is and what the doctor must answer. Azurite's port and the times differ per run, so the transcripts
 * are made once and committed; this script remakes them.
 */
import {
  BlobSASPermissions,
  BlobServiceClient,
  type BlockBlobClient,
  type ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkoutRoot } from "./checkout-root.js";
import { makeCertificate, mintToken, tokenClaims } from "./make-doctor-corpus.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../src/local/azurite.js";

export interface TranscriptCapture {
  /** `<tool>-<story>`, the file's name without `.txt`. */
  name: string;
  tool:
    | "curl"
    | "js-sdk"
    | "js-error"
    | "dotnet-sdk"
    | "dotnet-ilogger"
    | "python-sdk"
    | "az-cli"
    | "azcopy-log"
    | "azcopy-console"
    | "azcopy-legacy-log"
    | "azcopy-legacy-console";
  story: string;
  expect: { decision: string; firstProblem: string };
  /** Values that must never appear in the doctor's output (the signatures, a wrong account key). */
  secrets: string[];
}

const ROOT = checkoutRoot(import.meta.url);
const DIR = join(ROOT, "test", "doctor", "captures", "transcripts");
const HOUR = 3_600_000;

interface Story {
  name: string;
  story: string;
  expect: TranscriptCapture["expect"];
  /**
   * What the doctor answers from the error Node prints: it writes every SAS field REDACTED, so only
   * Storage's answer and the request's shape are left to tell the story.
   */
  printed: TranscriptCapture["expect"];
  sas: string;
  write: boolean;
}

/** The SDK's call, run in a child with the SDK's logging on, as a user would (the URL as argv[1]). */
const SDK_CALL = `
import { BlobClient } from "@azure/storage-blob";
const [url, write, print] = process.argv.slice(1);
const blob = new BlobClient(url, undefined, { retryOptions: { maxTries: 1 } }).getBlockBlobClient();
try {
  if (write === "write") await blob.upload("a,b", 3);
  else await blob.download();
} catch (err) {
  if (print === "error") console.error(err);
  else console.error(\`RestError: \${err.message.split("\\n")[0]} (\${err.statusCode} \${err.code})\`);
}
`;

function curlTranscript(url: string, write: boolean): string {
  const args = write ? ["-X", "PUT", "-H", "x-ms-blob-type: BlockBlob", "--data-binary", "a,b"] : [];
  try {
    // -v to stderr, the body to stdout, both into one text as a terminal shows them.
    return execFileSync("sh", ["-c", 'curl -v -sS "$@" 2>&1', "curl", ...args, url], { encoding: "utf8" });
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? "");
  }
}

/** A browser's preflight for a PUT of the blob from `origin`, as curl -v shows it. */
function curlPreflight(url: string, origin: string): string {
  const args = [
    "-X",
    "OPTIONS",
    "-H",
    `Origin: ${origin}`,
    "-H",
    "Access-Control-Request-Method: PUT",
    "-H",
    "Access-Control-Request-Headers: content-type,x-ms-blob-type,x-ms-version",
  ];
  return execFileSync("sh", ["-c", 'curl -v -sS "$@" 2>&1', "curl", ...args, url], { encoding: "utf8" });
}

/**
 * The JavaScript SDK's call: its logging (AZURE_LOG_LEVEL=info) and a line for the error, or, with
 * `printed`, no logging and the error as Node prints it (`console.error(err)`), what a program shows.
 */
function sdkTranscript(url: string, write: boolean, printed = false): string {
  const { AZURE_LOG_LEVEL: _level, ...quiet } = process.env;
  const run = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", SDK_CALL, url, write ? "write" : "read", printed ? "error" : "summary"],
    { cwd: ROOT, env: printed ? quiet : { ...process.env, AZURE_LOG_LEVEL: "info" }, encoding: "utf8" },
  );
  return run.stderr;
}

/** Builds scripts/dotnet-sdk-capture (NuGet restore included) into a temporary folder; returns its dll. */
function buildDotnetCapture(): { dll: string; cleanUp: () => void } {
  const artifacts = mkdtempSync(join(tmpdir(), "dotnet-sdk-capture-"));
  const project = join(ROOT, "scripts", "dotnet-sdk-capture");
  const build = spawnSync(
    "dotnet",
    ["build", project, "-c", "Release", "--artifacts-path", artifacts, "-nologo", "-v", "quiet"],
    { encoding: "utf8" },
  );
  if (build.error || build.status !== 0)
    throw new Error(
      `corpus:transcripts: building ${project} needs the .NET SDK (dotnet) and NuGet: ` +
        (build.error?.message ?? build.stdout + build.stderr),
    );
  return {
    dll: join(artifacts, "bin", "dotnet-sdk-capture", "release", "dotnet-sdk-capture.dll"),
    cleanUp: () => rmSync(artifacts, { recursive: true, force: true }),
  };
}

function dotnetTranscript(
  dll: string,
  url: string,
  write: boolean,
  logger: "event-source" | "ilogger",
): string {
  // Both streams into one text, as a terminal shows them.
  return execFileSync(
    "sh",
    ["-c", 'dotnet "$@" 2>&1', "dotnet", dll, url, write ? "write" : "read", logger],
    {
      encoding: "utf8",
    },
  );
}

/** The blob every story reads or writes (`reports/2026/q3.csv`), created in the account at `blobEndpoint`. */
export async function seedStoryBlob(
  blobEndpoint: string,
): Promise<{ container: ContainerClient; blob: BlockBlobClient }> {
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const container = new BlobServiceClient(blobEndpoint, credential).getContainerClient("reports");
  await container.create();
  const blob = container.getBlockBlobClient("2026/q3.csv");
  await blob.upload("a,b\n1,2\n", 8);
  return { container, blob };
}

/** A service SAS for the story blob, signed with `key` (the account's own unless told). */
export function storyBlobSas(
  permissions: string,
  startsOn: number,
  expiresOn: number,
  key = AZURITE_KEY,
): string {
  return generateBlobSASQueryParameters(
    {
      containerName: "reports",
      blobName: "2026/q3.csv",
      permissions: BlobSASPermissions.parse(permissions),
      startsOn: new Date(startsOn),
      expiresOn: new Date(expiresOn),
      version: "2023-11-03",
    },
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, key),
  ).toString();
}

/** Azurite's --cert and --key: a throwaway certificate for 127.0.0.1, made with openssl in `dir`. */
export function certificateArgs(dir: string): string[] {
  const { cert, key } = makeCertificate(dir);
  return ["--cert", cert, "--key", key];
}

/** Debian's Python, where python3-azure-storage is installed (npm run setup). */
export const DEBIAN_PYTHON = "/usr/bin/python3";

/** scripts/python-sdk-capture.py's stderr: what the SDK logged and the exception it printed. */
export function pythonTranscript(
  url: string,
  write: boolean,
  style: "basic" | "asctime",
  /** A connection string, or `bearer:<token>`. */
  credential?: string,
): string {
  const script = join(ROOT, "scripts", "python-sdk-capture.py");
  const args = [script, url, write ? "write" : "read", style, ...(credential ? [credential] : [])];
  const run = spawnSync(DEBIAN_PYTHON, args, { encoding: "utf8", timeout: 120_000 });
  if (run.error || !/Response status|" \d{3} /.test(run.stderr))
    throw new Error(`python-sdk-capture.py logged no request: ${run.error?.message ?? run.stderr}`);
  return run.stderr;
}

/** The same call made with Python's http.client, its debugging on: what it prints (its stdout). */
export function pythonHttpClientTranscript(url: string, write: boolean): string {
  const script = join(ROOT, "scripts", "python-http-client-capture.py");
  const run = spawnSync(DEBIAN_PYTHON, [script, url, write ? "write" : "read"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (run.error || !/^reply: 'HTTP\/1\.1 \d{3}/m.test(run.stdout))
    throw new Error(`python-http-client-capture.py printed no reply: ${run.error?.message ?? run.stderr}`);
  return run.stdout;
}

/**
 * `az storage blob download` (or `upload`) with `--debug`: its stderr. Its own configuration folder,
 * so nothing of the user's is read or written, and no telemetry.
 */
export function azTranscript(target: string[], write: boolean): string {
  const scratch = mkdtempSync(join(tmpdir(), "az-capture-"));
  try {
    const file = join(scratch, "q3.csv");
    writeFileSync(file, "a,b\n");
    const verb = write ? ["upload", "--overwrite"] : ["download"];
    const run = spawnSync("az", ["storage", "blob", ...verb, ...target, "--file", file, "--debug"], {
      encoding: "utf8",
      timeout: 120_000,
      env: {
        ...process.env,
        AZURE_CONFIG_DIR: join(scratch, "az"),
        AZURE_CORE_COLLECT_TELEMETRY: "false",
        AZURE_CORE_NO_COLOR: "true",
      },
    });
    if (run.error || !/HTTP\/1\.1" \d{3}/.test(run.stderr))
      throw new Error(`az sent no request: ${run.error?.message ?? run.stderr.slice(-2000)}`);
    return run.stderr;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const AZCOPY_PACKAGE = "@azure-tools/azcopy-linux@10.32.2";
/** An AzCopy on the older Go Storage SDK (azure-storage-blob-go): 10.17.0 and 10.18.1 print the same text. */
const AZCOPY_LEGACY_PACKAGE = "@azure-tools/azcopy-linux@10.14.1";

/** AzCopy's Linux binary from npm, into a temporary folder (it is 57 MB, and only this script needs it). */
function fetchAzCopy(pkg = AZCOPY_PACKAGE): { exe: string; cleanUp: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "azcopy-"));
  const install = spawnSync("npm", ["install", "--no-save", "--prefix", dir, pkg], {
    encoding: "utf8",
  });
  if (install.error || install.status !== 0)
    throw new Error(`corpus:transcripts: npm could not fetch ${pkg}: ${install.stderr}`);
  const exe = join(dir, "node_modules", "@azure-tools", "azcopy-linux", "dist", "bin", "azcopy_linux_amd64");
  chmodSync(exe, 0o755);
  return { exe, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One AzCopy job: its job log (DEBUG) and what it printed, both streams as a terminal shows them. */
function azcopyTranscripts(exe: string, args: string[]): { log: string; printed: string } {
  const logs = mkdtempSync(join(tmpdir(), "azcopy-logs-"));
  try {
    const run = spawnSync(exe, [...args, "--log-level", "DEBUG"], {
      encoding: "utf8",
      env: { ...process.env, AZCOPY_LOG_LOCATION: logs, AZCOPY_JOB_PLAN_LOCATION: logs },
      timeout: 120_000,
    });
    const job = /Job ([0-9a-f-]{36}) has started/.exec(run.stdout)?.[1];
    if (!job) throw new Error(`corpus:transcripts: AzCopy started no job: ${run.stdout}${run.stderr}`);
    return { log: readFileSync(join(logs, `${job}.log`), "utf8"), printed: run.stdout + run.stderr };
  } finally {
    rmSync(logs, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dotnet = buildDotnetCapture();
  const azcopy = fetchAzCopy();
  const azcopyLegacy = fetchAzCopy(AZCOPY_LEGACY_PACKAGE);
  // The file AzCopy uploads and the one it would download into.
  const scratch = mkdtempSync(join(tmpdir(), "azcopy-files-"));
  const azurite = await startAzurite();
  try {
    const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
    const { container, blob } = await seedStoryBlob(azurite.blobEndpoint);
    const now = Date.now();
    const sas = storyBlobSas;
    const otherKey = Buffer.from("a key this account never had: transcripts").toString("base64");
    const stories: Story[] = [
      {
        name: "blob-sas-expired",
        story: "A service SAS that expired an hour ago, used to read the blob.",
        expect: { decision: "sas", firstProblem: "sas-expired" },
        printed: { decision: "sas", firstProblem: "sas-signature-rejected" },
        sas: sas("r", now - 3 * HOUR, now - HOUR),
        write: false,
      },
      {
        name: "blob-sas-missing-permission",
        story: "A read-only service SAS used to overwrite the blob.",
        expect: { decision: "sas", firstProblem: "sas-permission-mismatch" },
        printed: { decision: "sas", firstProblem: "server-AuthorizationPermissionMismatch" },
        sas: sas("r", now - HOUR, now + HOUR),
        write: true,
      },
      {
        name: "blob-sas-wrong-key",
        story: "A service SAS signed with a key the account does not have (rotated, or another account's).",
        // The SDK's log hides the signature: only the server's answer is left to tell it.
        expect: { decision: "sas", firstProblem: "sas-signature-rejected" },
        printed: { decision: "sas", firstProblem: "sas-signature-rejected" },
        sas: sas("r", now - HOUR, now + HOUR, otherKey),
        write: false,
      },
    ];
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    const index: TranscriptCapture[] = [];
    for (const s of stories) {
      const url = `${blob.url}?${s.sas}`;
      const secrets = [new URLSearchParams(s.sas).get("sig")!];
      for (const [tool, transcript, expect] of [
        ["curl", curlTranscript(url, s.write), s.expect],
        ["js-sdk", sdkTranscript(url, s.write), s.expect],
        ["js-error", sdkTranscript(url, s.write, true), s.printed],
        ["dotnet-sdk", dotnetTranscript(dotnet.dll, url, s.write, "event-source"), s.expect],
        ["dotnet-ilogger", dotnetTranscript(dotnet.dll, url, s.write, "ilogger"), s.expect],
        ["python-sdk", pythonTranscript(url, s.write, "basic"), s.expect],
        ["az-cli", azTranscript(["--blob-url", url], s.write), s.expect],
      ] as const) {
        const name = `${tool}-${s.name}`;
        writeFileSync(join(DIR, `${name}.txt`), transcript);
        index.push({ name, tool, story: s.story, expect, secrets });
      }
    }
    // A connection string with a key the account does not have: the logs hide the Authorization header.
    const wrongKey = Buffer.from("a key this account never had: transcripts").toString("base64");
    const connection = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${wrongKey};BlobEndpoint=${azurite.blobEndpoint}`;
    const sharedKey = {
      name: "blob-sharedkey-wrong-key",
      story:
        "A connection string whose account key the account does not have (rotated), used to read the blob.",
      expect: { decision: "authentication", firstProblem: "sharedkey-signature-rejected" },
    };
    for (const [tool, transcript] of [
      ["python-sdk", pythonTranscript(blob.url, false, "asctime", connection)],
      [
        "az-cli",
        azTranscript(["--connection-string", connection, "-c", "reports", "-n", "2026/q3.csv"], false),
      ],
    ] as const) {
      const name = `${tool}-${sharedKey.name}`;
      writeFileSync(join(DIR, `${name}.txt`), transcript);
      index.push({ name, tool, story: sharedKey.story, expect: sharedKey.expect, secrets: [wrongKey] });
    }
    // Tokens the emulator refuses (Azurite's --oauth basic, over HTTPS): the SDK's logs hide the token.
    const oauthDir = mkdtempSync(join(tmpdir(), "transcripts-oauth-"));
    const oauth = await startAzurite({ extraArgs: ["--oauth", "basic", ...certificateArgs(oauthDir)] });
    try {
      const tokenUrl = `${oauth.blobEndpoint.replace(/^http:/, "https:")}/reports/2026/q3.csv`;
      const bearerStories = [
        {
          name: "blob-bearer-wrong-audience",
          story: "A token requested for Azure Resource Manager, sent to Blob storage.",
          token: mintToken(tokenClaims("v1", { aud: "https://management.azure.com" })),
        },
        {
          name: "blob-bearer-expired",
          story: "A token that expired ten minutes ago, kept in configuration instead of refreshed.",
          token: mintToken(tokenClaims("v1", { expMin: -10, nbfMin: -70 })),
        },
      ];
      for (const b of bearerStories) {
        const name = `python-sdk-${b.name}`;
        writeFileSync(
          join(DIR, `${name}.txt`),
          pythonTranscript(tokenUrl, false, "basic", `bearer:${b.token}`),
        );
        index.push({
          name,
          tool: "python-sdk",
          story: b.story,
          expect: { decision: "authentication", firstProblem: "bearer-rejected-by-server" },
          secrets: [b.token],
        });
      }
    } finally {
      await oauth.stop();
      rmSync(oauthDir, { recursive: true, force: true });
    }
    const containerSas = (permissions: string, startsOn: number, expiresOn: number) =>
      generateBlobSASQueryParameters(
        {
          containerName: "reports",
          permissions: ContainerSASPermissions.parse(permissions),
          startsOn: new Date(startsOn),
          expiresOn: new Date(expiresOn),
          version: "2023-11-03",
        },
        credential,
      ).toString();
    const upload = join(scratch, "q4.csv");
    writeFileSync(upload, "a,b\n3,4\n");
    const azcopyStories = [
      {
        name: "blob-sas-expired",
        story: "AzCopy downloads the blob with a container SAS that expired an hour ago.",
        args: (q: string) => [
          "copy",
          `${container.url}/2026/q3.csv?${q}`,
          `${upload}.down`,
          "--from-to",
          "BlobLocal",
        ],
        sas: containerSas("rl", now - 3 * HOUR, now - HOUR),
        log: { decision: "sas", firstProblem: "sas-expired" },
        // Azurite answers an expired SAS AuthorizationFailure; without the query the doctor can say only
        // that the emulator (which has no firewall) refused the credential.
        console: { decision: "authentication", firstProblem: "emulator-credential-refused" },
      },
      {
        name: "blob-sas-missing-permission",
        story: "AzCopy uploads a file with a read-and-list container SAS.",
        args: (q: string) => ["copy", upload, `${container.url}/2026/q4.csv?${q}`, "--from-to", "LocalBlob"],
        sas: containerSas("rl", now - HOUR, now + HOUR),
        log: { decision: "sas", firstProblem: "sas-permission-mismatch" },
        // The code alone reads as a token's missing role: the doctor names the SAS reading beside it.
        console: { decision: "rbac", firstProblem: "server-AuthorizationPermissionMismatch" },
      },
    ];
    for (const a of azcopyStories) {
      const { log, printed } = azcopyTranscripts(azcopy.exe, a.args(a.sas));
      const secrets = [new URLSearchParams(a.sas).get("sig")!];
      for (const [tool, transcript, expect] of [
        ["azcopy-log", log, a.log],
        ["azcopy-console", printed, a.console],
      ] as const) {
        const name = `${tool}-${a.name}`;
        writeFileSync(join(DIR, `${name}.txt`), transcript);
        index.push({ name, tool, story: a.story, expect, secrets });
      }
    }
    // AzCopy 10.14 answers a download whose source it cannot read with "cannot use directory as source",
    // before any job: only uploads reach the older SDK's error text.
    const legacyStories = [
      {
        name: "blob-sas-expired",
        story: "AzCopy 10.14 uploads a file with a container SAS that expired an hour ago.",
        sas: containerSas("rwl", now - 3 * HOUR, now - HOUR),
        expect: { decision: "sas", firstProblem: "sas-expired" },
      },
      {
        name: "blob-sas-missing-permission",
        story: "AzCopy 10.14 uploads a file with a read-and-list container SAS.",
        sas: containerSas("rl", now - HOUR, now + HOUR),
        expect: { decision: "sas", firstProblem: "sas-permission-mismatch" },
      },
    ];
    for (const a of legacyStories) {
      const { log, printed } = azcopyTranscripts(azcopyLegacy.exe, [
        "copy",
        upload,
        `${container.url}/2026/q4-legacy.csv?${a.sas}`,
        "--from-to",
        "LocalBlob",
      ]);
      const secrets = [new URLSearchParams(a.sas).get("sig")!];
      for (const [tool, transcript] of [
        ["azcopy-legacy-log", log],
        ["azcopy-legacy-console", printed],
      ] as const) {
        const name = `${tool}-${a.name}`;
        writeFileSync(join(DIR, `${name}.txt`), transcript);
        index.push({ name, tool, story: a.story, expect: a.expect, secrets });
      }
    }
    const uploadSas = sas("cw", now - HOUR, now + HOUR);
    const page = "https://app.contoso.com";
    const corsStories = [
      {
        name: "blob-cors-no-rule",
        story: "A page at https://app.contoso.com uploads with a SAS; the blob service has no CORS rule.",
      },
      {
        name: "blob-cors-other-origin",
        story: "The same upload; the blob service's one CORS rule is for https://portal.contoso.com.",
        rules: [
          {
            allowedOrigins: "https://portal.contoso.com",
            allowedMethods: "GET,PUT",
            allowedHeaders: "*",
            exposedHeaders: "*",
            maxAgeInSeconds: 3600,
          },
        ],
      },
    ];
    const service = new BlobServiceClient(azurite.blobEndpoint, credential);
    for (const c of corsStories) {
      await service.setProperties({ cors: c.rules ?? [] });
      const name = `curl-${c.name}`;
      writeFileSync(join(DIR, `${name}.txt`), curlPreflight(`${blob.url}?${uploadSas}`, page));
      index.push({
        name,
        tool: "curl",
        story: c.story,
        expect: { decision: "policy", firstProblem: "cors-preflight-refused" },
        secrets: [new URLSearchParams(uploadSas).get("sig")!],
      });
    }
    writeFileSync(join(DIR, "index.json"), JSON.stringify(index, null, 2) + "\n");
    process.stderr.write(`corpus:transcripts: wrote ${index.length} transcripts to ${DIR}\n`);
  } finally {
    await azurite.stop();
    dotnet.cleanUp();
    azcopy.cleanUp();
    azcopyLegacy.cleanUp();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
