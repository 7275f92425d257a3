/** The engine's public API: run it over requests, or build the same result from cluster partials. */
export {
  analyze,
  resolveWindow,
  resultFromPartials,
  type AnalysisResult,
  type AnalysisWindow,
  type AnalyzeOptions,
  type RejectionTally,
  type ResultFromPartialsOptions,
} from "./analyze.js";
export {
  DEFAULT_ENGINE_CAPS,
  summarisedOf,
  type EngineCaps,
  type EvidenceCapsReport,
  type Summarised,
} from "./caps.js";
export type {
  RecordObserver,
  RejectedRecord,
  RejectionSink,
  RootCauseContext,
  RootCauseExplainer,
} from "./contracts.js";
