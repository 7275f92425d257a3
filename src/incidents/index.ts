export {
  DECISION_WEIGHT,
  ONGOING_FACTOR,
  ONGOING_MS,
  buildIncidents,
  severityOf,
  type BuildIncidentsOptions,
} from "./build.js";
