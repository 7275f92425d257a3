import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DASHBOARD_ASSET_PATHS } from "../../src/dashboard/assets.js";

/**
 * The deploy package is dist/ plus production dependencies; uplot is a dev dependency, so the page and
 * uPlot's browser build must be copied into dist by the build. This runs the copy step and checks that
 * every file the server's allow-list can serve is there.
 */
describe("dashboard assets in the build output", () => {
  it("copies every allow-listed asset next to the compiled dashboard module", () => {
    execFileSync(process.execPath, ["scripts/copy-dashboard-assets.mjs"], { stdio: "pipe" });
    const dir = join("dist", "src", "dashboard", "assets");
    for (const asset of DASHBOARD_ASSET_PATHS) {
      const path = join(dir, ...asset.split("/"));
      expect(existsSync(path), path).toBe(true);
      expect(statSync(path).size, path).toBeGreaterThan(100);
    }
  });
});
