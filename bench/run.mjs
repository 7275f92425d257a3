#!/usr/bin/env node
/**
 * Throughput benchmark (npm run bench; BENCH_MB=100 npm run bench for a quick run).
 *
 * Generates, once and deterministically, about BENCH_MB MB of diagnostic-setting archive JSON Lines
 * (mostly successes, 401/403 failures spread over a few hundred clusters) into bench/data/, then runs
 * each measurement in a fresh child process (clean peak RSS, no JIT or heap carried over), its input read
 * once beforehand so that every measurement starts from the page cache:
 *   - ours: readStorageRequests + a group-by on the cluster key, done here; also the batch API and, when
 *     the engine's ClusterAggregator is built (dist/src/cluster/), the real clustering;
 *   - ours, the whole product: `auth-triage analyze --format json` run in the child through the CLI's
 *     main(), with --threads 1, with the default thread count (two here: one pass, the files read and
 *     skimmed ahead on the second) and with --threads 4 (the input cut into parts), with the compile
 *     cache a user's run of the command has;
 *   - DuckDB (@duckdb/node-api, SET threads=1, and 2): read_json + GROUP BY on the same file;
 *   - peak RSS at 10% and 100% of the input;
 *   - the 10% as Event Hubs envelopes, with every object's keys sorted (as `jq -S` and shippers that
 *     keep objects in sorted maps write them), and with its successes from 40 clients instead of a
 *     caller per row, against the 10% as generated, one pass each;
 *   - the headline ratios, DuckDB's one thread against the whole analyze, in BENCH_ROUNDS (3) interleaved
 *     rounds over the archive and the Log Analytics file: DuckDB, then one pass, then the default
 *     threads, back to back, so that a busy shared machine weighs on both sides of each ratio alike;
 *     with each side's CPU seconds (all its threads), which the machine's load moves less than wall time.
 * Prints a table and writes the figures, date and machine into BENCHMARKS.md (between markers).
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  mkdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, totalmem } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DATA_DIR = join(ROOT, "bench", "data");
/**
 * The generated records' revision, in the names of the files made from them, so that a change of the
 * generator makes them again. 2: the ETag logged in its quotes, as Storage logs it (`"\"0x8D…\""`);
 * the skim declined every line with a backslash, which the unquoted ETags of revision 1 hid.
 */
const RECORDS_REVISION = 2;
const DIST = join(ROOT, "dist", "src");
/** The installed `auth-triage` (package.json `bin`): the bundle `npm run build` writes. */
const CLI_BIN = join(ROOT, JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).bin["auth-triage"]);

// ---------------------------------------------------------------------------------------------------
// Child: one measurement, printed as one JSON line.

/** `path` itself, or every file under it when it is a directory. */
function filesOf(path) {
  return statSync(path).isDirectory()
    ? readdirSync(path).flatMap((name) => filesOf(join(path, name)))
    : [path];
}

/** The sizes of a file, or of every file under a directory. */
function fileSizes(path) {
  return filesOf(path).map((f) => statSync(f).size);
}

async function measure(kind, file) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  // Taken when the measured work ends: what the bench does afterwards (reading the product's report back
  // to check its counts) is not the product's time or memory.
  let measured;
  const endOfWork = () =>
    (measured = {
      wallMs: performance.now() - t0,
      cpu: process.cpuUsage(c0),
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    });
  let rows = 0;
  let groups = 0;
  let failures = 0;
  let rejected = 0;
  if (kind.startsWith("duckdb")) {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(`SET threads=${kind.startsWith("duckdb2") ? 2 : 1}`);
    // A directory (an archive tree) is read as DuckDB reads many files: one glob.
    const target = statSync(file).isDirectory() ? join(file, "**", "*.json") : file;
    const source = `read_json('${target.replace(/'/g, "''")}', format = 'newline_delimited')`;
    // Log Analytics NDJSON names the same columns differently from the archive's nested records.
    const la = isLogAnalyticsFile(file);
    const col = la
      ? {
          account: "AccountName",
          service: "ServiceType",
          operation: "OperationName",
          status: "StatusCode",
          statusText: "StatusText",
          authType: "AuthenticationType",
        }
      : {
          account: "properties.accountName",
          service: "properties.serviceType",
          operation: "operationName",
          status: "statusCode",
          statusText: "statusText",
          authType: "identity.type",
        };
    // "failures": what the product does, count every row and group only 401/403 by the cluster key (all
    // other rows fall into one NULL group); "all": group every row by the cluster key.
    const onlyFailures = kind.endsWith("-failures");
    const keyed = (expr, alias) =>
      onlyFailures
        ? `CASE WHEN ${col.status} IN (401, 403) THEN ${expr} END AS ${alias}`
        : `${expr} AS ${alias}`;
    const reader = await connection.runAndReadAll(
      `SELECT ${keyed(col.account, "account")}, ${keyed(col.service, "service")},
              ${keyed(col.operation, "operation")}, ${keyed(col.status, "status")},
              ${keyed(col.statusText, "statusText")}, ${keyed(col.authType, "authType")}, count(*) AS n
         FROM ${source}
        GROUP BY ALL`,
    );
    for (const row of reader.getRowObjects()) {
      const n = Number(row.n);
      rows += n;
      const status = row.status === null ? null : Number(row.status);
      if (status === 401 || status === 403) failures += n;
      if (!onlyFailures || status === 401 || status === 403) groups++;
    }
  } else if (kind.startsWith("ours-cli-")) {
    // Exactly what a user runs: `auth-triage analyze --logs FILE --format json --threads N`, report
    // streamed to a file; N = "default" leaves the thread count to the product. Nothing of ours is loaded
    // before: the time counts the CLI's own module loading, as a user's run does, and no more.
    const { main } = await import(pathToFileURL(CLI_BIN).href);
    // As the CLI does when run as a command: its modules' compiled code from the user's compile cache
    // (written by the first run, read by the rest), for this thread and the scan threads.
    const { useCompileCache } = await import(pathToFileURL(join(DIST, "cli", "compile-cache.js")).href);
    useCompileCache();
    const threads = kind.slice("ours-cli-".length);
    const reportPath = join(DATA_DIR, `report-${process.pid}.json`);
    const out = createWriteStream(reportPath);
    const argv = [
      "analyze",
      "--logs",
      file,
      "--format",
      "json",
      ...(threads === "default" ? [] : ["--threads", threads]),
    ];
    const code = await main(argv, { stdout: out, stderr: process.stderr, env: process.env });
    await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
    endOfWork();
    if (code !== 0) throw new Error(`auth-triage analyze exited ${code}`);
    const report = JSON.parse(readFileSync(reportPath, "utf8"));
    rmSync(reportPath);
    rows = report.input.rows;
    failures = report.input.failures;
    groups = report.input.clusters;
    rejected = report.input.rejected;
  } else {
    const { readStorageRequests, readStorageRequestBatches } = await import(
      pathToFileURL(join(DIST, "collect", "files.js")).href
    );
    const { RejectionCollector } = await import(pathToFileURL(join(DIST, "collect", "rejections.js")).href);
    const rejections = new RejectionCollector();
    // Nested maps keyed by each field: no key string to build and hash per row.
    const root = new Map();
    const level = (map, key) => {
      let next = map.get(key);
      if (next === undefined) {
        next = new Map();
        map.set(key, next);
      }
      return next;
    };
    const group = (r) => {
      const leaf = level(
        level(level(level(level(root, r.account), r.service), r.operation), r.statusCode),
        r.statusText,
      );
      const n = leaf.get(r.authType);
      if (n === undefined) {
        leaf.set(r.authType, 1);
        groups++;
      } else leaf.set(r.authType, n + 1);
    };
    const every = (r) => {
      rows++;
      if (r.statusCode === 401 || r.statusCode === 403) failures++;
      group(r);
    };
    const onlyFailures = (r) => {
      rows++;
      if (r.statusCode === 401 || r.statusCode === 403) {
        failures++;
        group(r);
      }
    };
    if (kind === "ours-all") {
      for await (const r of readStorageRequests([file], { rejections })) every(r);
    } else if (kind === "ours-failures") {
      for await (const r of readStorageRequests([file], { rejections })) onlyFailures(r);
    } else if (kind === "ours-failures-batches") {
      for await (const batch of readStorageRequestBatches([file], { rejections }))
        for (const r of batch) onlyFailures(r);
    } else if (kind === "ours-engine") {
      const { ClusterAggregator } = await import(pathToFileURL(join(DIST, "cluster", "index.js")).href);
      const aggregator = new ClusterAggregator();
      for await (const r of readStorageRequests([file], { rejections })) {
        rows++;
        if (r.statusCode === 401 || r.statusCode === 403) failures++;
        aggregator.observe(r);
      }
      groups = aggregator.partials().length;
    } else throw new Error(`unknown measurement ${kind}`);
    rejected = rejections.count;
  }
  const { wallMs, cpu, maxRssMB } = measured ?? endOfWork();
  const bytes = fileSizes(file).reduce((n, size) => n + size, 0);
  process.stdout.write(
    JSON.stringify({
      kind,
      rows,
      groups,
      failures,
      rejected,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssMB,
      bytes,
    }) + "\n",
  );
}

