import type { DeliveryResult } from "./http.js";

/**
 * Retries within one run: jittered exponential backoff ("full jitter") on retryable failures (408, 429,
 * 5xx, network errors, timeouts), honouring Retry-After. A Retry-After longer than the run can wait ends
 * the attempts for this run; the notification stays pending for the next one.
 */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured within a run. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

export interface RetryDeps {
  sleep(ms: number): Promise<void>;
  /** [0, 1) */
  random(): number;
}

export const realRetryDeps: RetryDeps = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: Math.random,
};

export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Never zero: a tiny floor keeps a burst of retries from hammering the endpoint.
  return Math.max(50, Math.round(random() * cap));
}

export async function withRetry(
  attempt: () => Promise<DeliveryResult>,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<{ result: DeliveryResult; attempts: number; waitedMs: number }> {
  let waitedMs = 0;
  for (let n = 1; ; n++) {
    const result = await attempt();
    if (result.ok || !result.retryable || n >= policy.maxAttempts) return { result, attempts: n, waitedMs };
    let delay = backoffDelay(n, policy, deps.random);
    if (result.retryAfterMs !== undefined) {
      if (result.retryAfterMs > policy.maxRetryAfterMs) {
        return {
          result: {
            ...result,
            error: `${result.error} (Retry-After ${Math.round(result.retryAfterMs / 1000)} s: left for the next run)`,
          },
          attempts: n,
          waitedMs,
        };
      }
      delay = result.retryAfterMs + Math.round(deps.random() * 250);
    }
    await deps.sleep(delay);
    waitedMs += delay;
  }
}

/**
 * The longest one notification's delivery can take in a run: every attempt timing out, and between
 * attempts the longest wait honoured (a backoff or a Retry-After with its jitter), after the spacing
 * between posts. A delivery lease shorter than this lets another run post the same notification.
 */
export function worstCaseDeliveryMs(policy: RetryPolicy, timeoutMs: number, minSpacingMs: number): number {
  const longestWait = Math.max(policy.maxDelayMs, policy.maxRetryAfterMs + 250);
  return minSpacingMs + policy.maxAttempts * timeoutMs + (policy.maxAttempts - 1) * longestWait;
}

/** Room for the claim and outcome writes (the store client's own retries) around the delivery. */
export const LEASE_MARGIN_MS = 60_000;
