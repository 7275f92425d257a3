import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { signRequest } from "../../src/signature/sign.js";
import { parseRequestText } from "../../src/signature/http-request.js";
import { azureErrorBody, ECHOED_MAC, serverStringToSign, STORIES, TEST_KEY } from "./stories.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

async function run(args: string[], env: Record<string, string> = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

let dir: string;
const file = (name: string) => join(dir, name);

const REQUEST = [
  "PUT /photos/a%2Cb.jpg HTTP/1.1",
  "Host: contoso.blob.core.windows.net",
  "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
  "x-ms-version: 2021-08-06",
  "x-ms-blob-type: BlockBlob",
  "Content-Length: 5",
  "",
  "hello",
].join("\r\n");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sig-cli-"));
  await writeFile(file("req.http"), REQUEST);
  await writeFile(
    file("bad.http"),
    "PUT /x HTTP/1.1\nHost: contoso.blob.core.windows.net\nthis line has no colon\n",
  );
  const story = STORIES.find((s) => s.id === "telemetry-header-added")!;
  await writeFile(
    file("story.json"),
    JSON.stringify({
      method: story.signed.method,
      url: story.signed.url,
      headers: story.signed.headers.map((h) => [h.name, h.value]),
    }),
  );
  await writeFile(file("error.xml"), azureErrorBody(serverStringToSign(story), story.errorTime));
  await writeFile(
    file("no-string.xml"),
    "<Error><Code>AuthenticationFailed</Code><Message>nope</Message></Error>",
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("auth-triage signature sign", () => {
  it("prints the Authorization header and never the key", async () => {
    const r = await run(
      [
        "signature",
        "sign",
        "--request",
        file("req.http"),
        "--account",
        "contoso",
        "--key-env",
        "STORAGE_KEY",
      ],
      {
        STORAGE_KEY: TEST_KEY,
      },
    );
    expect(r.code).toBe(0);
    const expected = signRequest(parseRequestText(REQUEST), TEST_KEY, { account: "contoso" }).authorization;
    expect(r.stdout).toBe(`Authorization: ${expected}\n`);
    expect(r.stdout + r.stderr).not.toContain(TEST_KEY);
  });

  it("--show-string-to-sign prints the string-to-sign with secret values redacted", async () => {
    await writeFile(
      file("cpk.http"),
      [
        "PUT https://contoso.blob.core.windows.net/c/b?comp=block&blockid=AAAA&sig=c2VjcmV0c2ln HTTP/1.1",
        "x-ms-date: Tue, 03 Nov 2026 10:15:00 GMT",
        "x-ms-version: 2021-08-06",
        "x-ms-encryption-key: Q1BLS0VZQ1BLS0VZQ1BLS0VZ",
        "Content-Length: 0",
      ].join("\n"),
    );
    const r = await run(
      ["signature", "sign", "--request", file("cpk.http"), "--key-env", "K", "--show-string-to-sign"],
      { K: TEST_KEY },
    );
    expect(r.code).toBe(0);
    const line = r.stdout.split("\n")[1]!;
    expect(line).toMatch(/^String-To-Sign: "PUT\\n/);
    expect(line).toContain("x-ms-encryption-key:REDACTED");
    expect(line).toContain("\\nsig:REDACTED");
    expect(r.stdout).not.toContain("Q1BLS0VZ");
    expect(r.stdout).not.toContain("c2VjcmV0c2ln");
  });

  it("exit 2 naming the variable when the key is missing or not base64, without echoing it", async () => {
    const missing = await run(["signature", "sign", "--request", file("req.http"), "--key-env", "NOPE"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("NOPE");
    const bad = await run(["signature", "sign", "--request", file("req.http"), "--key-env", "K"], {
      K: "not a key!",
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not base64");
    expect(bad.stderr).not.toContain("not a key!");
  });

  it("exit 2 naming the file and line of a malformed request", async () => {
    const r = await run(["signature", "sign", "--request", file("bad.http"), "--key-env", "K"], {
      K: TEST_KEY,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file("bad.http")}:3: header`);
  });

  it("exit 2 for an unreadable file and for an unknown sub-command", async () => {
    const r = await run(["signature", "sign", "--request", file("missing.http"), "--key-env", "K"], {
      K: TEST_KEY,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ENOENT");
    expect((await run(["signature", "verify"])).code).toBe(2);
  });
});

describe("auth-triage signature explain", () => {
  it("text: the aligned diff, the cause and the verdict; no MAC", async () => {
    const r = await run([
      "signature",
      "explain",
      "--request",
      file("story.json"),
      "--server-string-to-sign",
      file("error.xml"),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\+ x-ms-request-root-id\s+\(absent\)\s+5e7f0ac1$/m);
    expect(r.stdout).toContain("Verdict: authentication (AuthenticationFailed)");
    expect(r.stdout).toContain("Do not rotate or regenerate account keys");
    expect(r.stdout).not.toContain(ECHOED_MAC);
  });

  it("--only-differences keeps the differing rows and the resource", async () => {
    const r = await run([
      "signature",
      "explain",
      "--request",
      file("story.json"),
      "--server-string-to-sign",
      file("error.xml"),
      "--only-differences",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\+ x-ms-request-root-id/m);
    expect(r.stdout).toMatch(/^ {2}resource/m);
    expect(r.stdout).not.toMatch(/^ {2}Content-MD5/m);
    expect(r.stdout).toContain("equal field(s) not shown");
  });

  it("json: machine-readable explanation", async () => {
    const r = await run([
      "signature",
      "explain",
      "--request",
      file("story.json"),
      "--server-string-to-sign",
      file("error.xml"),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { causes: { id: string }[]; verdict: { decision: string } };
    expect(parsed.causes[0]!.id).toBe("telemetry-header-added");
    expect(parsed.verdict.decision).toBe("authentication");
  });

  it("exit 2 when the server's answer holds no string-to-sign", async () => {
    const r = await run([
      "signature",
      "explain",
      "--request",
      file("story.json"),
      "--server-string-to-sign",
      file("no-string.xml"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no-string.xml");
    expect(r.stderr).toContain("no string-to-sign found");
  });
});
