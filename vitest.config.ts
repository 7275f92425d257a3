import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // A per-run scratch folder: work several files need (Bicep builds) is done once per run.
    globalSetup: ["./test/support/run-scratch.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