// ---------------------------------------------------------------------------------------------------
// Data: deterministic, realistic archive records.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNTS = Array.from(
  { length: 24 },
  (_, i) => `stcontoso${["prod", "dev", "test", "logs"][i % 4]}${String(i).padStart(2, "0")}`,
);
const OPERATIONS = {
  blob: [
    "GetBlob",
    "PutBlob",
    "ListBlobs",
    "GetBlobProperties",
    "DeleteBlob",
    "PutBlockList",
    "PutBlock",
    "CopyBlob",
  ],
  queue: ["PutMessage", "GetMessages", "DeleteMessage", "PeekMessages"],
  table: ["QueryEntities", "InsertEntity", "UpdateEntity", "DeleteEntity"],
  file: ["GetFile", "CreateFile", "PutRange", "ListFilesAndDirectories"],
};
const SERVICES = ["blob", "blob", "blob", "queue", "table", "file"];
const CHALLENGES = [
  [403, "AuthenticationFailed", "AccountKey"],
  [403, "AuthenticationFailed", "SAS"],
  [403, "AuthorizationPermissionMismatch", "OAuth"],
  [403, "AuthorizationPermissionMismatch", "SAS"],
  [403, "AuthorizationFailure", "OAuth"],
  [403, "AuthorizationFailure", "AccountKey"],
  [403, "AuthorizationFailure", "SAS"],
  [401, "InvalidAuthenticationInfo", "OAuth"],
  [403, "KeyBasedAuthenticationNotPermitted", "AccountKey"],
  [403, "KeyBasedAuthenticationNotPermitted", "SAS"],
  [403, "AuthorizationProtocolMismatch", "SAS"],
  [403, "AuthorizationResourceTypeMismatch", "SAS"],
  [403, "AuthorizationSourceIPMismatch", "SAS"],
];
const SUCCESS_STATUSES = [
  [200, "Success"],
  [200, "Success"],
  [200, "Success"],
  [200, "Success"],
  [200, "Success"],
  [201, "Success"],
  [206, "Success"],
  [304, "ConditionNotMet"],
  [404, "BlobNotFound"],
  [409, "ContainerAlreadyExists"],
  [412, "ConditionNotMet"],
];
const USER_AGENTS = [
  "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.1; Microsoft Windows 10.0.20348)",
  "azsdk-js-storage-blob/12.17.0 (NODE-VERSION v20.11.0; Linux 5.15.0-1057-azure)",
  "AzCopy/10.22.2 Azure-Storage/0.15 (go1.21.5; linux)",
  "Azure-Storage/2.1.0-2.1.0 (Python CPython 3.11.7; Linux 6.2.0-1019-azure) AZURECLI/2.56.0",
  "Microsoft Azure Storage Explorer, 1.32.1, win32, azcopy-node, 2.0.0, win32, AzCopy/10.21.2",
  "azsdk-java-azure-storage-blob/12.25.1 (17.0.9; Linux; 5.15.0-1053-azure)",
];
const FAILURE_CLUSTERS = 300;

function clusterSpec(i) {
  const [statusCode, statusText, authType] = CHALLENGES[(i * 7) % CHALLENGES.length];
  const service = SERVICES[(i * 5) % SERVICES.length];
  const ops = OPERATIONS[service];
  return {
    account: ACCOUNTS[i % ACCOUNTS.length],
    service,
    operation: ops[(i * 3) % ops.length],
    statusCode,
    statusText,
    authType,
  };
}

function hex(rand, n) {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789ABCDEF"[Math.floor(rand() * 16)];
  return s;
}

