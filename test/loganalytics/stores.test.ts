import { InMemoryBlobCursorStore } from "../../src/collect/archive/cursor.js";
import { InMemoryWatermarkStore } from "../../src/collect/loganalytics/watermark.js";
import { describeBlobCursorStore, describeWatermarkStore } from "../support/store-conformance.js";

describeWatermarkStore("in memory", async () => new InMemoryWatermarkStore());
describeBlobCursorStore("in memory", async () => new InMemoryBlobCursorStore());
