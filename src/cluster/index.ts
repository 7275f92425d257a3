export {
  ClusterAggregator,
  DEFAULT_CLUSTER_LIMITS,
  NO_VERSION,
  OTHER_VERSIONS,
  clusterKeyOf,
  clusterKeyString,
  mergePartials,
  minuteOf,
  type ClusterLimits,
} from "./aggregator.js";
export { SasTimesCache, sasTimesOf, type SasTimes } from "./sas-window.js";
export { TopCallers, callerKeyOf, sortCallers, type CallerIdentity } from "./top-callers.js";
