/**
 * How a Storage URL names its target: the account and service in a host name, hosts addressed
 * path-style, the emulators' default ports, and a path segment's percent-decoding. Apart from the
 * request parser and the canonicaliser, so that an analyze, whose remedies read URLs this way, loads
 * neither their schemas nor their code. Pure (no `node:` imports): the dashboard runs it in a browser.
 */
import type { ServiceType } from "../model/storage-request.js";

/** `acct[-secondary].[zNN.|privatelink.]blob.<suffix>`: public, Azure DNS zone and private-link host names. */
const SERVICE_HOST_RE =
  /^([a-z0-9]+?)(-secondary)?\.(?:z\d{1,2}\.|privatelink\.)?(blob|queue|file|table|dfs)\./;
/** Azurite's and the legacy emulator's default ports. */
const EMULATOR_PORTS: Record<number, ServiceType> = { 10000: "blob", 10001: "queue", 10002: "table" };

/**
 * True for hosts addressed path-style (IP, localhost, single-label names such as a compose service's
 * `azurite`, and Docker's `host.docker.internal`): the account is the first path segment.
 */
export function isPathStyleHost(hostname: string): boolean {
  return (
    /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) ||
    hostname.startsWith("[") ||
    hostname === "localhost" ||
    hostname === "host.docker.internal" ||
    !hostname.includes(".")
  );
}

/**
 * The account (without `-secondary`) and service a Storage host name names (`.dfs.` is the Blob service),
 * or undefined for any other host: the one reading of host names for the signature module and the doctor.
 */
export function storageHostOf(hostname: string): { account: string; service: ServiceType } | undefined {
  const m = SERVICE_HOST_RE.exec(hostname.toLowerCase());
  if (!m) return undefined;
  return { account: m[1]!, service: m[3] === "dfs" ? "blob" : (m[3] as ServiceType) };
}

/** The service an emulator's default port serves (10000 Blob, 10001 Queue, 10002 Table). */
export function emulatorPortService(port: number | undefined): ServiceType | undefined {
  return port === undefined ? undefined : EMULATOR_PORTS[port];
}

/** A percent-encoded text decoded, or as it is when it is not valid percent-encoding (a stray `%`). */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
