import type { BlobServiceClient } from "@azure/storage-blob";
import type { RejectionSink } from "../../engine/contracts.js";
import type { ActivityEvent } from "../../model/activity.js";
import { activityEventFromArchiveRecord } from "../activity-records.js";
import { hourOfBlob } from "./paths.js";

/** Container a subscription's activity log is archived to (reference §2). */
export const ACTIVITY_LOG_CONTAINER = "insights-activity-logs";

const HOUR_MS = 3_600_000;

/**
 * AzureActivity events archived in the same account, for root causes: every event of (fromMs, toMs].
 * Not incremental on purpose: ranking needs the whole lookback each time, and activity arrives up to 20
 * minutes late into the blob of the hour it was received. Records map with the file readers' mapping.
 */
export async function readArchivedActivity(
  service: BlobServiceClient,
  window: { fromMs: number; toMs: number },
  rejections: RejectionSink,
): Promise<ActivityEvent[]> {
  const container = service.getContainerClient(ACTIVITY_LOG_CONTAINER);
  if (!(await container.exists())) return [];
  const events: ActivityEvent[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for await (const item of container.listBlobsFlat()) {
    const hourMs = hourOfBlob(item.name);
    // A record lands in the blob of the hour it was received, at most an hour or so after it happened.
    if (hourMs === undefined || hourMs + HOUR_MS <= window.fromMs || hourMs > window.toMs + HOUR_MS) continue;
    const file = `${ACTIVITY_LOG_CONTAINER}/${item.name}`;
    const bytes = await container.getBlobClient(item.name).downloadToBuffer();
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
