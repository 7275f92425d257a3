import { parentPort, workerData } from "node:worker_threads";
import {
  readyToSkimAhead,
  skimAheadFiles,
  type SkimAheadRing,
  type SkimAheadStart,
} from "./skim-ahead-reader.js";

/**
 * Worker-thread entry of skim-ahead (skim-ahead.ts): started idle with its ring, it loads its modules,
 * says it is ready, waits to be told where to start, reads and skims the files from there, then ends.
 */
readyToSkimAhead(workerData as SkimAheadRing);
parentPort!.once("message", (from: SkimAheadStart) => skimAheadFiles(workerData as SkimAheadRing, from));
