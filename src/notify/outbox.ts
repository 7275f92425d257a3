import type { Clock } from "../clock.js";
import { redactSecrets } from "../redact.js";
import {
  ConcurrencyError,
  type Channel,
  type OutboxEntry,
  type TriageStore,
  type VersionedOutboxEntry,
} from "../state/store.js";
import type { Sender } from "./http.js";
import { withRetry, type RetryDeps, type RetryPolicy } from "./retry.js";

/**
 * Delivers every pending notification (this run's and those a previous run could not deliver). Each is
 * claimed first with a conditional write (a lease), so two overlapping runs never post the same one;
 * only the run holding the lease posts, then records the outcome. A crash between posting and recording
 * leaves the lease to expire and the notification is posted again on a later run, carrying the same
 * idempotency key: at-least-once delivery, with duplicates recognisable by receivers. The lease is
 * counted on the store's clock and outlasts the worst-case delivery (retry.ts worstCaseDeliveryMs).
 */
export interface DeliveryDeps {
  store: TriageStore;
  senders: Partial<Record<Channel, Sender>>;
  clock: Clock;
  runId: string;
  policy: RetryPolicy;
  retry: RetryDeps;
  leaseMs: number;
  timeoutMs: number;
  /** Minimum spacing between posts to one channel (Teams throttles above 4 per second). */
  minSpacingMs: number;
  /** Deliveries at info; a notification still pending at warn; one that failed for good at error. */
  log(level: "info" | "warn" | "error", message: string): void;
}

/** What went wrong with one notification this run (the run's --json report carries them). */
export interface DeliveryError {
  notificationId: string;
  incidentId: string;
  channel: Channel;
  outcome: "pending" | "failed";
  attempts: number;
  status?: number;
  error: string;
}

export interface DeliverySummary {
  sent: number;
  failed: number;
  stillPending: number;
  skippedLeased: number;
  attempts: number;
  errors: DeliveryError[];
}

export async function deliverPending(deps: DeliveryDeps): Promise<DeliverySummary> {
  const summary: DeliverySummary = {
    sent: 0,
    failed: 0,
    stillPending: 0,
    skippedLeased: 0,
    attempts: 0,
    errors: [],
  };
  const pending = await deps.store.listOutbox({ outcome: "pending" });
  const lastPost = new Map<Channel, number>();
  for (const versioned of pending) {
    const { entry, etag } = versioned;
    const nowMs = deps.clock.now().getTime();
    if (leaseHeld(versioned, deps.runId, nowMs)) {
      summary.skippedLeased++;
      continue;
    }
    const sender = deps.senders[entry.channel];
    if (!sender) {
      const failed: OutboxEntry = {
        ...entry,
        outcome: "failed",
        lastError: `channel '${entry.channel}' is no longer configured`,
      };
      delete failed.leaseOwner;
      delete failed.leaseUntil;
      delete failed.leaseMs;
      if (await tryUpdate(deps, failed, etag)) {
        summary.failed++;
        summary.errors.push(errorOf(failed, 0));
        deps.log("error", `${entry.notificationId} to ${entry.channel} failed: ${failed.lastError}`);
      }
      continue;
    }
    const claimed: OutboxEntry = {
      ...entry,
      leaseOwner: deps.runId,
      leaseMs: deps.leaseMs,
      leaseUntil: new Date(nowMs + deps.leaseMs).toISOString(),
    };
    let claimEtag: string;
    try {
      claimEtag = await deps.store.updateOutbox(claimed, etag);
    } catch (err) {
      if (err instanceof ConcurrencyError) {
        summary.skippedLeased++;
        continue;
      }
      throw err;
    }

    const spacing = (lastPost.get(entry.channel) ?? 0) + deps.minSpacingMs - Date.now();
    if (spacing > 0) await deps.retry.sleep(spacing);
    const { result, attempts } = await withRetry(
      () => {
        lastPost.set(entry.channel, Date.now());
        return sender(entry.payload, {
          timeoutMs: deps.timeoutMs,
          idempotencyKey: entry.notificationId,
          nowMs: deps.clock.now().getTime(),
        });
      },
      deps.policy,
      deps.retry,
    );
    summary.attempts += attempts;
    const done: OutboxEntry = { ...claimed, attempts: entry.attempts + attempts };
    delete done.leaseOwner;
    delete done.leaseUntil;
    delete done.leaseMs;
    if (result.ok) {
      done.outcome = "sent";
      done.sentAt = deps.clock.now().toISOString();
      delete done.lastError;
      summary.sent++;
      deps.log(
        "info",
        `sent ${entry.notificationId} to ${entry.channel} (${entry.reason}) after ${attempts} attempt(s)`,
      );
    } else {
      done.lastError = redactSecrets(result.error);
      if (result.retryable) {
        done.outcome = "pending";
        summary.stillPending++;
        deps.log(
          "warn",
          `${entry.notificationId} to ${entry.channel} still pending after ${attempts} attempt(s), retried next run: ${done.lastError}`,
        );
      } else {
        done.outcome = "failed";
        summary.failed++;
        deps.log(
          "error",
          `${entry.notificationId} to ${entry.channel} failed, not retried: ${done.lastError}`,
        );
      }
      summary.errors.push(errorOf(done, attempts, result.status));
    }
    await tryUpdate(deps, done, claimEtag);
  }
  return summary;
}

/**
 * Whether another run's claim still holds. Judged on the store's clock (time since the claim was
 * written, against the duration the claimant declared), so neither this run's clock nor the claimant's
 * matters; only a claim from a store that cannot tell its own time, or written before leases carried a
 * duration, falls back to the claimant's expiry against this run's clock.
 */
export function leaseHeld(v: VersionedOutboxEntry, runId: string, nowMs: number): boolean {
  const e = v.entry;
  if (!e.leaseOwner || e.leaseOwner === runId) return false;
  if (e.leaseMs !== undefined && v.sinceWriteMs !== undefined) return v.sinceWriteMs < e.leaseMs;
  return e.leaseUntil !== undefined && Date.parse(e.leaseUntil) > nowMs;
}

async function tryUpdate(deps: DeliveryDeps, entry: OutboxEntry, etag: string): Promise<boolean> {
  try {
    await deps.store.updateOutbox(entry, etag);
    return true;
  } catch (err) {
    if (err instanceof ConcurrencyError) {
      deps.log(
        "warn",
        `${entry.notificationId} to ${entry.channel}: outcome not recorded, another run took it over (${err.message})`,
      );
      return false;
    }
    throw err;
  }
}

function errorOf(e: OutboxEntry, attempts: number, status?: number): DeliveryError {
  const out: DeliveryError = {
    notificationId: e.notificationId,
    incidentId: e.incidentId,
    channel: e.channel,
    outcome: e.outcome === "failed" ? "failed" : "pending",
    attempts,
    error: e.lastError ?? "",
  };
  if (status !== undefined) out.status = status;
  return out;
}
