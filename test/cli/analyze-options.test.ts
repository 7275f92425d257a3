import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { parseAnalyzeArgs, parseIsoFlag } from "../../src/cli/commands/analyze-options.js";

function usageMessage(argv: string[]): string {
  try {
    parseAnalyzeArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("analyze options", () => {
  it("takes several paths after one flag or a repeated flag", () => {
    expect(
      parseAnalyzeArgs(["--logs", "a", "b", "--activity", "c", "--logs", "d", "--format", "json"]),
    ).toEqual({
      logs: ["a", "b", "d"],
      activity: ["c"],
      format: "json",
    });
    expect(parseAnalyzeArgs(["--logs=x.csv"])).toEqual({ logs: ["x.csv"], activity: [], format: "text" });
  });

  it("parses ISO dates; a time without zone is UTC, a date alone is midnight UTC", () => {
    const a = parseAnalyzeArgs(["--logs", "x", "--from", "2026-11-20T09:00", "--to", "2026-11-21"]);
    expect(a.from!.toISOString()).toBe("2026-11-20T09:00:00.000Z");
    expect(a.to!.toISOString()).toBe("2026-11-21T00:00:00.000Z");
    expect(parseIsoFlag("to", "2026-11-20T10:00:00+02:00").toISOString()).toBe("2026-11-20T08:00:00.000Z");
  });

  it("says what to fix, naming the flag", () => {
    expect(usageMessage(["--logs", "x", "--from", "yesterday"])).toMatch(
      /^--from 'yesterday' is not an ISO 8601/,
    );
    expect(usageMessage(["--logs", "x", "--to", "2026-13-45T99:00Z"])).toMatch(/^--to /);
    expect(usageMessage(["--logs", "x", "--format", "html"])).toMatch(
      /--format must be one of text, markdown, json/,
    );
    expect(usageMessage([])).toMatch(/--logs PATH/);
    expect(usageMessage(["stray.json"])).toMatch(/put input paths after --logs/);
    expect(usageMessage(["--logs", "x", "--bogus"])).toMatch(/bogus/);
    expect(usageMessage(["--logs", "x", "--from", "2026-11-21", "--to", "2026-11-20"])).toMatch(/after --to/);
  });
});
