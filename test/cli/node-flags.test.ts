import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_NODE_FLAGS } from "../../src/cli/node-flags.js";
import { BUILT_CLI, ensureBuiltCli } from "../support/built-cli.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("the Node flags auth-triage runs with", () => {
  const shebang = readFileSync(join(ROOT, "src", "cli", "main.ts"), "utf8").split("\n")[0]!;

  it("are the bin's shebang and `npm run cli`'s, both from the one list", async () => {
    expect(shebang).toBe(`#!/usr/bin/env -S node ${CLI_NODE_FLAGS.join(" ")}`);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts.cli).toContain(`node ${CLI_NODE_FLAGS.join(" ")} ${pkg.bin["auth-triage"]}`);
    expect(readFileSync(await ensureBuiltCli(), "utf8").split("\n")[0]).toBe(shebang);
  });

  it("start the built CLI as the kernel starts the bin: the project's Node accepts them", async () => {
    await ensureBuiltCli();
    // The kernel hands everything after the interpreter to it as one argument, as here.
    const run = spawnSync("/usr/bin/env", [shebang.slice("#!/usr/bin/env ".length), BUILT_CLI, "--help"], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}` },
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Usage: auth-triage <command>");
  });
});
