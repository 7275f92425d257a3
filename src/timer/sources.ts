import type { SourceSettings } from "../config/settings.js";
import type { IncidentSource } from "./source.js";

/**
 * Builds the configured log source. Each source module is imported only when used, so the function's
 * cold start never loads the Log Analytics or Storage SDKs it does not need.
 */
export async function createIncidentSource(source: SourceSettings): Promise<IncidentSource> {
  switch (source.kind) {
    case "files": {
      const { FileIncidentSource } = await import("./file-source.js");
      return new FileIncidentSource(source.logs, source.activity);
    }
    case "workspaces":
      throw new Error("the Log Analytics source is not part of this build yet");
    case "archive":
      throw new Error("the archive source is not part of this build yet");
  }
}
