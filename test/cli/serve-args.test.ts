import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { DEFAULT_SERVE_PORT, parseServeArgs } from "../../src/cli/commands/serve.js";

describe("auth-triage serve arguments", () => {
  it("takes several paths after one flag or the flag repeated", () => {
    expect(
      parseServeArgs(["--logs", "a.json", "b.csv", "--activity", "act.json", "--logs", "c.ndjson"]),
    ).toEqual({
      state: { kind: "memory" },
      logs: ["a.json", "b.csv", "c.ndjson"],
      activity: ["act.json"],
      port: DEFAULT_SERVE_PORT,
    });
  });

  it("reads a connection string state and a port", () => {
    const args = parseServeArgs(["--state", "UseDevelopmentStorage=true", "--port", "0"]);
    expect(args.state).toEqual({ kind: "connection-string", connectionString: "UseDevelopmentStorage=true" });
    expect(args.port).toBe(0);
    expect(parseServeArgs(["--state", "memory", "--logs", "x"]).state).toEqual({ kind: "memory" });
  });

  it.each([
    [[], "nothing to serve"],
    [["--port", "80a", "--logs", "x"], "--port"],
    [["--port", "70000", "--logs", "x"], "--port"],
    [["--state", "https://acct.table.core.windows.net"], "--state"],
    [["--state", "memory", "--activity", "a.json"], "--activity is only used with --logs"],
    [["stray", "--logs", "x"], "unexpected argument 'stray'"],
    [["--logs", "x", "--verbose"], "serve --help"],
  ])("refuses %j with a message saying what to fix", (argv, hint) => {
    expect(() => parseServeArgs(argv)).toThrow(UsageError);
    expect(() => parseServeArgs(argv)).toThrow(hint);
  });

  it("never echoes a connection string it rejects", () => {
    const secret = "DefaultEndpointsProtocol=https;AccountKey=c2VjcmV0";
    try {
      parseServeArgs(["--state", secret]);
      expect.unreachable();
    } catch (err) {
      expect(String(err)).not.toContain("c2VjcmV0");
    }
  });
});
