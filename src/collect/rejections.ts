import type { RejectedRecord, RejectionSink } from "../engine/contracts.js";

/** How many rejected records are kept as examples; the rest are only counted. */
export const REJECTION_SAMPLE_LIMIT = 20;

/**
 * Counts every rejected record and keeps the first few as samples, so a file of millions of bad rows
 * costs constant memory while the report can still show what was wrong and where.
 */
export class RejectionCollector implements RejectionSink {
  count = 0;
  readonly samples: RejectedRecord[] = [];

  constructor(private readonly sampleLimit: number = REJECTION_SAMPLE_LIMIT) {}

  reject(r: RejectedRecord): void {
    this.count++;
    if (this.samples.length < this.sampleLimit) this.samples.push(r);
  }
}
