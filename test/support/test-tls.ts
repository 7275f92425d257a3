import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogsClientHooks } from "../../src/collect/loganalytics/client.js";

type PipelinePolicy = NonNullable<LogsClientHooks["additionalPolicies"]>[number]["policy"];

/**
 * A throw-away self-signed certificate for 127.0.0.1, generated at test time with openssl. The SDK refuses
 * bearer tokens over plain http (reference §5), so the stand-in serves https and the client trusts this
 * certificate through a per-request https.Agent; everything else in the SDK pipeline stays as shipped.
 */
export interface TestCertificate {
  key: string;
  cert: string;
}

export function generateTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "auth-triage-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A pipeline policy that makes the SDK's own HTTP client trust the test certificate. */
export function trustCertificatePolicy(cert: string): PipelinePolicy {
  const agent = new Agent({ ca: cert, keepAlive: false });
  return {
    name: "trustTestCertificate",
    sendRequest: (request, next) => {
      request.agent = agent;
      return next(request);
    },
  };
}
