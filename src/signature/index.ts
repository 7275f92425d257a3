/**
 * Signature diagnostics, browser-safe part: request parsing, canonicalisation, the server-string parser
 * and the diff. Signing (node:crypto) lives in ./sign.js and is not re-exported here, so this entry can
 * be bundled for the dashboard.
 */
export * from "./http-request.js";
export * from "./canonical.js";
export * from "./header-order.js";
export * from "./target.js";
export * from "./server-error.js";
export * from "./diff.js";
export * from "./render.js";
