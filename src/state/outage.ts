import { describeSecretUrl } from "../redact.js";
import { ConcurrencyError, type TriageStore } from "./store.js";

/**
 * A state-store operation that failed for another reason than a lost race: the store is unreachable,
 * refuses the credentials, or answered an error. It names the store, so a run log, `run-once` (its own
 * exit status) and the Functions host say which store is down instead of a bare SDK message.
 */
export class StateStoreError extends Error {
  override name = "StateStoreError";
  constructor(
    readonly store: string,
    readonly operation: string,
    override readonly cause: unknown,
  ) {
    super(`state store unavailable: ${store}: ${operation} failed: ${messageOf(cause)}`);
  }
}

function messageOf(err: unknown): string {
  const e = err as { message?: string; code?: string; statusCode?: number };
  const status = e?.statusCode ? `HTTP ${e.statusCode} ` : "";
  const code = e?.code && !String(e.message ?? "").includes(e.code) ? `${e.code} ` : "";
  return `${status}${code}${e?.message ?? String(err)}`.trim().slice(0, 400);
}

/** What to call a store in messages: its kind and, for Table storage, the endpoint without its query. */
export function storeName(store: Pick<TriageStore, "kind"> & { endpoint?: string }): string {
  const { kind, endpoint } = store;
  if (kind === "memory") return "memory state";
  return `Azure Table storage${endpoint ? ` at ${describeSecretUrl(endpoint).replace(" (query hidden)", "")}` : ""}`;
}

/**
 * The same store, its failures (other than ConcurrencyError, which callers handle) rethrown as
 * StateStoreError naming it and the operation.
 */
export function namedStore(store: TriageStore, name: string): TriageStore {
  const wrap = (operation: string, err: unknown): unknown =>
    err instanceof ConcurrencyError || err instanceof StateStoreError
      ? err
      : new StateStoreError(name, operation, err);
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = fn.apply(target, args);
        } catch (err) {
          throw wrap(String(prop), err);
        }
        return result instanceof Promise
          ? result.catch((err: unknown) => {
              throw wrap(String(prop), err);
            })
          : result;
      };
    },
  });
}
