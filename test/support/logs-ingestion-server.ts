import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { generateTestCertificate, type TestCertificate } from "./test-tls.js";

/**
 * A local stand-in for the Azure Monitor Logs Ingestion API: POST
 * /dataCollectionRules/{immutableId}/streams/{stream}?api-version=2023-01-01 with a bearer token and a JSON
 * array body, gzip-encoded when Content-Encoding says so. Answers as the service documents: 204 when
 * accepted, 413 when a call exceeds 1 MB (compressed or not), 400 for a body that is not a JSON array,
 * 404 for an unknown rule or stream, 401 without a token, and scripted 429 (with Retry-After) and 5xx.
 */
export const MAX_CALL_BYTES = 1024 * 1024;

export type IngestionFault = { status: 429; retryAfterSeconds?: number } | { status: 500 | 502 | 503 };

export interface IngestionRequest {
  ruleId: string;
  stream: string;
  apiVersion: string | null;
  authorization: string | undefined;
  contentEncoding: string | undefined;
  /** Bytes on the wire and after decompression. */
  wireBytes: number;
  bodyBytes: number;
  rows: number;
  status: number;
}

export interface LogsIngestionStandIn {
  endpoint: string;
  certificate: TestCertificate;
  requests: IngestionRequest[];
  /** Rows accepted, by `<ruleId>/<stream>`. */
  accepted: Map<string, Record<string, unknown>[]>;
  /** Faults answered, in order, to the next calls. */
  enqueueFaults(...faults: IngestionFault[]): void;
  close(): Promise<void>;
}

function error(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

export async function startLogsIngestionStandIn(streams: {
  ruleId: string;
  stream: string;
}): Promise<LogsIngestionStandIn> {
  const certificate = generateTestCertificate();
  const requests: IngestionRequest[] = [];
  const accepted = new Map<string, Record<string, unknown>[]>();
  const faults: IngestionFault[] = [];
  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://stand-in");
      const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
      const wire = Buffer.concat(chunks);
      const record: IngestionRequest = {
        ruleId: m ? decodeURIComponent(m[1]!) : "",
        stream: m ? decodeURIComponent(m[2]!) : "",
        apiVersion: url.searchParams.get("api-version"),
        authorization: req.headers.authorization,
        contentEncoding: req.headers["content-encoding"],
        wireBytes: wire.length,
        bodyBytes: 0,
        rows: 0,
        status: 0,
      };
      requests.push(record);
      const answer = (status: number, body?: string, headers: Record<string, string> = {}) => {
        record.status = status;
        res.writeHead(status, body ? { "content-type": "application/json", ...headers } : headers);
        res.end(body);
      };
      if (req.method !== "POST" || !m) return answer(404, error("NotFound", "no such route"));
      if (!/^Bearer \S+/.test(req.headers.authorization ?? ""))
        return answer(401, error("InvalidToken", "a bearer token is required"));
      const fault = faults.shift();
      if (fault?.status === 429) {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
        return answer(429, error("TooManyRequests", "throttled"), headers);
      }
      if (fault) return answer(fault.status, error("ServiceUnavailable", "try again later"));
      if (wire.length > MAX_CALL_BYTES)
        return answer(413, error("ContentLengthLimitExceeded", "the call exceeds 1 MB"));
      let body: Buffer;
      try {
        body = req.headers["content-encoding"] === "gzip" ? gunzipSync(wire) : wire;
      } catch {
        return answer(400, error("InvalidContentEncoding", "the body is not valid gzip"));
      }
      record.bodyBytes = body.length;
      if (body.length > MAX_CALL_BYTES)
        return answer(413, error("ContentLengthLimitExceeded", "the call exceeds 1 MB uncompressed"));
      if (record.ruleId !== streams.ruleId || record.stream !== streams.stream)
        return answer(404, error("NotFound", `no rule ${record.ruleId} with stream ${record.stream}`));
      let rows: unknown;
      try {
        rows = JSON.parse(body.toString("utf8"));
      } catch {
        return answer(400, error("InvalidJson", "the body is not JSON"));
      }
      if (!Array.isArray(rows)) return answer(400, error("InvalidPayload", "the body must be a JSON array"));
      record.rows = rows.length;
      const key = `${record.ruleId}/${record.stream}`;
      accepted.set(key, [...(accepted.get(key) ?? []), ...(rows as Record<string, unknown>[])]);
      return answer(204);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    certificate,
    requests,
    accepted,
    enqueueFaults: (...f) => faults.push(...f),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
