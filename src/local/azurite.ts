import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";

/**
 * Starts Azurite (blob + queue + table) as a child process on free loopback ports, in memory, with
 * telemetry off. Used by the local stack and by tests; Azurite is a dev dependency, so this only works
 * from a checkout.
 */
export interface AzuriteOptions {
  /** Write Azurite's debug log (includes the string-to-sign it computes) to this file. */
  debugLogPath?: string;
  /** Extra flags, e.g. ["--loose"]. */
  extraArgs?: string[];
  /** Persist to this directory instead of memory (so a restarted Azurite keeps its data). */
  location?: string;
  /** Fixed ports (e.g. to restart on the same endpoints); free ports otherwise. */
  ports?: { blob?: number; queue?: number; table?: number };
}

export interface AzuriteInstance {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  /** Connection string for the well-known devstoreaccount1 account on these ports. */
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  stop(): Promise<void>;
}

export const AZURITE_ACCOUNT = "devstoreaccount1";
/** Azurite's published development key (not a secret). */
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * `count` distinct free loopback ports. Each port's socket stays open until all are found: a port
 * closed at once could be handed out again by the next request (it happened, and Azurite's queue
 * service then failed to listen on its blob service's port).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listeningOnFreePort());
    return servers.map((srv) => {
      const addr = srv.address();
      return typeof addr === "object" && addr ? addr.port : 0;
    });
  } finally {
    await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  }
}

function listeningOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

function azuriteEntry(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("azurite/package.json");
  return join(dirname(pkg), "dist", "src", "azurite.js");
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteInstance> {
  const fixed = [options.ports?.blob, options.ports?.queue, options.ports?.table];
  const free = await freePorts(fixed.filter((port) => port === undefined).length);
  const [blobPort, queuePort, tablePort] = fixed.map((port) => port ?? free.shift()!) as [
    number,
    number,
    number,
  ];
  const args = [
    azuriteEntry(),
    "--disableTelemetry",
    ...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]),
    "--skipApiVersionCheck",
    "--blobHost",
    "127.0.0.1",
    "--queueHost",
    "127.0.0.1",
    "--tableHost",
    "127.0.0.1",
    "--blobPort",
    String(blobPort),
    "--queuePort",
    String(queuePort),
    "--tablePort",
    String(tablePort),
    ...(options.debugLogPath ? ["--debug", options.debugLogPath] : []),
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      // One line per service; the wording changed across versions ("listens" / "listening").
      const started = (out.match(/successfully (listens|listening)/gi) ?? []).length;
      if (started >= 3) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code}:\n${out}`));
    });
  });
  child.removeAllListeners("exit");
  const blobEndpoint = `http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT}`;
  const tableEndpoint = `http://127.0.0.1:${tablePort}/${AZURITE_ACCOUNT}`;
  return {
    blobPort,
    queuePort,
    tablePort,
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}
