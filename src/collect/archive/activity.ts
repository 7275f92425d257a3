import type { BlobServiceClient } from "@azure/storage-blob";
import type { RejectionSink } from "../../engine/contracts.js";
import type { ActivityEvent } from "../../model/activity.js";
import { activityEventFromArchiveRecord } from "../activity-records.js";
import { type BlobWindowListOptions, HOUR_MS, blobFile, listWindowBlobs } from "../blob-window.js";
import { mapOrdered } from "../map-ordered.js";
import { ARCHIVE_LAYOUT } from "./paths.js";

/** Container a subscription's activity log is archived to (reference §2). */
export const ACTIVITY_LOG_CONTAINER = "insights-activity-logs";

/**
 * AzureActivity events archived in the same account, for root causes: every event of (fromMs, toMs].
 * Not incremental on purpose: ranking needs the whole lookback each time, and activity arrives up to 20
 * minutes late into the blob of the hour it was received. Only the hours of the window are listed, and
 * blobs download in parallel (bounded, used in order). Records map with the file readers' mapping.
 */
export async function readArchivedActivity(
  service: BlobServiceClient,
  window: { fromMs: number; toMs: number },
  rejections: RejectionSink,
  options: BlobWindowListOptions & { downloadConcurrency?: number } = {},
): Promise<ActivityEvent[]> {
  const container = service.getContainerClient(ACTIVITY_LOG_CONTAINER);
  const events: ActivityEvent[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // A record lands in the blob of the hour it was received, at most an hour or so after it happened.
  const blobs = listWindowBlobs(
    [{ accountName: service.accountName, container }],
    ARCHIVE_LAYOUT,
    { fromMs: window.fromMs, toMs: window.toMs + HOUR_MS },
    options,
  );
  const downloads = mapOrdered(blobs, options.downloadConcurrency ?? 8, async (blob) => ({
    file: blobFile(blob),
    bytes: await container.getBlobClient(blob.name).downloadToBuffer(),
  }));
  for await (const { file, bytes } of downloads) {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      rejections.reject({ file, line: 0, field: "(blob)", reason: "not valid UTF-8" });
      continue;
    }
    text.split("\n").forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === "") return;
      let raw: unknown;
      try {
        raw = JSON.parse(trimmed);
      } catch {
        rejections.reject({ file, line: i + 1, field: "(record)", reason: "not valid JSON" });
        return;
      }
      const event = activityEventFromArchiveRecord(raw, { file, line: i + 1 }, rejections);
      if (event && event.timeMs > window.fromMs && event.timeMs <= window.toMs) events.push(event);
    });
  }
  return events.sort((a, b) => a.timeMs - b.timeMs);
}
