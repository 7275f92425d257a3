/**
 * Runs an Azure SDK client's real pipeline without network: an injected `httpClient` records each
 * outgoing (already signed) request and answers 200 with an empty body. A per-call policy can add
 * headers before signing, as a caller's own code or an options bag would.
 */
import {
  createHttpHeaders,
  type HttpClient,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import type { HttpHeader } from "../../src/signature/http-request.js";

export interface CapturedRequest {
  method: string;
  url: string;
  headers: HttpHeader[];
  authorization: string | undefined;
}

/**
 * Both request shapes reach an injected httpClient: core-rest-pipeline's PipelineRequest (data-tables)
 * and, because the storage SDKs adapt injected clients through @azure/core-http-compat, its WebResource
 * (headers as `headersArray()`, response headers read with `toJson()`).
 */
interface CompatHeaders {
  headersArray(): { name: string; value: string }[];
}
type AnyRequest = Omit<PipelineRequest, "headers"> & { headers: PipelineRequest["headers"] | CompatHeaders };

function headerList(request: AnyRequest): HttpHeader[] {
  const h = request.headers;
  if ("headersArray" in h && typeof h.headersArray === "function") {
    return h.headersArray().map(({ name, value }) => ({ name, value }));
  }
  const out: HttpHeader[] = [];
  for (const [name, value] of h as PipelineRequest["headers"]) out.push({ name, value });
  return out;
}

function emptyResponseHeaders() {
  const h = createHttpHeaders({ "content-length": "0" });
  return Object.assign(h, {
    toJson: (options?: { preserveCase?: boolean }) => h.toJSON(options),
    headersArray: () => [...h].map(([name, value]) => ({ name, value })),
    rawHeaders: () => h.toJSON(),
  });
}

export class CapturingHttpClient implements HttpClient {
  readonly requests: CapturedRequest[] = [];
  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    const headers = headerList(request as AnyRequest);
    this.requests.push({
      method: request.method,
      url: request.url,
      headers: headers.filter((h) => h.name.toLowerCase() !== "authorization"),
      authorization: headers.find((h) => h.name.toLowerCase() === "authorization")?.value,
    });
    return { request, status: 200, headers: emptyResponseHeaders(), bodyAsText: "" };
  }
}

let policyCount = 0;

/** A per-call policy that sets the given headers before the Sign phase. */
export function addHeadersPolicy(headers: Record<string, string>): PipelinePolicy {
  return {
    name: `testAddHeaders${++policyCount}`,
    async sendRequest(request, next) {
      for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
      return next(request);
    },
  };
}

/**
 * The same, as a legacy RequestPolicyFactory for the storage SDKs' `newPipeline(...).factories` (their
 * clients reject core-client's `additionalPolicies` when they bring their own pipeline).
 */
export function addHeadersFactory(headers: Record<string, string>) {
  return {
    create(next: { sendRequest(r: unknown): Promise<unknown> }) {
      return {
        sendRequest(request: { headers: { set(n: string, v: string): void } }) {
          for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
          return next.sendRequest(request);
        },
      };
    },
  };
}

/**
 * Runs `operation` and ignores its outcome (empty 200 bodies make deserialisers throw after the request
 * was captured). Returns the error so a case that captured nothing can say why.
 */
export async function swallow(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    await operation();
    return undefined;
  } catch (err) {
    return err;
  }
}