function guid(rand) {
  const h = hex(rand, 32).toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function iso7(ms) {
  return new Date(ms).toISOString().replace("Z", "0000Z");
}

const CATEGORY = (op) =>
  /^Delete/.test(op) ? "StorageDelete" : /^(Get|List|Query|Peek)/.test(op) ? "StorageRead" : "StorageWrite";

function record(rand, timeMs) {
  const failing = rand() < 0.05;
  let spec;
  if (failing) {
    // Skewed: a few clusters carry most failures, as real incidents do.
    const u = rand();
    spec = clusterSpec(Math.floor(FAILURE_CLUSTERS * u * u));
  } else {
    const service = SERVICES[Math.floor(rand() * SERVICES.length)];
    const ops = OPERATIONS[service];
    const [statusCode, statusText] = SUCCESS_STATUSES[Math.floor(rand() * SUCCESS_STATUSES.length)];
    spec = {
      account: ACCOUNTS[Math.floor(rand() * ACCOUNTS.length)],
      service,
      operation: ops[Math.floor(rand() * ops.length)],
      statusCode,
      statusText,
      authType: ["AccountKey", "SAS", "OAuth", "OAuth"][Math.floor(rand() * 4)],
    };
  }
  const { account, service, operation, statusCode, statusText, authType } = spec;
  const container = `data${Math.floor(rand() * 20)}`;
  const blob = `events/2024/05/01/${hex(rand, 8).toLowerCase()}.json`;
  const objectKey = `/${account}/${container}/${blob}`;
  let uri = `https://${account}.${service}.core.windows.net:443/${container}/${blob}`;
  const identity = { type: authType };
  const keySlot = rand() < 0.7 ? "key1" : "key2";
  if (authType === "AccountKey") identity.tokenHash = `${keySlot}(${hex(rand, 64)})`;
  if (authType === "SAS") {
    uri += `?sv=2022-11-02&st=2024-05-01T00%3A00%3A00Z&se=2024-05-02T00%3A00%3A00Z&sr=b&sp=r&sig=XXXXX`;
    identity.tokenHash = `${keySlot}(${hex(rand, 64)}),SasSignature(${hex(rand, 64)})`;
  }
  if (authType === "OAuth") {
    identity.tokenHash = hex(rand, 64);
    identity.requester = {
      appId: guid(rand),
      audience: "https://storage.azure.com",
      objectId: guid(rand),
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      tokenIssuer: "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
    };
    if (failing)
      identity.authorization = [
        {
          action: `Microsoft.Storage/storageAccounts/${service}Services/containers/blobs/read`,
          denyAssignmentId: "",
          principals: [{ id: identity.requester.objectId, type: "ServicePrincipal" }],
          reason: "NoApplicablePolicy",
          result: "Denied",
          type: "RBAC",
        },
      ];
  }
  return {
    time: iso7(timeMs),
    resourceId: `/subscriptions/6b1d2c3e-0000-4000-8000-00000000aa01/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/${account}/${service}Services/default`,
    category: CATEGORY(operation),
    operationName: operation,
    operationVersion: "2023-11-03",
    schemaVersion: "1.0",
    statusCode,
    statusText,
    durationMs: Math.floor(rand() * 40),
    callerIpAddress: `10.${Math.floor(rand() * 4)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}:${1024 + Math.floor(rand() * 60000)}`,
    correlationId: guid(rand),
    identity,
    location: "westeurope",
    properties: {
      accountName: account,
      userAgentHeader: USER_AGENTS[Math.floor(rand() * USER_AGENTS.length)],
      clientRequestId: guid(rand),
      etag: `"0x8DC${hex(rand, 12)}"`,
      serviceType: service,
      objectKey,
      lastModifiedTime: "5/1/2024 8:12:31 AM",
      metricResponseType:
        statusCode < 400
          ? "Success"
          : statusCode === 403 || statusCode === 401
            ? "AuthorizationError"
            : "ClientOtherError",
      serverLatencyMs: Math.floor(rand() * 20),
      requestHeaderSize: 800 + Math.floor(rand() * 400),
      responseHeaderSize: 300 + Math.floor(rand() * 100),
      responseBodySize: Math.floor(rand() * 100000),
      tlsVersion: "TLS 1.2",
      accessTier: "Hot",
    },
    uri,
    protocol: "HTTPS",
    resourceType: `Microsoft.Storage/storageAccounts/${service}Services`,
  };
}

function isLogAnalyticsFile(file) {
  return /(^|\/)(la-|accounts-)[^/]*$/.test(file);
}

/** The same request as a StorageBlobLogs-style row (Log Analytics column names, as `az` exports it). */
function laRow(rec) {
  return {
    TimeGenerated: rec.time,
    AccountName: rec.properties.accountName,
    ServiceType: rec.properties.serviceType,
    Type: `Storage${rec.properties.serviceType[0].toUpperCase()}${rec.properties.serviceType.slice(1)}Logs`,
    OperationName: rec.operationName,
    StatusCode: String(rec.statusCode),
    StatusText: rec.statusText,
    AuthenticationType: rec.identity.type,
    AuthenticationHash: rec.identity.tokenHash,
    CallerIpAddress: rec.callerIpAddress,
    UserAgentHeader: rec.properties.userAgentHeader,
    OperationVersion: rec.operationVersion,
    Uri: rec.uri,
    ObjectKey: rec.properties.objectKey,
    RequesterObjectId: rec.identity.requester?.objectId,
    RequesterAppId: rec.identity.requester?.appId,
    RequesterTenantId: rec.identity.requester?.tenantId,
    RequesterAudience: rec.identity.requester?.audience,
    AuthorizationDetails: rec.identity.authorization,
    _ResourceId: rec.resourceId,
    CorrelationId: rec.correlationId,
    Protocol: rec.protocol,
    TlsVersion: rec.properties.tlsVersion,
    ClientRequestId: rec.properties.clientRequestId,
    DurationMs: rec.durationMs,
    ServerLatencyMs: rec.properties.serverLatencyMs,
    RequestHeaderSize: rec.properties.requestHeaderSize,
    ResponseHeaderSize: rec.properties.responseHeaderSize,
    ResponseBodySize: rec.properties.responseBodySize,
    Etag: rec.properties.etag,
    MetricResponseType: rec.properties.metricResponseType,
    Category: rec.category,
    Location: rec.location,
    SourceSystem: "Azure",
  };
}

/** Removes what an earlier revision of the generator made under `prefix` in bench/data: gigabytes each. */
function removeOtherRevisions(prefix, ...current) {
  if (!existsSync(DATA_DIR)) return;
  for (const name of readdirSync(DATA_DIR)) {
    const path = join(DATA_DIR, name);
    if (!name.startsWith(prefix + ".") && !name.startsWith(prefix + "-")) continue;
    if (current.includes(path) || current.some((c) => path === c + ".tmp")) continue;
    process.stderr.write(`removing ${relative(ROOT, path)} (made by another revision of the generator)\n`);
    rmSync(path, { recursive: true, force: true });
  }
}

/** Writes `rows` lines made by `line(i)` to `path` (once; kept in bench/data). */
async function writeLines(path, rows, line) {
  if (existsSync(path)) return path;
  process.stderr.write(`generating ${relative(ROOT, path)} (${rows.toLocaleString("en-US")} rows)…\n`);
  const out = createWriteStream(path + ".tmp");
  const write = (text) =>
    out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once("drain", resolve));
  for (let i = 0; i < rows;) {
    const lines = [];
    for (let k = 0; k < 1000 && i < rows; k++) lines.push(line(i++));
    await write(lines.join("\n") + "\n");
  }
  await new Promise((r) => out.end(r));
  renameSync(path + ".tmp", path);
  return path;
}

