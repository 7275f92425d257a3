import { describe, expect, it } from "vitest";
import { parseRequestCapture } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { runPwsh } from "../pwsh.js";
import { expectReadAsSent, READ_ONLY_SAS as SAS, useRecordingServer } from "./recording-server.js";

/**
 * A browser's "Copy as PowerShell" (and a script's Invoke-RestMethod) as the request. What each sends
 * is decided by the real PowerShell 7 (tools/pwsh/restore.sh, run by `npm run setup`): every snippet
 * is run against a local server, and the headers and body the doctor reads must be what arrived.
 */

const server = useRecordingServer();

const SNIPPETS: Record<string, (base: string) => string> = {
  "Chrome, Copy as PowerShell": (base) =>
    [
      "$session = New-Object Microsoft.PowerShell.Commands.WebRequestSession",
      '$session.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"',
      `Invoke-WebRequest -UseBasicParsing -Uri "${base}/uploads/photo.jpg?${SAS}" \``,
      '-Method "PUT" `',
      "-WebSession $session `",
      "-Headers @{",
      '"accept"="*/*"',
      '  "origin"="https://app.contoso.com"',
      '  "x-ms-blob-type"="BlockBlob"',
      '  "x-ms-version"="2023-11-03"',
      "} `",
      '-ContentType "text/plain" `',
      '-Body ([System.Text.Encoding]::UTF8.GetBytes("caf$([char]233) `"quoted`" `$HOME"))',
    ].join("\r\n"),
  "a script's Invoke-RestMethod with single quotes": (base) =>
    `Invoke-RestMethod -Method Put -Uri '${base}/uploads/notes.txt?${SAS}' -Headers @{ 'x-ms-version' = '2023-11-03'; 'x-ms-blob-type' = 'BlockBlob' } -ContentType 'text/plain' -Body 'it''s here'`,
  "a GET with no method": (base) =>
    `Invoke-WebRequest -Uri "${base}/c/b.txt?${SAS}" -Headers @{"x-ms-version"="2023-11-03"}`,
};

describe("a PowerShell web request as the request", () => {
  for (const [name, snippet] of Object.entries(SNIPPETS)) {
    it(`${name}: what the doctor reads is what PowerShell sends`, async () => {
      const text = snippet(server().base);
      // Storage's 403 makes Invoke-WebRequest throw: what was sent is what counts.
      const got = await server().sentBy(() => runPwsh(`try {\n${text}\n} catch {}\nexit 0`));
      const read = parseRequestCapture(text, "iwr.ps1");
      expect(read.format).toBe("powershell-web-request");
      expectReadAsSent(read.request, got);
    }, 30_000);
  }

  it("is diagnosed: a read-only SAS used to write", () => {
    const text = SNIPPETS["Chrome, Copy as PowerShell"]!("https://stcontoso01.blob.core.windows.net");
    const result = explainCapture(text, undefined, {});
    expect(result.primary?.firstProblem?.id).toBe("sas-permission-mismatch");
    expect(JSON.stringify(result)).not.toContain("c2lnbmF0dXJl");
  });

  it("Windows PowerShell 5.1's curl alias is Invoke-WebRequest; curl.exe and real curl stay curl", () => {
    const alias = parseRequestCapture(
      'curl -Uri "https://stcontoso01.blob.core.windows.net/c/b?sp=r&sig=abc" -Method PUT -Headers @{"x-ms-version"="2023-11-03"} -Body "x"',
      "ps51.txt",
    );
    expect(alias.format).toBe("powershell-web-request");
    expect(alias.request).toMatchObject({
      method: "PUT",
      headers: [{ name: "x-ms-version", value: "2023-11-03" }],
      body: "x",
    });
    for (const real of [
      'curl.exe -X PUT -H "x-ms-version: 2023-11-03" "https://stcontoso01.blob.core.windows.net/c/b"',
      "curl -X PUT 'https://stcontoso01.blob.core.windows.net/c/b?Method=x' -H 'x-ms-version: 2023-11-03'",
    ])
      expect(parseRequestCapture(real, "cmd.txt").format).toBe("curl-command");
  });

  it("a broken call names what is wrong", () => {
    expect(() => parseRequestCapture('Invoke-WebRequest -Method "PUT"', "iwr.ps1")).toThrow(
      /iwr\.ps1: .*has no -Uri/,
    );
    expect(() =>
      parseRequestCapture('Invoke-WebRequest -Uri "https://a.blob.core.windows.net/c', "iwr.ps1"),
    ).toThrow(/iwr\.ps1: a double quote is not closed/);
    expect(() =>
      parseRequestCapture(
        'Invoke-WebRequest -Uri "https://a.blob.core.windows.net/c" -Headers @{ "a"="b"',
        "iwr.ps1",
      ),
    ).toThrow(/the -Headers table is not closed/);
  });
});
