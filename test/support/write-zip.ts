import { spawnSync } from "node:child_process";

/**
 * Writes a zip of the given files (name → text, in that order) with Python's zipfile, deflated as the
 * tools that save zips (Fiddler's .saz, Excel's workbooks) do: a zip writer independent of the reader
 * under test.
 */
export function writeZip(path: string, files: Record<string, string>): void {
  const run = spawnSync(
    "/usr/bin/python3",
    [
      "-c",
      "import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n" +
        "  for name, text in json.load(sys.stdin).items(): z.writestr(name, text.encode('utf-8'))",
      path,
    ],
    { input: JSON.stringify(files), encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`python zipfile failed: ${run.stderr}`);
}