/** Log Analytics NDJSON of about targetMB: the same generator, rendered as LA rows. */
async function generateLa(targetMB) {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `la-${targetMB}mb-r${RECORDS_REVISION}.ndjson`);
  removeOtherRevisions(`la-${targetMB}mb`, path);
  // LA rows of this generator are about 1.45 KB.
  const rows = Math.round((targetMB * 1024 * 1024) / 1450);
  const rand = mulberry32(0x5eed);
  const start = Date.UTC(2024, 4, 1);
  return writeLines(path, rows, (i) =>
    JSON.stringify(laRow(record(rand, start + Math.floor((i * 86_400_000) / rows)))),
  );
}

/**
 * Many accounts (issue 13): `rows` LA rows over `accounts` accounts, a new caller address per row, 5%
 * 401/403. Compact rows (only the columns an export of these tables always has).
 */
async function generateAccounts(rows, accounts) {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `accounts-${rows}-${accounts}.ndjson`);
  const start = Date.UTC(2024, 4, 1);
  return writeLines(path, rows, (i) => {
    const account = `st${(i % accounts).toString(36).padStart(6, "0")}`;
    const failing = i % 20 === 7;
    return JSON.stringify({
      TimeGenerated: iso7(start + Math.floor((i * 3_600_000) / rows)),
      AccountName: account,
      ServiceType: "blob",
      OperationName: failing ? "PutBlob" : "GetBlob",
      StatusCode: failing ? "403" : "200",
      StatusText: failing ? "AuthenticationFailed" : "Success",
      AuthenticationType: "AccountKey",
      AuthenticationHash: `key1(${(i % 977).toString(16).padStart(64, "0")})`,
      CallerIpAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${1024 + (i % 60000)}`,
      UserAgentHeader: "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.1; Linux)",
      OperationVersion: "2023-11-03",
      Uri: `https://${account}.blob.core.windows.net:443/data/${i}.json`,
      _ResourceId: `/subscriptions/6b1d2c3e-0000-4000-8000-00000000aa01/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default`,
    });
  });
}

/** The files made from the 10% in other forms (the generators below), by their names' endings. */
const TENTH_FORMS = {
  envelopes: "-envelopes.json",
  sortedKeys: "-sorted-keys.jsonl",
  fortyClients: "-40-clients.jsonl",
};
const tenthAsForm = (tenth, form) => tenth.replace(/\.jsonl$/, TENTH_FORMS[form]);

async function generate(targetMB) {
  mkdirSync(DATA_DIR, { recursive: true });
  const full = join(DATA_DIR, `archive-${targetMB}mb-r${RECORDS_REVISION}.jsonl`);
  const tenth = join(DATA_DIR, `archive-${targetMB}mb-r${RECORDS_REVISION}-10pct.jsonl`);
  removeOtherRevisions(
    `archive-${targetMB}mb`,
    full,
    tenth,
    full.replace(/\.jsonl$/, "-tree"),
    full.replace(/\.jsonl$/, "-401-403.jsonl"),
    ...Object.keys(TENTH_FORMS).map((form) => tenthAsForm(tenth, form)),
  );
  if (existsSync(full) && existsSync(tenth)) return { full, tenth };
  const target = targetMB * 1024 * 1024;
  const rand = mulberry32(0x5eed);
  const fullOut = createWriteStream(full + ".tmp");
  const tenthOut = createWriteStream(tenth + ".tmp");
  const start = Date.UTC(2024, 4, 1);
  const write = (stream, text) =>
    stream.write(text) ? Promise.resolve() : new Promise((resolve) => stream.once("drain", resolve));
  let written = 0;
  let i = 0;
  const rowsEstimate = target / 1250;
  process.stderr.write(`generating ${relative(ROOT, full)} (${targetMB} MB)…\n`);
  while (written < target) {
    const lines = [];
    for (let k = 0; k < 1000; k++)
      lines.push(JSON.stringify(record(rand, start + Math.floor((i++ * 86_400_000) / rowsEstimate))));
    const text = lines.join("\n") + "\n";
    await write(fullOut, text);
    if (written < target / 10) await write(tenthOut, text);
    written += Buffer.byteLength(text);
  }
  await Promise.all([new Promise((r) => fullOut.end(r)), new Promise((r) => tenthOut.end(r))]);
  renameSync(full + ".tmp", full);
  renameSync(tenth + ".tmp", tenth);
  return { full, tenth };
}

/**
 * The same records as a diagnostic setting archives them: one `PT1H.json` per category, account, service
 * and hour (`insights-logs-<category>/resourceId=<id>/y=/m=/d=/h=/m=00/PT1H.json`), thousands of small
 * files, which is what `--logs` reads after an archive is downloaded.
 */
async function generateTree(full) {
  const root = join(DATA_DIR, basename(full, ".jsonl") + "-tree");
  if (existsSync(root)) return root;
  process.stderr.write(`generating ${relative(ROOT, root)} from ${relative(ROOT, full)}…\n`);
  const tmp = root + ".tmp";
  rmSync(tmp, { recursive: true, force: true });
  let hour = "";
  let files = new Map();
  const flush = () => {
    for (const [path, lines] of files) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, lines.join("\n") + "\n");
    }
    files = new Map();
  };
  const lines = createInterface({ input: createReadStream(full), crlfDelay: Infinity });
  for await (const line of lines) {
    const time = /"time":"(\d{4})-(\d\d)-(\d\d)T(\d\d)/.exec(line);
    const id = /"resourceId":"([^"]+)"/.exec(line);
    const category = /"category":"([^"]+)"/.exec(line);
    if (!time || !id || !category) throw new Error(`bench: unexpected archive line ${line.slice(0, 80)}`);
    const [, y, m, d, h] = time;
    if (`${y}${m}${d}${h}` !== hour) {
      flush();
      hour = `${y}${m}${d}${h}`;
    }
    const path = join(
      tmp,
      `insights-logs-${category[1].toLowerCase()}`,
      `resourceId=${id[1].toUpperCase()}`,
      `y=${y}`,
      `m=${m}`,
      `d=${d}`,
      `h=${h}`,
      "m=00",
      "PT1H.json",
    );
    let list = files.get(path);
    if (!list) files.set(path, (list = []));
    list.push(line);
  }
  flush();
  renameSync(tmp, root);
  return root;
}

