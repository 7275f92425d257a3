import { parentPort, workerData } from "node:worker_threads";
import { skimAheadFiles, type SkimAheadRing } from "./skim-ahead-reader.js";

/**
 * Worker-thread entry of skim-ahead (skim-ahead.ts): started idle with its ring, it loads its modules,
 * waits for the files to read, reads and skims them, then ends.
 */
parentPort!.once("message", (files: readonly string[]) => skimAheadFiles(workerData as SkimAheadRing, files));
