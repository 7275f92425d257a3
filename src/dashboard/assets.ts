import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BASE_SECURITY_HEADERS, errorResponse, type DashboardResponse } from "./http.js";

/**
 * The dashboard page's static files. Requests are looked up in a fixed allow-list by exact name, so no
 * request path ever becomes a filesystem path: `../`, encoded dots, backslashes and absolute paths all
 * simply miss the list.
 *
 * Files live in src/dashboard/assets/ (copied next to the compiled module by `npm run build`, see
 * scripts/copy-dashboard-assets.mjs) and uPlot comes from the `uplot` package's dist/, copied by the same
 * step into assets/vendor/uplot/ so the deploy package needs no node_modules lookup for it.
 */

/**
 * Strict CSP for the page: scripts and styles from this origin only (no inline script, no eval), no
 * plugins, no framing, and Trusted Types enforced with no policy, so any `innerHTML = string` in the page
 * or a library throws instead of parsing markup.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

interface AssetEntry {
  /** Where the file is: the page's own assets or the uplot package's dist folder. */
  origin: "page" | "uplot";
  file: string;
  contentType: string;
}

const HTML = "text/html; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const JS = "text/javascript; charset=utf-8";

/** Request path (relative to the page URL) → file. The empty path is the page itself. */
const ASSETS: Readonly<Record<string, AssetEntry>> = {
  "": { origin: "page", file: "index.html", contentType: HTML },
  "index.html": { origin: "page", file: "index.html", contentType: HTML },
  "dashboard.css": { origin: "page", file: "dashboard.css", contentType: CSS },
  "dashboard.js": { origin: "page", file: "dashboard.js", contentType: JS },
  "favicon.svg": { origin: "page", file: "favicon.svg", contentType: "image/svg+xml" },
  "vendor/uplot/uPlot.iife.min.js": { origin: "uplot", file: "uPlot.iife.min.js", contentType: JS },
  "vendor/uplot/uPlot.min.css": { origin: "uplot", file: "uPlot.min.css", contentType: CSS },
  "vendor/uplot/LICENSE": { origin: "uplot", file: "LICENSE", contentType: "text/plain; charset=utf-8" },
};

/** Names the page may request, for tests and the packaging check. */
export const DASHBOARD_ASSET_PATHS: readonly string[] = Object.keys(ASSETS).filter((p) => p !== "");

const assetsDir = fileURLToPath(new URL("./assets/", import.meta.url));

function candidatePaths(entry: AssetEntry): string[] {
  if (entry.origin === "page") return [join(assetsDir, entry.file)];
  const paths = [join(assetsDir, "vendor", "uplot", entry.file)];
  try {
    // Development and tests run from src/, where the build copy does not exist: read the installed package.
    const uplotDir = dirname(createRequire(import.meta.url).resolve("uplot/package.json"));
    paths.push(entry.file === "LICENSE" ? join(uplotDir, "LICENSE") : join(uplotDir, "dist", entry.file));
  } catch {
    // Not installed (production package): only the copied vendor file can serve it.
  }
  return paths;
}

const cache = new Map<string, Buffer>();

async function loadAsset(entry: AssetEntry): Promise<Buffer> {
  const key = `${entry.origin}:${entry.file}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const tried: string[] = [];
  for (const path of candidatePaths(entry)) {
    try {
      const bytes = await readFile(path);
      cache.set(key, bytes);
      return bytes;
    } catch {
      tried.push(path);
    }
  }
  throw new Error(
    `dashboard asset ${entry.file} is missing (looked in ${tried.join(", ")}); run npm run build`,
  );
}

/** Function keys are base64-ish; anything else is not echoed into the page. */
const FUNCTION_KEY_RE = /^[A-Za-z0-9_\-+/=]{1,256}$/;

/**
 * The page is served with a function key (`?code=`) in Azure: its own asset URLs must carry the same key
 * or the host answers 401 for them. The key is URL-encoded, which leaves nothing that could end the
 * attribute, and only our own relative asset references are rewritten.
 */
export function withKeyedAssetUrls(html: string, functionKey: string | undefined): string {
  if (!functionKey || !FUNCTION_KEY_RE.test(functionKey)) return html;
  const suffix = `?code=${encodeURIComponent(functionKey)}`;
  return html.replace(
    /\b(href|src)="((?:vendor\/uplot\/)?[A-Za-z0-9.]+\.(?:css|js|svg))"/g,
    `$1="$2${suffix}"`,
  );
}

/**
 * Serves one dashboard asset by its path relative to the page URL (`""` or `index.html` is the page).
 * `functionKey` is the `code` query parameter the page was opened with, if any.
 */
export async function serveDashboardAsset(
  path: string,
  options: { functionKey?: string; reportError?: (message: string, error: unknown) => void } = {},
): Promise<DashboardResponse> {
  const entry = Object.hasOwn(ASSETS, path) ? ASSETS[path] : undefined;
  if (!entry) {
    return errorResponse(404, { error: "not-found", message: "No such dashboard file." });
  }
  let bytes: Buffer;
  try {
    bytes = await loadAsset(entry);
  } catch (err) {
    options.reportError?.("dashboard asset missing", err);
    return errorResponse(500, {
      error: "internal",
      message: "The dashboard files are missing from this deployment.",
    });
  }
  const isPage = entry.file === "index.html";
  const headers: Record<string, string> = {
    ...BASE_SECURITY_HEADERS,
    "Content-Type": entry.contentType,
    "Content-Security-Policy": PAGE_CSP,
    // The page may be opened with a key in its URL and shows incident data: never cache it. Assets are
    // revalidated so a deploy is picked up at once.
    "Cache-Control": isPage ? "no-store" : "no-cache",
  };
  const body = isPage
    ? withKeyedAssetUrls(bytes.toString("utf8"), options.functionKey)
    : new Uint8Array(bytes);
  return { status: 200, headers, body };
}
