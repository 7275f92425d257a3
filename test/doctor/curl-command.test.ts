import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseRequestCapture } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import {
  expectReadAsSent,
  READ_ONLY_SAS as SAS,
  useRecordingServer,
  type Received,
} from "./recording-server.js";

/**
 * A curl command line as a request capture: a browser's "Copy as cURL" (bash and cmd), a script's
 * command, PowerShell's curl.exe. What the command sends is decided by the real bash and curl: each
 * bash-form command is run against a local server, and what the server received must be what the
 * doctor reads from the command's text.
 */

const run = promisify(execFile);

const server = useRecordingServer();

/** Runs the command with the real bash and curl; what the local server got. */
function sent(command: string): Promise<Received> {
  return server().sentBy(() => run("bash", ["-c", `${command} --silent --output /dev/null`]));
}

/** Bash-form commands in the shapes people paste. `BASE` is the local server. */
const BASH_COMMANDS: Record<string, string> = {
  "Chrome, Copy as cURL (bash)": [
    `curl 'BASE/uploads/photo.jpg?${SAS}' \\`,
    `  -X 'PUT' \\`,
    `  -H 'accept: */*' \\`,
    `  -H 'accept-language: en-US,en;q=0.9' \\`,
    `  -H 'content-type: application/json' \\`,
    `  -H 'origin: https://app.contoso.com' \\`,
    `  -H 'x-ms-blob-type: BlockBlob' \\`,
    `  -H 'x-ms-version: 2023-11-03' \\`,
    `  --data-raw $'{"note":"it\\'s a\\nline","path":"C:\\\\\\\\tmp"}'`,
  ].join("\n"),
  "Firefox, one line": `curl 'BASE/uploads/photo.jpg?${SAS}' -X PUT -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' -H 'Accept: */*' -H 'x-ms-blob-type: BlockBlob' -H 'x-ms-version: 2023-11-03' -H 'Origin: https://app.contoso.com' --data-raw 'hello'`,
  "a script: double quotes, options after the URL, a bearer token": `curl -sS "BASE/invoices?restype=container&comp=list" -H "x-ms-version: 2025-01-05" -H "Authorization: Bearer eyJ0eXAiOiJKV1QifQ.e30.c2ln" -H "x-ms-date: Sat, 05 Dec 2026 13:00:00 GMT"`,
  "-G with --data-urlencode, options run together (-sSXGET, -H'…')": `curl -sSXGET -G 'BASE/invoices' --data-urlencode 'restype=container' --data-urlencode 'comp=list' --data-urlencode "prefix=2026 q3/(draft)*" -H'x-ms-version: 2025-01-05'`,
  "HEAD with -I and a user agent": `curl -I -A 'azsdk-js-storage-blob/12.26.0' 'BASE/c/b.txt?${SAS}' -H 'x-ms-version: 2023-11-03'`,
};

describe("a curl command line as the request", () => {
  for (const [name, template] of Object.entries(BASH_COMMANDS)) {
    it(`${name}: what the doctor reads is what bash and curl send`, async () => {
      const command = template.replaceAll("BASE", server().base);
      const got = await sent(command);
      const read = parseRequestCapture(command, "cmd.txt");
      expect(read.format).toBe("curl-command");
      expectReadAsSent(read.request, got);
    });
  }

  it("Chrome's cmd form (^ escapes and line ends) reads as its bash form does", () => {
    const cmd = [
      `curl ^"https://stcontoso01.blob.core.windows.net/uploads/photo.jpg?sv=2023-11-03^&sr=b^&sp=r^&sig=abc^" ^`,
      `  -X ^"PUT^" ^`,
      `  -H ^"x-ms-blob-type: BlockBlob^" ^`,
      `  -H ^"x-ms-version: 2023-11-03^" ^`,
      `  --data-raw ^"^{^\\^"a^\\^":1^}^"`,
    ].join("\r\n");
    const read = parseRequestCapture(cmd, "cmd.txt");
    expect(read.request.method).toBe("PUT");
    expect(read.request.url).toBe(
      "https://stcontoso01.blob.core.windows.net/uploads/photo.jpg?sv=2023-11-03&sr=b&sp=r&sig=abc",
    );
    expect(read.request.headers).toEqual([
      { name: "x-ms-blob-type", value: "BlockBlob" },
      { name: "x-ms-version", value: "2023-11-03" },
    ]);
    expect(read.request.body).toBe('{"a":1}');
  });

  it("PowerShell's curl.exe with backtick line ends", () => {
    const ps =
      'curl.exe -X PUT `\r\n  -H "x-ms-version: 2023-11-03" `\r\n  "https://stcontoso01.blob.core.windows.net/c/b?sp=r&sig=abc"';
    const read = parseRequestCapture(ps, "ps.txt");
    expect(read.request).toMatchObject({
      method: "PUT",
      url: "https://stcontoso01.blob.core.windows.net/c/b?sp=r&sig=abc",
    });
  });

  it("is diagnosed: a read-only SAS used to write, the signature never shown", () => {
    const command = BASH_COMMANDS["Chrome, Copy as cURL (bash)"]!.replaceAll(
      "BASE",
      "https://stcontoso01.blob.core.windows.net",
    );
    const result = explainCapture(command, undefined, {});
    expect(result.primary?.firstProblem?.id).toBe("sas-permission-mismatch");
    expect(JSON.stringify(result)).not.toContain("c2lnbmF0dXJl");
  });

  it("a broken command names what is wrong", () => {
    expect(() => parseRequestCapture("curl -H 'x-ms-version: 1", "cmd.txt")).toThrow(
      /cmd\.txt: a single quote is not closed/,
    );
    expect(() => parseRequestCapture("curl -X PUT -H 'a: b'", "cmd.txt")).toThrow(
      /cmd\.txt: the curl command names no URL/,
    );
    expect(() => parseRequestCapture("curl https://a.blob.core.windows.net/c -H", "cmd.txt")).toThrow(
      /curl option -H has no value/,
    );
  });
});
