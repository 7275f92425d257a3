import { detach } from "../detach.js";
import type { StorageRequest } from "../model/storage-request.js";

/** Most kinds of row remembered; past it, the memory starts over (their clusters are then found again). */
const MAX_SEEN = 65_536;

/** The fields of a cluster's key but the account, as a row held them. */
type KeyFields = Pick<StorageRequest, "service" | "operation" | "statusCode" | "statusText" | "authType">;

/**
 * The cluster of each kind of 401/403 row seen: by the row's account as logged, then its other key fields
 * compared one by one. Most rows so find their cluster without building and hashing the cluster key string
 * (six fields joined, some 70 characters, a new string on every row). A row not found is settled by its
 * key string, and the aggregator remembers it here (`add`) once its cluster has a second row: a row found
 * here is one whose fields were seen as they are, so its cluster is the one its key string names.
 * Forgotten whenever clusters are folded away (`clear`).
 */
export class SeenClusters<C> {
  private readonly byAccount = new Map<string, Array<KeyFields & { cluster: C }>>();
  private kinds = 0;

  clusterOf(r: StorageRequest): C | undefined {
    const seen = this.byAccount.get(r.account);
    if (seen === undefined) return undefined;
    for (let i = 0; i < seen.length; i++) {
      const e = seen[i]!;
      if (
        e.operation === r.operation &&
        e.statusText === r.statusText &&
        e.statusCode === r.statusCode &&
        e.authType === r.authType &&
        e.service === r.service
      )
        return e.cluster;
    }
    return undefined;
  }

  /** Remembers that rows like `r` belong to `cluster`; copies of its strings, so no row's line is kept. */
  add(r: StorageRequest, cluster: C): void {
    if (++this.kinds > MAX_SEEN) this.clear();
    const kind = {
      service: r.service,
      operation: detach(r.operation),
      statusCode: r.statusCode,
      statusText: detach(r.statusText),
      authType: detach(r.authType),
      cluster,
    };
    const seen = this.byAccount.get(r.account);
    if (seen === undefined) this.byAccount.set(detach(r.account), [kind]);
    else seen.push(kind);
  }

  clear(): void {
    this.byAccount.clear();
    this.kinds = 0;
  }
}