/**
 * `path`, made once from the lines of `from`: `derive` is handed each line, and a `write` that waits when
 * the file's buffer is full; `end` writes what is left once every line was handed.
 */
async function deriveFile(path, from, derive, end = async () => {}) {
  if (existsSync(path)) return path;
  process.stderr.write(`generating ${relative(ROOT, path)} from ${relative(ROOT, from)}…\n`);
  const out = createWriteStream(path + ".tmp");
  const write = (text) =>
    out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once("drain", resolve));
  for await (const line of createInterface({ input: createReadStream(from), crlfDelay: Infinity }))
    await derive(line, write);
  await end(write);
  await new Promise((r) => out.end(r));
  renameSync(path + ".tmp", path);
  return path;
}

/**
 * The archive's 401/403 lines alone: what the logs of an incident's hour hold, and the side of the scan
 * that costs the most per row (each is read whole, clustered and kept as evidence).
 */
function generateFailureLines(full) {
  return deriveFile(full.replace(/\.jsonl$/, "-401-403.jsonl"), full, async (line, write) => {
    if (/"statusCode":40[13],/.test(line)) await write(line + "\n");
  });
}

/**
 * The 10% archive as a diagnostic setting streams it to Event Hubs: events of 100 records each, each
 * event's body `{"records":[…]}` on a line of its own (what a consumer that dumps the bodies writes, and
 * what Event Hubs Capture files carry).
 */
function generateEnvelopes(tenth) {
  let event = [];
  const flush = async (write) => {
    if (event.length > 0) await write(`{"records":[${event.join(",")}]}\n`);
    event = [];
  };
  return deriveFile(
    tenthAsForm(tenth, "envelopes"),
    tenth,
    async (line, write) => {
      if (line.trim() === "") return;
      event.push(line);
      if (event.length === 100) await flush(write);
    },
    flush,
  );
}

/** `value` with the keys of every object sorted, as `jq -S` writes it. */
function sortedKeys(value) {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedKeys(value[k])]),
  );
}

/**
 * The 10% archive with every object's keys sorted: what `jq -S`, Python's `sort_keys` and shippers
 * that keep objects in sorted maps write (`identity.type` last in `identity`, `resourceId` after it).
 */
function generateSortedKeys(tenth) {
  return deriveFile(tenthAsForm(tenth, "sortedKeys"), tenth, async (line, write) => {
    if (line.trim() !== "") await write(JSON.stringify(sortedKeys(JSON.parse(line))) + "\n");
  });
}

/**
 * The 10% archive as most accounts see their callers: the generator gives every row a caller of its own
 * (so past the root-cause evidence's caller cap most rows are only counted); here the successes come
 * from 40 clients, each one application with its own address, user agent and credential (an OAuth
 * principal or an account key), whose rows take turns. The 401/403 rows are left as they are.
 */
function generateFewCallers(tenth) {
  const agents = [
    "azsdk-js-storage-blob/12.17.0 (NODE-VERSION v20.11.0; Linux 5.15.0-1057-azure)",
    "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.1; Microsoft Windows 10.0.20348)",
    "AzCopy/10.22.2 Azure-Storage/0.15 (go1.21.5; linux)",
    "azsdk-java-azure-storage-blob/12.25.1 (17.0.9; Linux; 5.15.0-1053-azure)",
  ];
  let n = 0;
  return deriveFile(tenthAsForm(tenth, "fortyClients"), tenth, async (line, write) => {
    if (line.trim() === "") return;
    const r = JSON.parse(line);
    n++;
    const c = (n * 7919) % 40;
    if (r.statusCode !== 401 && r.statusCode !== 403) {
      const hash = "5A".repeat(30) + String(c).padStart(4, "0");
      r.callerIpAddress = `10.1.0.${c}:${1024 + (n % 50000)}`;
      r.properties.userAgentHeader = agents[c % agents.length];
      r.identity =
        c % 2 === 0
          ? {
              type: "OAuth",
              tokenHash: hash,
              requester: {
                appId: `00000000-0000-4000-9000-0000000000${String(c).padStart(2, "0")}`,
                audience: "https://storage.azure.com",
                objectId: `00000000-0000-4000-8000-0000000000${String(c).padStart(2, "0")}`,
                tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
              },
            }
          : { type: "AccountKey", tokenHash: `key${1 + ((c >> 1) % 2)}(${hash})` };
    }
    await write(JSON.stringify(r) + "\n");
  });
}

// ---------------------------------------------------------------------------------------------------
// Parent: run the measurements, print and record them.

/** The CLI runs with the Node flags its bin passes (src/cli/node-flags.ts): measured as users run it. */
const CLI_NODE_FLAGS = existsSync(join(DIST, "cli", "node-flags.js"))
  ? (await import(pathToFileURL(join(DIST, "cli", "node-flags.js")).href)).CLI_NODE_FLAGS
  : [];

/**
 * Reads `path` (a file, or every file under a directory) once, untimed, so the measurement that follows
 * finds it in the page cache. This machine's cache does not hold all the bench's 1 GB inputs at once:
 * whichever side ran first after another input had pushed this one out paid for the disk (DuckDB once
 * took 2.06 s of wall clock for 1.52 s of CPU), and the next side did not.
 */
