export {
  ClusterAggregator,
  DEFAULT_CLUSTER_LIMITS,
  MAX_KEPT_STRING,
  NO_VERSION,
  OTHER_VERSIONS,
  clusterKeyOf,
  clusterKeyString,
  compareSasWindows,
  mergePartials,
  mergeSamples,
  mergeSasWindows,
  mergeVersions,
  minuteOf,
  type ClusterLimits,
} from "./aggregator.js";
export { SasTimesCache, parseSasTime, sasTimesOf, type SasTimes } from "./sas-window.js";
export { TopCallers, compareCallers, sortCallers, type CallerIdentity } from "./top-callers.js";
