import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

/**
 * vitest globalSetup: one scratch folder per test run, shared by every test file (each runs in its own
 * process), so expensive work done for one file (the Bicep builds and snapshots, test/infra/infra-build.ts)
 * is done once per run and reused by the others. Cheap when nothing uses it: the work itself is lazy.
 */
declare module "vitest" {
  export interface ProvidedContext {
    runScratchDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "auth-triage-run-"));
  project.provide("runScratchDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
