import { type BlobWindowLayout, utcOfParts, utcParts } from "../blob-window.js";

/** Containers a Storage diagnostic setting writes to when it archives to a storage account (reference §2). */
export const STORAGE_LOG_CONTAINERS = [
  "insights-logs-storageread",
  "insights-logs-storagewrite",
  "insights-logs-storagedelete",
] as const;

const HOUR_PATH = /\/y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})\/m=\d{2}\/PT1H\.json$/i;

/**
 * Start of the hour a `…/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json` blob covers (epoch ms), or undefined for a
 * blob that is not an hourly log blob.
 */
export function hourOfBlob(name: string): number | undefined {
  return utcOfParts(HOUR_PATH.exec(name));
}

/**
 * The archive layout for windowed listing: a root is a resource's `resourceId=/SUBSCRIPTIONS/…/` prefix
 * (the service sub-resource for storage logs, the subscription for the activity log); below it one
 * `y=YYYY/m=MM/d=DD/h=HH/` folder per hour.
 */
export const ARCHIVE_LAYOUT: BlobWindowLayout = {
  isTimeSegment: (segment) => /^y=\d{4}\/$/.test(segment),
  // Resource ids never hold "=", so "/y=" first occurs where the hours start.
  rootDelimiter: "/y=",
  hourPrefix: (hourMs) => {
    const { y, m, d, h } = utcParts(hourMs);
    return `y=${y}/m=${m}/d=${d}/h=${h}/`;
  },
  dayPrefix: (dayMs) => {
    const { y, m, d } = utcParts(dayMs);
    return `y=${y}/m=${m}/d=${d}/`;
  },
  hourOf: hourOfBlob,
  accountOf: (blob) => accountOfBlob(blob.name),
};

const ACCOUNT_IN_PATH = /\/providers\/microsoft\.storage\/storageaccounts\/([^/]+)\//i;

/** The storage account of a `resourceId=/SUBSCRIPTIONS/…/STORAGEACCOUNTS/<NAME>/…` blob, lower case. */
export function accountOfBlob(name: string): string | undefined {
  return ACCOUNT_IN_PATH.exec(name)?.[1]?.toLowerCase();
}

/** The cursor key of a blob: account, container and name identify it across runs. */
export { blobKey } from "../blob-window.js";