function warmPageCache(path) {
  const buffer = Buffer.allocUnsafe(8 << 20);
  for (const file of filesOf(path)) {
    const fd = openSync(file, "r");
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

function run(kind, file) {
  warmPageCache(file);
  const flags = kind.startsWith("ours-cli-") ? CLI_NODE_FLAGS : [];
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", ...flags, fileURLToPath(import.meta.url), "--child", kind, file],
    {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    },
  );
  if (child.status !== 0) throw new Error(`${kind} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1));
}

function machine() {
  const cpuModel = cpus()[0]?.model ?? "unknown";
  let load;
  try {
    load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    load = "n/a";
  }
  const duck = JSON.parse(
    readFileSync(join(ROOT, "node_modules", "@duckdb", "node-api", "package.json"), "utf8"),
  ).version;
  return {
    nproc: cpus().length,
    cpuModel,
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    duckdb: duck,
    load,
  };
}

const fmt = (n, d = 0) => n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

function row(label, m) {
  const mb = m.bytes / 1e6;
  return `| ${label} | ${fmt(m.rows)} | ${fmt(m.groups)} | ${fmt(m.wallMs / 1000, 2)} | ${fmt(m.cpuMs / 1000, 2)} | ${fmt(m.rows / (m.wallMs / 1000))} | ${fmt(mb / (m.wallMs / 1000), 1)} | ${fmt(mb / (m.cpuMs / 1000), 1)} | ${fmt(m.maxRssMB)} |`;
}

/**
 * DuckDB's wall time over ours, round by round: DuckDB (one thread), the one-pass analyze and the
 * default threads back to back, `rounds` times.
 */
function interleavedRatios(file, rounds) {
  const onePass = [];
  const threads = [];
  const duckSeconds = [];
  // CPU seconds of every thread of each side's process: less moved by the machine's load than wall time.
  const cpu = { duck: [], onePass: [], threads: [] };
  for (let i = 0; i < rounds; i++) {
    process.stderr.write(`running round ${i + 1} of ${rounds}: DuckDB, one pass, default threads…\n`);
    const duck = run("duckdb-failures", file);
    const one = run("ours-cli-1", file);
    const dflt = run("ours-cli-default", file);
    if (one.rows !== duck.rows || dflt.rows !== duck.rows || one.failures !== duck.failures)
      throw new Error(`interleaved round over ${file}: ours and DuckDB disagree on rows or failures`);
    onePass.push(duck.wallMs / one.wallMs);
    threads.push(duck.wallMs / dflt.wallMs);
    duckSeconds.push(duck.wallMs / 1000);
    cpu.duck.push(duck.cpuMs / 1000);
    cpu.onePass.push(one.cpuMs / 1000);
    cpu.threads.push(dflt.cpuMs / 1000);
  }
  return { onePass, threads, duckSeconds, cpu };
}

/** `median× (min–max×)` of ratios. */
function spread(values, unit = "×") {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return `${fmt(median, 2)}${unit} (${fmt(sorted[0], 2)}–${fmt(sorted.at(-1), 2)}${unit})`;
}

async function main() {
  const targetMB = Number(process.env.BENCH_MB ?? 1024);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("BENCH_ROUNDS must be a positive integer");
  if (!Number.isFinite(targetMB) || targetMB <= 0)
    throw new Error("BENCH_MB must be a positive number of MB");
  const { full, tenth } = await generate(targetMB);
  const engineBuilt = existsSync(join(DIST, "cluster", "index.js"));
  // The product's own default, so the label says what was run.
  const defaultThreads = engineBuilt
    ? (await import(pathToFileURL(join(DIST, "engine", "scan-threads.js")).href)).defaultScanThreads()
    : 1;
  const results = [];
  const add = (label, kind, file) => {
    process.stderr.write(`running ${label}…\n`);
    const m = run(kind, file);
    results.push([label, m]);
    return m;
  };
  const ours = add("ours: readStorageRequests, 401/403 grouped by cluster key", "ours-failures", full);
  const batches = add("ours: readStorageRequestBatches, 401/403 grouped", "ours-failures-batches", full);
  const engine = engineBuilt
    ? add("ours: readStorageRequests + engine ClusterAggregator", "ours-engine", full)
    : undefined;
  const pipeline = engineBuilt
    ? add(
        "ours: auth-triage analyze --threads 1 (one pass: reading, clusters, root causes, JSON report)",
        "ours-cli-1",
        full,
      )
    : undefined;
  const threaded = engineBuilt
    ? add(`ours: auth-triage analyze, default threads (${defaultThreads} here)`, "ours-cli-default", full)
    : undefined;
  // What more threads cost in memory: the reason the default stops at two.
  const fourThreads = engineBuilt
    ? add("ours: auth-triage analyze --threads 4", "ours-cli-4", full)
    : undefined;
  const duck = add("DuckDB 1 thread: read_json, 401/403 grouped by cluster key", "duckdb-failures", full);
  const oursAll = add("ours: readStorageRequests, every row grouped by cluster key", "ours-all", full);
  const duckAll = add("DuckDB 1 thread: read_json, every row grouped by cluster key", "duckdb-all", full);
  const oursTenth = add("ours at 10% of the input (401/403 grouped)", "ours-failures", tenth);
  const duckTenth = add("DuckDB at 10% of the input (401/403 grouped)", "duckdb-failures", tenth);
  const pipelineTenth = engineBuilt
    ? add("ours: auth-triage analyze --threads 1 at 10% of the input", "ours-cli-1", tenth)
    : undefined;
  const duck2 = add("DuckDB 2 threads: read_json, 401/403 grouped", "duckdb2-failures", full);
  // Issue 13: the same job over Log Analytics NDJSON, and memory with many accounts.
  const laFile = await generateLa(targetMB);
  const laPipeline = add("ours: auth-triage analyze --threads 1, Log Analytics NDJSON", "ours-cli-1", laFile);
  const laThreaded = add(
    "ours: auth-triage analyze, default threads, Log Analytics NDJSON",
    "ours-cli-default",
    laFile,
  );
  const laDuck = add("DuckDB 1 thread: Log Analytics NDJSON, 401/403 grouped", "duckdb-failures", laFile);
  // The same archive as the diagnostic setting lays it out: thousands of hourly files.
  const tree = await generateTree(full);
  const treePipeline = add(
    "ours: auth-triage analyze --threads 1, the same archive as hourly files",
    "ours-cli-1",
    tree,
  );
  const treeThreaded = add(
    "ours: auth-triage analyze, default threads, hourly files",
    "ours-cli-default",
    tree,
  );
  const treeDuck = add(
    "DuckDB 1 thread: the hourly files (one glob), 401/403 grouped",
    "duckdb-failures",
    tree,
  );
  // An incident's logs: the 401/403 lines alone, where two threads must split the work, not the bytes.
  const incident = engineBuilt ? await generateFailureLines(full) : undefined;
  const incidentPipeline = incident
    ? add("ours: auth-triage analyze --threads 1, the archive's 401/403 lines alone", "ours-cli-1", incident)
    : undefined;
  const incidentThreaded = incident
    ? add("ours: auth-triage analyze, default threads, 401/403 lines alone", "ours-cli-default", incident)
    : undefined;
  const incidentDuck = incident
    ? add("DuckDB 1 thread: the 401/403 lines alone, 401/403 grouped", "duckdb-failures", incident)
    : undefined;
  // The same records written otherwise, against the one pass over them as JSON Lines above.
  const tenthAs = async (form, derive) =>
    engineBuilt
      ? add(
          `ours: auth-triage analyze --threads 1 at 10% of the input, ${form}`,
          "ours-cli-1",
          await derive(tenth),
        )
      : undefined;
  const envelopesPipeline = await tenthAs("as Event Hubs envelopes", generateEnvelopes);
  const sortedPipeline = await tenthAs("keys sorted (jq -S)", generateSortedKeys);
  const fewCallersPipeline = await tenthAs("its successes from 40 clients", generateFewCallers);
  const headline = engineBuilt
    ? { archive: interleavedRatios(full, rounds), la: interleavedRatios(laFile, rounds) }
    : undefined;
  const many = add(
    "ours: auth-triage analyze --threads 1, 300k rows over 30k accounts, a new address per row",
    "ours-cli-1",
    await generateAccounts(300_000, 30_000),
  );
  const million = add(
    "ours: auth-triage analyze --threads 1, 1M rows over 1M distinct accounts",
    "ours-cli-1",
    await generateAccounts(1_000_000, 1_000_000),
  );

  const consistent =
    ours.rows === duck.rows && ours.groups === duck.groups && ours.failures === duck.failures;
  const header =
    "| measurement | rows | groups | wall s | CPU s | rows/s (wall) | MB/s (wall) | MB/s (CPU) | peak RSS MB |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
  const table = [header, ...results.map(([label, m]) => row(label, m))].join("\n");
  process.stdout.write(table + "\n");
  const m = machine();
  const ratioWall = duck.wallMs / ours.wallMs;
  const ratioCpu = duck.cpuMs / ours.cpuMs;
  const ratioBatchCpu = duck.cpuMs / batches.cpuMs;
  const ratioAllCpu = duckAll.cpuMs / oursAll.cpuMs;
  const ratioAllWall = duckAll.wallMs / oursAll.wallMs;
  /** Whether two measurements read the same rows and 401/403s, as the summary says it. */
  const sameRowsAndFailures = (a, b) => (a.rows === b.rows && a.failures === b.failures ? "yes" : "NO");
  const summary = [
    `Run ${new Date().toISOString()} on ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Node ${m.node}, ` +
      `@duckdb/node-api ${m.duckdb}; load average at the end ${m.load} (the machine is shared, so CPU time is ` +
      `the steadier figure).`,
    `Input: ${relative(ROOT, full)}, ${fmt(ours.bytes / 1e6)} MB, ${fmt(ours.rows)} archive records ` +
      `(${fmt(ours.failures)} 401/403 drawn from ${FAILURE_CLUSTERS} failure clusters), generated by bench/run.mjs.`,
    `Same answer from both in every pair: ${consistent ? "yes" : "NO"} (rows ${fmt(ours.rows)} vs ${fmt(duck.rows)}, ` +
      `failure clusters ${fmt(ours.groups)} vs ${fmt(duck.groups)}, groups over every row ${fmt(oursAll.groups)} vs ` +
      `${fmt(duckAll.groups)}, failures ${fmt(ours.failures)} vs ${fmt(duck.failures)}); rejected records: ${ours.rejected}.`,
    `DuckDB time / ours, 401/403 grouped (the product's job): wall ${fmt(ratioWall, 2)}×, CPU ${fmt(ratioCpu, 2)}×; ` +
      `batch API, CPU ${fmt(ratioBatchCpu, 2)}×. Every row grouped: wall ${fmt(ratioAllWall, 2)}×, CPU ` +
      `${fmt(ratioAllCpu, 2)}× (above 1 means we are faster).`,
    ...(headline
      ? [
          `The whole analyze against DuckDB's one thread, DuckDB time / ours (wall), median and range of ` +
            `${rounds} interleaved rounds: archive JSON Lines one pass ${spread(headline.archive.onePass)}, ` +
            `default threads ${spread(headline.archive.threads)}, DuckDB taking ` +
            `${spread(headline.archive.duckSeconds, " s")}; Log Analytics NDJSON one pass ` +
            `${spread(headline.la.onePass)}, default threads ${spread(headline.la.threads)}, DuckDB taking ` +
            `${spread(headline.la.duckSeconds, " s")}. CPU seconds (every thread, user and system), median and ` +
            `range: archive DuckDB ${spread(headline.archive.cpu.duck, " s")}, one pass ` +
            `${spread(headline.archive.cpu.onePass, " s")}, default threads ${spread(headline.archive.cpu.threads, " s")}; ` +
            `Log Analytics DuckDB ${spread(headline.la.cpu.duck, " s")}, one pass ${spread(headline.la.cpu.onePass, " s")}, ` +
            `default threads ${spread(headline.la.cpu.threads, " s")}.`,
        ]
      : []),
    ...(engine && pipeline
      ? [
          `With the engine, DuckDB time / ours: ClusterAggregator CPU ${fmt(duck.cpuMs / engine.cpuMs, 2)}×, ` +
            `\`auth-triage analyze --threads 1\` (reading, ClusterAggregator, root-cause evidence, incidents, the ` +
            `JSON report) CPU ${fmt(duck.cpuMs / pipeline.cpuMs, 2)}×, wall ` +
            `${fmt(duck.wallMs / pipeline.wallMs, 2)}×; same rows, failures and clusters: ` +
            `${[engine, pipeline].every((e) => e.rows === duck.rows && e.failures === duck.failures && e.groups === duck.groups) ? "yes" : "NO"}.`,
        ]
      : []),
    ...(pipeline
      ? [
          `The whole analyze (lean reading, root causes, JSON report written), DuckDB time / ours: archive JSON Lines ` +
            `CPU ${fmt(duck.cpuMs / pipeline.cpuMs, 2)}×, wall ${fmt(duck.wallMs / pipeline.wallMs, 2)}×; Log Analytics NDJSON ` +
            `(${fmt(laPipeline.bytes / 1e6)} MB) CPU ${fmt(laDuck.cpuMs / laPipeline.cpuMs, 2)}×, wall ` +
            `${fmt(laDuck.wallMs / laPipeline.wallMs, 2)}× (same rows and failures: ${sameRowsAndFailures(laDuck, laPipeline)}); ` +
            `against DuckDB with 2 threads (archive): wall ${fmt(duck2.wallMs / pipeline.wallMs, 2)}×.`,
          `With the default threads (${defaultThreads} here; ${defaultThreads === 2 ? "one pass, the files read and skimmed ahead on the second" : "see docs/cli.md"}), DuckDB ` +
            `time / ours: archive wall ${fmt(duck.wallMs / threaded.wallMs, 2)}×, CPU ${fmt(duck.cpuMs / threaded.cpuMs, 2)}×; ` +
            `Log Analytics wall ${fmt(laDuck.wallMs / laThreaded.wallMs, 2)}×; against DuckDB with 2 threads (archive): ` +
            `wall ${fmt(duck2.wallMs / threaded.wallMs, 2)}×. Peak RSS ${fmt(threaded.maxRssMB)} MB (archive), ` +
            `${fmt(laThreaded.maxRssMB)} MB (Log Analytics); with \`--threads 4\` ${fmt(fourThreads.maxRssMB)} MB ` +
            `(wall ${fmt(duck.wallMs / fourThreads.wallMs, 2)}× DuckDB's one thread, on ${m.nproc} CPUs).`,
          `The same archive as ${fmt(fileSizes(tree).length)} hourly \`PT1H.json\` files: one pass ${fmt(treePipeline.wallMs / 1000, 2)} s ` +
            `(${fmt(treePipeline.maxRssMB)} MB), default threads ${fmt(treeThreaded.wallMs / 1000, 2)} s (${fmt(treeThreaded.maxRssMB)} MB); ` +
            `DuckDB time / ours, wall: ${fmt(treeDuck.wallMs / treePipeline.wallMs, 2)}× (one pass), ` +
            `${fmt(treeDuck.wallMs / treeThreaded.wallMs, 2)}× (default); same rows and failures: ` +
            `${sameRowsAndFailures(treeDuck, treePipeline)}.`,
          `The archive's ${fmt(incidentPipeline.rows)} 401/403 lines alone (${fmt(incidentPipeline.bytes / 1e6)} MB, ` +
            `an incident's logs): one pass ${fmt(incidentPipeline.wallMs / 1000, 2)} s, default threads ` +
            `${fmt(incidentThreaded.wallMs / 1000, 2)} s, DuckDB ${fmt(incidentDuck.wallMs / 1000, 2)} s; DuckDB time / ours, ` +
            `wall: ${fmt(incidentDuck.wallMs / incidentPipeline.wallMs, 2)}× (one pass), ` +
            `${fmt(incidentDuck.wallMs / incidentThreaded.wallMs, 2)}× (default); same rows and failures: ` +
            `${sameRowsAndFailures(incidentDuck, incidentPipeline)}.`,
          `The 10% of the input as Event Hubs envelopes (${fmt(envelopesPipeline.bytes / 1e6)} MB, 100 records to an ` +
            `event, one event a line): one pass ${fmt(envelopesPipeline.wallMs / 1000, 2)} s against ` +
            `${fmt(pipelineTenth.wallMs / 1000, 2)} s as JSON Lines; same rows and failures: ` +
            `${sameRowsAndFailures(envelopesPipeline, pipelineTenth)}.`,
          `The 10% of the input with every object's keys sorted (\`jq -S\`): one pass ` +
            `${fmt(sortedPipeline.wallMs / 1000, 2)} s against ${fmt(pipelineTenth.wallMs / 1000, 2)} s in Storage's order; ` +
            `same rows and failures: ` +
            `${sameRowsAndFailures(sortedPipeline, pipelineTenth)}.`,
          `The 10% of the input with its successes from 40 clients, each one application (the generator gives ` +
            `every row a caller of its own): one pass ${fmt(fewCallersPipeline.wallMs / 1000, 2)} s against ` +
            `${fmt(pipelineTenth.wallMs / 1000, 2)} s; same rows and failures: ` +
            `${sameRowsAndFailures(fewCallersPipeline, pipelineTenth)}.`,
          `Peak RSS of the one-pass analyze: archive ${fmt(pipeline.maxRssMB)} MB, Log Analytics ${fmt(laPipeline.maxRssMB)} MB; ` +
            `300k rows over 30k accounts with a new address per row ${fmt(many.maxRssMB)} MB (${fmt(many.wallMs / 1000, 1)} s); ` +
            `1M distinct accounts ${fmt(million.maxRssMB)} MB (${fmt(million.wallMs / 1000, 1)} s, ${fmt(million.rows)} rows, completed).`,
        ]
      : []),
    `Peak RSS, ours: ${fmt(oursTenth.maxRssMB)} MB at 10% vs ${fmt(ours.maxRssMB)} MB at 100% of the rows; ` +
      `DuckDB: ${fmt(duckTenth.maxRssMB)} MB vs ${fmt(duck.maxRssMB)} MB` +
      (pipeline && pipelineTenth
        ? `; the one-pass analyze: ${fmt(pipelineTenth.maxRssMB)} MB vs ${fmt(pipeline.maxRssMB)} MB.`
        : "."),
  ];
  process.stdout.write("\n" + summary.join("\n") + "\n");
  const section = `<!-- bench:start (written by bench/run.mjs, BENCH_MB=${targetMB}) -->\n${summary.join("\n\n")}\n\n${table}\n<!-- bench:end -->`;
  const path = join(ROOT, "BENCHMARKS.md");
  const existing = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n\n";
  const updated = /<!-- bench:start[\s\S]*?<!-- bench:end -->/.test(existing)
    ? existing.replace(/<!-- bench:start[\s\S]*?<!-- bench:end -->/, section)
    : existing.trimEnd() + "\n\n" + section + "\n";
  // Written as the project's formatter writes it, so `npm run lint` passes on the file as the bench left it.
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(updated, { ...options, filepath: path }));
  process.stderr.write(`wrote ${relative(ROOT, path)}\n`);
}

if (process.argv[2] === "--child") await measure(process.argv[3], process.argv[4]);
else if (process.argv[2] === "--generate") {
  // Data only (BENCH_MB), e.g. to run single measurements with --child <kind> <file>.
  const { full, tenth } = await generate(Number(process.env.BENCH_MB ?? 1024));
  await generateTree(full);
  await generateFailureLines(full);
  await generateEnvelopes(tenth);
  await generateSortedKeys(tenth);
  await generateFewCallers(tenth);
  await generateLa(Number(process.env.BENCH_MB ?? 1024));
} else await main();
