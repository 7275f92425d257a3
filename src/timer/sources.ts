import type { SourceSettings } from "../config/settings.js";
import type { TriageStore } from "../state/store.js";
import type { RemoteSourceHooks } from "./remote-sources.js";
import type { IncidentSource } from "./source.js";

/**
 * Builds the configured log source. Each source module is imported only when used, so the function's
 * cold start never loads the Log Analytics or Storage SDKs it does not need.
 */
export async function createIncidentSource(
  source: SourceSettings,
  store: TriageStore,
  options: { maxCatchUpMs: number; hooks?: RemoteSourceHooks },
): Promise<IncidentSource> {
  switch (source.kind) {
    case "files": {
      const { FileIncidentSource } = await import("./file-source.js");
      return new FileIncidentSource(source.logs, source.activity);
    }
    case "workspaces": {
      const { LogAnalyticsIncidentSource } = await import("./remote-sources.js");
      return new LogAnalyticsIncidentSource(source, store, options.maxCatchUpMs, options.hooks);
    }
    case "archive": {
      const { ArchiveIncidentSource } = await import("./remote-sources.js");
      return new ArchiveIncidentSource(source, store, options.hooks);
    }
    case "classic": {
      const { ClassicIncidentSource } = await import("./classic-source.js");
      return new ClassicIncidentSource(source, store, options.hooks);
    }
  }
}
