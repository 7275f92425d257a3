/* global document, window, location, history, fetch, performance, ResizeObserver, IntersectionObserver, URLSearchParams, requestAnimationFrame, navigator, setTimeout */
/**
 * Storage Auth Triage dashboard: incidents table, charts, detail view. Vanilla ES module, no framework.
 *
 * Safety rule for this file: every string that comes from the API is attacker-controlled (user agents,
 * URIs, object keys, caller names, change summaries all come from logs). It reaches the DOM only through
 * textContent, attribute setters on inert attributes (title, data-*, aria-*), or as the encoded fragment
 * of our own hash links. Never innerHTML; the page's CSP enforces Trusted Types, so any attempt throws.
 */

/** Below this score a change is a weak lead (same bar as the timer uses for "new cause" news). */
const WEAK_CAUSE_SCORE = 0.5;

const DECISIONS = ["authentication", "rbac", "sas", "network", "policy"];
const DECISION_LABELS = {
  authentication: "Authentication",
  rbac: "RBAC",
  sas: "SAS",
  network: "Network",
  policy: "Policy",
};
/** Kept in step with the badge colours in dashboard.css. */
const DECISION_COLORS = {
  authentication: "#7c3aed",
  rbac: "#2563eb",
  sas: "#c2410c",
  network: "#0e7490",
  policy: "#be185d",
};
const PAGE_SIZE = 1000;
const MAX_INCIDENTS = 10000;

// ---------------------------------------------------------------------------------------------- api

/** The API lives beside the page: <base>/dashboard/… → <base>/incidents. */
function apiBase() {
  const path = location.pathname;
  const at = path.lastIndexOf("/dashboard");
  return at >= 0 ? path.slice(0, at) : path.replace(/\/[^/]*$/, "");
}

/** In Azure the page may be opened with ?code=<function key>; the API needs the same key. */
function requestHeaders() {
  const key = new URLSearchParams(location.search).get("code");
  const headers = { Accept: "application/json" };
  if (key) headers["x-functions-key"] = key;
  return headers;
}

async function getJson(path) {
  const response = await fetch(apiBase() + path, { headers: requestHeaders(), credentials: "same-origin" });
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message =
      response.status === 401 || response.status === 403
        ? "access denied: open the page with ?code=<function key> (or sign in), see docs/dashboard.md"
        : body && typeof body.message === "string"
          ? body.message
          : `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

async function loadAllIncidents() {
  const items = [];
  let total = 0;
  let inputs;
  for (let offset = 0; offset < MAX_INCIDENTS; offset += PAGE_SIZE) {
    const page = await getJson(`/incidents?offset=${offset}&limit=${PAGE_SIZE}`);
    total = page.total;
    inputs ??= page.inputs;
    items.push(...page.items);
    if (page.items.length < PAGE_SIZE || items.length >= total) break;
  }
  return { items, total, inputs };
}

/** The timer's latest input check: what is empty and how to fix it, above everything else. */
function showInputProblems(inputs) {
  const banner = document.getElementById("inputs-banner");
  const problems = Array.isArray(inputs?.problems) ? inputs.problems : [];
  banner.replaceChildren(
    ...problems.map((p) =>
      h("p", {}, [
        h("strong", { text: "Missing input: " }),
        h("span", { text: `${p.problem}. Fix: ${p.fix}` }),
      ]),
    ),
  );
  banner.hidden = problems.length === 0;
}

// ---------------------------------------------------------------------------------------------- dom

/** Creates an element; `text` goes through textContent, never parsed as markup. */
function h(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.title) node.setAttribute("title", String(options.title));
  if (options.attrs)
    for (const [name, value] of Object.entries(options.attrs)) node.setAttribute(name, String(value));
  for (const child of children) if (child) node.append(child);
  return node;
}

function clear(node) {
  node.replaceChildren();
}

function show(id, visible) {
  document.getElementById(id).hidden = !visible;
}

function verdictOf(decision) {
  return DECISIONS.includes(decision) ? decision : "unknown";
}

function badge(decision) {
  const verdict = verdictOf(decision);
  return h("span", {
    className: `badge badge-${verdict}`,
    text: DECISION_LABELS[verdict] ?? String(decision),
  });
}

function statusPill(status) {
  const known = status === "open" || status === "resolved" ? status : "unknown";
  return h("span", { className: `pill pill-${known}`, text: String(status) });
}

/** Incident links are stable: `<page>#/incidents/<id>`; the Teams card builds the same form. */
function incidentHref(id) {
  return `#/incidents/${encodeURIComponent(id)}`;
}

const numberFormat = new Intl.NumberFormat("en");

function fmtNumber(n) {
  return typeof n === "number" && Number.isFinite(n) ? numberFormat.format(n) : "–";
}

/**
 * A caller's failures: exact, or "at least N" when a full top-callers table handed it a slot and the
 * count of a caller it let go (`overcount`, src/model/incident.ts).
 */
function callerCount(c) {
  return c.overcount ? `at least ${fmtNumber(c.count - c.overcount)}` : fmtNumber(c.count);
}

/** "1 incident", "3 incidents". */
function incidentsCount(n) {
  return `${fmtNumber(n)} ${n === 1 ? "incident" : "incidents"}`;
}

/** All times in UTC, as in the logs and the Teams card. */
function fmtTime(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Table cells: "11-22 09:58" (the column header says UTC). */
function fmtShortTime(iso) {
  const full = fmtTime(iso);
  return /^\d{4}-/.test(full) ? full.slice(5, 16) : full;
}

/** "11-22 09:58 → 10:07", with the end's date only when it differs. */
function activeSpan(firstIso, lastIso) {
  const first = fmtShortTime(firstIso);
  const last = fmtShortTime(lastIso);
  return first.slice(0, 5) === last.slice(0, 5) ? `${first} → ${last.slice(6)}` : `${first} → ${last}`;
}

function fmtAgo(iso, now) {
  const t = new Date(iso).getTime();
  if (!Number.isFinite(t)) return "";
  const minutes = Math.round((now - t) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

function showError(message) {
  const banner = document.getElementById("error-banner");
  banner.textContent = message;
  banner.hidden = !message;
}

// ---------------------------------------------------------------------------------------------- state

const state = {
  incidents: [],
  total: 0,
  loadedAt: 0,
  filter: { q: "", account: "", decision: "", errorCode: "", status: "" },
  sort: { key: "severity", dir: -1 },
  overviewChart: undefined,
  detailChart: undefined,
  firstRenderDone: false,
};

const FILTER_KEYS = ["q", "account", "decision", "errorCode", "status"];

function searchableText(item) {
  const cause = item.topCause ? `${item.topCause.summary} ${item.topCause.operation}` : "";
  return [
    item.id,
    item.account,
    item.errorCode,
    item.authType,
    item.decision,
    String(item.statusCode),
    item.summary,
    cause,
    ...item.operations,
  ]
    .join(" ")
    .toLowerCase();
}

function filtered(ignore = "") {
  const f = { ...state.filter, [ignore]: "" };
  const q = f.q.trim().toLowerCase();
  return state.incidents.filter(
    (item) =>
      (!f.account || item.account === f.account) &&
      (!f.decision || item.decision === f.decision) &&
      (!f.errorCode || item.errorCode === f.errorCode) &&
      (!f.status || item.status === f.status) &&
      (!q || item._search.includes(q)),
  );
}

function compare(a, b, key) {
  const x = a[key];
  const y = b[key];
  if (typeof x === "number" && typeof y === "number") return x - y;
  return String(x ?? "").localeCompare(String(y ?? ""));
}

function sorted(items) {
  const { key, dir } = state.sort;
  return [...items].sort(
    (a, b) => dir * compare(a, b, key) || b.severity - a.severity || compare(a, b, "id"),
  );
}

// ---------------------------------------------------------------------------------------------- list view

function fillSelect(select, label, values, current, labels = {}) {
  clear(select);
  select.append(h("option", { text: `All ${label}`, attrs: { value: "" } }));
  for (const value of values) {
    const option = h("option", { text: labels[value] ?? value, attrs: { value } });
    if (value === current) option.selected = true;
    select.append(option);
  }
}

function distinct(values) {
  return [...new Set(values)].sort((a, b) => a.localeCompare(b));
}

function renderFilters() {
  const f = state.filter;
  document.getElementById("filter-q").value = f.q;
  fillSelect(
    document.getElementById("filter-account"),
    "accounts",
    distinct(state.incidents.map((i) => i.account)),
    f.account,
  );
  fillSelect(document.getElementById("filter-decision"), "verdicts", DECISIONS, f.decision, DECISION_LABELS);
  fillSelect(
    document.getElementById("filter-errorCode"),
    "error codes",
    distinct(state.incidents.map((i) => i.errorCode)),
    f.errorCode,
  );
  fillSelect(document.getElementById("filter-status"), "statuses", ["open", "resolved"], f.status);
}

function renderSummary(items) {
  const box = document.getElementById("verdict-summary");
  clear(box);
  for (const decision of DECISIONS) {
    const ofVerdict = items.filter((i) => i.decision === decision);
    const open = ofVerdict.filter((i) => i.status === "open").length;
    const failures = ofVerdict.reduce((sum, i) => sum + i.count, 0);
    const card = h(
      "button",
      { className: `verdict-card verdict-${decision}`, attrs: { type: "button", "data-decision": decision } },
      [
        h("span", { className: "verdict-card-label", text: DECISION_LABELS[decision] }),
        h("span", { className: "verdict-card-count", text: fmtNumber(ofVerdict.length) }),
        h("span", {
          className: "verdict-card-detail",
          text: `${fmtNumber(open)} open · ${fmtNumber(failures)} failures`,
        }),
      ],
    );
    if (state.filter.decision === decision) card.classList.add("active");
    if (ofVerdict.length === 0) card.classList.add("empty");
    card.addEventListener("click", () => {
      state.filter.decision = state.filter.decision === decision ? "" : decision;
      applyFilterChange();
    });
    box.append(card);
  }
}

function renderRows(items) {
  const tbody = document.querySelector("#incidents tbody");
  const now = Date.now();
  const fragment = document.createDocumentFragment();
  for (const item of items) {
    const link = h("a", {
      className: "row-link",
      text: item.account,
      attrs: { href: incidentHref(item.id) },
    });
    // A suspected clock skew leads when no change explains the incident well (weak candidates come and go).
    const skewLeads = item.clockSkewSuspected && (!item.topCause || item.topCause.score < WEAK_CAUSE_SCORE);
    const cause = skewLeads
      ? h("span", { className: "cause-cell", text: "Clock skew suspected" })
      : item.topCause
        ? h("span", { className: "cause-cell", title: item.topCause.summary, text: item.topCause.summary })
        : h("span", { className: "muted", text: "No change found" });
    const row = h("tr", { attrs: { "data-id": item.id } }, [
      h("td", {}, [badge(item.decision)]),
      h("td", {}, [statusPill(item.status)]),
      h("td", { className: "account-cell" }, [
        link,
        h("span", { className: "muted small block", text: item.services.join(", ") }),
      ]),
      h("td", {}, [
        h("span", { className: "code", text: item.errorCode }),
        h("span", { className: "muted small block", text: `${item.statusCode} · ${item.authType}` }),
      ]),
      h("td", { className: "num strong", text: fmtNumber(item.count) }),
      h("td", { className: "trend-cell" }, [sparkline(item)]),
      h("td", { className: "nowrap", title: `${fmtTime(item.firstSeen)} → ${fmtTime(item.lastSeen)}` }, [
        h("span", { text: activeSpan(item.firstSeen, item.lastSeen) }),
        h("span", { className: "muted small block", text: `last ${fmtAgo(item.lastSeen, now)}` }),
      ]),
      h("td", {}, [cause]),
    ]);
    fragment.append(row);
  }
  tbody.replaceChildren(fragment);
}

const SPARK_WIDTH = 90;
const SPARK_HEIGHT = 26;

/** A tiny per-incident failures-over-time line, drawn straight on a canvas (no library, no DOM per point). */
function sparkline(item) {
  const canvas = h("canvas", {
    className: "sparkline",
    attrs: { width: SPARK_WIDTH, height: SPARK_HEIGHT, "aria-hidden": "true" },
  });
  sparklineItems.set(canvas, item);
  sparklineObserver.observe(canvas);
  return canvas;
}

const sparklineItems = new WeakMap();

/** Sparklines are drawn when their row comes into view: 500 canvases drawn up front slow the first render. */
const sparklineObserver = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      sparklineObserver.unobserve(entry.target);
      drawSparkline(entry.target, sparklineItems.get(entry.target));
    }
  },
  { rootMargin: "200px" },
);

/** At most this many points per sparkline: summed bins read as a trend, raw sparse minutes as noise. */
const SPARK_BINS = 24;

/** Averages per minute over equal bins (the last may be shorter), so uneven bins cannot fake dips. */
function binned(counts) {
  if (counts.length <= SPARK_BINS) return counts;
  const size = Math.ceil(counts.length / SPARK_BINS);
  const bins = [];
  for (let i = 0; i < counts.length; i += size) {
    const bin = counts.slice(i, i + size);
    bins.push(bin.reduce((a, b) => a + b, 0) / bin.length);
  }
  return bins;
}

function drawSparkline(canvas, item) {
  const counts = binned(Array.isArray(item?.timeline?.counts) ? item.timeline.counts : []);
  const ctx = counts.length ? canvas.getContext("2d") : null;
  if (!ctx) return;
  const peak = Math.max(1, ...counts);
  const step = counts.length > 1 ? (SPARK_WIDTH - 2) / (counts.length - 1) : 0;
  const y = (n) => SPARK_HEIGHT - 2 - (n / peak) * (SPARK_HEIGHT - 4);
  ctx.beginPath();
  counts.forEach((n, i) => (i === 0 ? ctx.moveTo(1, y(n)) : ctx.lineTo(1 + i * step, y(n))));
  if (counts.length === 1) ctx.lineTo(SPARK_WIDTH - 1, y(counts[0]));
  ctx.strokeStyle = DECISION_COLORS[item.decision] ?? "#374151";
  ctx.lineWidth = 1.5;
  ctx.stroke();
  canvas.dataset.drawn = "true";
}

function renderSortIndicators() {
  for (const th of document.querySelectorAll("#incidents th[data-sort]")) {
    const active = th.dataset.sort === state.sort.key;
    th.setAttribute("aria-sort", active ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
  }
}

function renderList() {
  const items = sorted(filtered());
  // The chart measures its container: draw it before the rows go in, so that measurement does not force
  // a layout of a 500-row table that is about to be laid out anyway.
  renderOverviewChart(items);
  // The verdict cards count what the other filters leave, so picking one verdict still shows the rest.
  renderSummary(filtered("decision"));
  renderRows(items);
  renderSortIndicators();
  const count = document.getElementById("result-count");
  count.textContent =
    items.length === state.incidents.length
      ? incidentsCount(items.length)
      : `${fmtNumber(items.length)} of ${incidentsCount(state.incidents.length)} match`;
  const empty = document.getElementById("empty-state");
  empty.textContent =
    state.incidents.length === 0
      ? "No incidents yet: no 401/403 failures crossed the threshold."
      : "No incident matches these filters.";
  empty.hidden = items.length > 0;
}

function applyFilterChange() {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (state.filter[key]) params.set(key, state.filter[key]);
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${location.search}#/${query ? `?${query}` : ""}`);
  renderFilters();
  renderList();
}

function readFiltersFromHash(hashQuery) {
  const params = new URLSearchParams(hashQuery);
  for (const key of FILTER_KEYS) state.filter[key] = params.get(key) ?? "";
}

// ---------------------------------------------------------------------------------------------- charts

/** Bucket sizes (minutes) tried in order until the chart has at most this many points. */
const BUCKETS = [1, 5, 15, 60, 180, 360, 1440];
const MAX_POINTS = 160;

/** The finest bucket that keeps the chart readable and is no finer than the data's own buckets. */
function bucketMinutesFor(spanMinutes, coarsest) {
  return (
    BUCKETS.find((b) => b >= coarsest && b % coarsest === 0 && spanMinutes / b <= MAX_POINTS) ??
    Math.max(BUCKETS[BUCKETS.length - 1], coarsest)
  );
}

function bucketLabel(minutes) {
  if (minutes < 60) return minutes === 1 ? "per minute" : `per ${minutes} minutes`;
  return minutes === 60 ? "per hour" : minutes === 1440 ? "per day" : `per ${minutes / 60} hours`;
}

/**
 * Sums per-minute failures into buckets per series. Returns uPlot data: x (epoch seconds) followed by one
 * array per series, zeros where nothing failed.
 */
function bucketSeries(seriesList) {
  let min = Infinity;
  let max = -Infinity;
  for (const s of seriesList)
    for (const [t] of s.points) {
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
  if (!Number.isFinite(min)) return { bucketMinutes: 1, data: [[]] };
  const coarsest = Math.max(1, ...seriesList.map((s) => s.bucketMinutes ?? 1));
  const bucketMinutes = bucketMinutesFor((max - min) / 60000 + 1, coarsest);
  const bucketMs = bucketMinutes * 60000;
  // One empty bucket either side, so a short incident still has a visible rise and fall.
  const start = Math.floor(min / bucketMs) * bucketMs - bucketMs;
  const count = Math.floor((max - start) / bucketMs) + 2;
  const xs = Array.from({ length: count }, (_, i) => (start + i * bucketMs) / 1000);
  const ys = seriesList.map((s) => {
    const values = new Array(count).fill(0);
    for (const [t, n] of s.points) values[Math.floor((t - start) / bucketMs)] += n;
    return values;
  });
  return { bucketMinutes, data: [xs, ...ys] };
}

/** [epoch ms, failures] points of a list item's compact timeline (see Timeline in src/dashboard/api.ts). */
function timelinePoints(timeline) {
  const start = Date.parse(timeline?.start);
  if (!Number.isFinite(start) || !Array.isArray(timeline.counts)) return [];
  const bucketMs = (timeline.bucketMinutes || 1) * 60000;
  const points = [];
  timeline.counts.forEach((n, i) => {
    if (typeof n === "number" && n > 0) points.push([start + i * bucketMs, n]);
  });
  return points;
}

/** Tick spacings in seconds: whole minutes and hours only (the data is per minute). */
const TIME_INCREMENTS = [
  60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
];

const pad2 = (n) => String(n).padStart(2, "0");

/** 24-hour UTC tick labels; the date is added on the first tick and wherever the day changes. */
function timeAxisLabels(_u, splits) {
  let lastDay = "";
  return splits.map((ts) => {
    const d = new Date(ts * 1000);
    const day = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
    const label = day !== lastDay ? `${time}\n${day}` : time;
    lastDay = day;
    return label;
  });
}

function chartWidth(container) {
  return Math.max(320, Math.floor(container.getBoundingClientRect().width || container.clientWidth || 800));
}

function makeChart(container, seriesList, height, fill) {
  const { bucketMinutes, data } = bucketSeries(seriesList);
  const uPlot = window.uPlot;
  clear(container);
  if (!uPlot) {
    container.append(h("p", { className: "muted", text: "The chart library did not load." }));
    return { chart: undefined, bucketMinutes, data };
  }
  if (data[0].length === 0) {
    container.append(h("p", { className: "muted chart-empty", text: "No failures to chart." }));
    return { chart: undefined, bucketMinutes, data };
  }
  const options = {
    width: chartWidth(container),
    height,
    // Ticks fall on whole UTC hours/days, matching the labels.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    scales: {
      x: { time: true },
      y: { range: (_u, _min, dataMax) => [0, Math.max(1, Math.ceil(dataMax * 1.1))] },
    },
    axes: [
      {
        stroke: "#4b5563",
        grid: { stroke: "#eef0f3" },
        ticks: { stroke: "#d1d5db" },
        space: 72,
        incrs: TIME_INCREMENTS,
        values: timeAxisLabels,
      },
      {
        stroke: "#4b5563",
        grid: { stroke: "#eef0f3" },
        ticks: { stroke: "#d1d5db" },
        size: 56,
        values: (_u, splits) => splits.map(fmtNumber),
      },
    ],
    series: [
      {
        label: "Time (UTC)",
        value: (_u, ts) =>
          ts === null || ts === undefined ? "–" : fmtTime(new Date(ts * 1000).toISOString()),
      },
      ...seriesList.map((s) => ({
        label: s.label,
        stroke: s.color,
        fill: fill ? `${s.color}22` : undefined,
        width: fill ? 2 : 1.75,
        points: { show: fill && data[0].length < 60 },
        value: (_u, v) => (v === null || v === undefined ? "–" : fmtNumber(v)),
      })),
    ],
  };
  const chart = new uPlot(options, data, container);
  return { chart, bucketMinutes, data };
}

function seriesSummary(list, seriesList, data, bucketMinutes) {
  clear(list);
  seriesList.forEach((s, i) => {
    const values = data[i + 1] ?? [];
    const total = values.reduce((a, b) => a + b, 0);
    let peakAt = 0;
    values.forEach((v, j) => {
      if (v > values[peakAt]) peakAt = j;
    });
    const peak = values[peakAt] ?? 0;
    const when =
      data[0][peakAt] !== undefined ? fmtTime(new Date(data[0][peakAt] * 1000).toISOString()) : "–";
    list.append(
      h("li", { attrs: { "data-series": s.key, "data-total": total, "data-peak": peak } }, [
        h("span", { className: "swatch", attrs: { "data-color": s.key } }),
        h("strong", { text: s.label }),
        h("span", {
          text: ` ${fmtNumber(total)} failures, peak ${fmtNumber(peak)} ${bucketLabel(bucketMinutes)} at ${when}`,
        }),
      ]),
    );
  });
}

function renderOverviewChart(items) {
  const container = document.getElementById("overview-chart");
  const seriesList = DECISIONS.map((decision) => ({
    key: decision,
    label: DECISION_LABELS[decision],
    color: DECISION_COLORS[decision],
    points: items.filter((i) => i.decision === decision).flatMap((i) => timelinePoints(i.timeline)),
    bucketMinutes: Math.max(
      1,
      ...items.filter((i) => i.decision === decision).map((i) => i.timeline?.bucketMinutes ?? 1),
    ),
  })).filter((s) => s.points.length > 0);
  state.overviewChart?.destroy();
  const { chart, bucketMinutes, data } = makeChart(container, seriesList, 240, false);
  state.overviewChart = chart;
  document.getElementById("overview-bucket").textContent = seriesList.length
    ? `Failures ${bucketLabel(bucketMinutes)}, UTC`
    : "";
  seriesSummary(document.getElementById("overview-legend"), seriesList, data, bucketMinutes);
}

// ---------------------------------------------------------------------------------------------- detail view

function section(title, children, className = "") {
  return h("section", { className: `panel ${className}` }, [h("h2", { text: title }), ...children]);
}

function table(headers, rows, className = "") {
  return h("div", { className: "table-wrap" }, [
    h("table", { className: `data-table ${className}` }, [
      h("thead", {}, [
        h(
          "tr",
          {},
          headers.map((text) => h("th", { text, attrs: { scope: "col" } })),
        ),
      ]),
      h(
        "tbody",
        {},
        rows.map((cells) =>
          h(
            "tr",
            {},
            cells.map((cell) =>
              cell instanceof window.Node ? h("td", {}, [cell]) : h("td", { text: cell ?? "–" }),
            ),
          ),
        ),
      ),
    ]),
  ]);
}

function codeList(values, empty) {
  if (!values || values.length === 0) return h("p", { className: "muted", text: empty });
  return h(
    "ul",
    { className: "code-list" },
    values.map((v) => h("li", {}, [h("code", { text: v })])),
  );
}

function scoreBar(score) {
  const pct = Math.round(Math.max(0, Math.min(1, Number(score) || 0)) * 100);
  const fill = h("span", { className: `score-fill score-${Math.min(4, Math.floor(pct / 20))}` });
  // CSSOM assignment, not a style attribute: allowed by the page's CSP.
  fill.style.width = `${pct}%`;
  return h(
    "span",
    {
      className: "score",
      attrs: { role: "meter", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct },
    },
    [fill, h("span", { className: "score-text", text: `${pct}%` })],
  );
}

function renderCauses(incident) {
  if (!incident.changes || incident.changes.length === 0) {
    return section("Likely causes", [
      h("p", {
        className: "muted",
        text: "No change in the activity log or the logs lines up with the onset.",
      }),
    ]);
  }
  const items = incident.changes.map((c, index) =>
    h("li", { className: "cause" }, [
      h("div", { className: "cause-head" }, [
        h("span", { className: "cause-rank", text: `#${index + 1}` }),
        scoreBar(c.score),
        h("strong", { className: "cause-summary", text: c.summary }),
      ]),
      h("dl", { className: "facts" }, [
        ...fact("When", fmtTime(c.time)),
        ...fact("Seen in", c.source === "activity" ? "Activity log" : "Storage logs"),
        ...fact("Operation", c.operation, "code"),
        ...fact("Caller", c.caller),
        ...fact("Resource", c.resourceId, "code"),
        ...(c.before !== undefined || c.after !== undefined
          ? fact("Change", `${c.before ?? "–"} → ${c.after ?? "–"}`, "code")
          : []),
        ...fact("Why ranked here", c.why),
      ]),
    ]),
  );
  return section("Likely causes, most likely first", [h("ol", { className: "causes" }, items)]);
}

function fact(label, value, className = "") {
  return [
    h("dt", { text: label }),
    h("dd", { className, text: value === undefined || value === null || value === "" ? "–" : value }),
  ];
}

/**
 * Copies a command: the Clipboard API where the page is a secure context, otherwise the command's text
 * is selected so Ctrl+C copies it. The button says what happened, through textContent.
 */
function copyButton(command, codeNode) {
  const button = h("button", {
    className: "copy",
    text: "Copy",
    attrs: { type: "button", "aria-label": "Copy command" },
  });
  button.addEventListener("click", () => {
    const done = (word) => {
      button.textContent = word;
      setTimeout(() => (button.textContent = "Copy"), 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(command).then(
        () => done("Copied"),
        () => done("Select and copy"),
      );
      return;
    }
    const range = document.createRange();
    range.selectNodeContents(codeNode);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    done("Selected: press Ctrl+C");
  });
  return button;
}

/** The exact fix: what to change, each command with a copy button, its placeholders, why and when wrong. */
function renderRemedy(incident) {
  const r = incident.remedy;
  if (!r) return null;
  const commands = (r.commands ?? []).map((c) => {
    const code = h("code", { text: c.command });
    return h("li", { className: c.risky ? "remedy-command risky" : "remedy-command" }, [
      h("p", { className: "remedy-purpose", text: `${c.risky ? "Risky, temporary: " : ""}${c.purpose}` }),
      h("div", { className: "remedy-code" }, [h("pre", {}, [code]), copyButton(c.command, code)]),
      (c.placeholders ?? []).length
        ? h(
            "ul",
            { className: "placeholders" },
            c.placeholders.map((p) =>
              h("li", {}, [h("code", { text: `<${p.name}>` }), h("span", { text: `: ${p.reason}` })]),
            ),
          )
        : null,
    ]);
  });
  return h(
    "section",
    { className: "remedy", attrs: { "aria-labelledby": "remedy-title", "data-remedy-kind": r.kind } },
    [
      h("h2", { text: "Exact fix", attrs: { id: "remedy-title" } }),
      h("p", { className: "remedy-change", text: r.change }),
      commands.length
        ? h("ol", { className: "remedy-commands" }, commands)
        : h("p", { className: "remedy-none", text: `No command: ${r.noCommand ?? "nothing to run"}` }),
      (r.facts ?? []).length
        ? table(
            ["", ""],
            r.facts.map((f) => [f.label, f.value]),
            "remedy-facts",
          )
        : null,
      h("p", {}, [h("strong", { text: "Why the narrowest: " }), h("span", { text: r.whyNarrowest })]),
      h(
        "ul",
        { className: "wrong-if" },
        (r.wrongIf ?? []).map((w) => h("li", { text: `Wrong if: ${w}` })),
      ),
      r.bicep
        ? h("details", {}, [
            h("summary", { text: "Lasting change (Bicep)" }),
            h("pre", {}, [h("code", { text: r.bicep })]),
          ])
        : null,
    ],
  );
}

/** A classic `$logs` status that leaves several verdicts open, in the text report's words (or nothing). */
function ambiguity(ambiguous) {
  if (!ambiguous || !Array.isArray(ambiguous.between)) return null;
  return h("p", { className: "detail-ambiguous", attrs: { "data-ambiguous": "" } }, [
    h("strong", { text: "Ambiguous: " }),
    h("span", {
      text: `the logged status leaves ${ambiguous.between.map(String).join(" or ")} open; narrow it by ${String(ambiguous.narrowedBy ?? "")}`,
    }),
  ]);
}

function renderDetail(record) {
  const article = document.getElementById("detail");
  const incident = record.incident;
  const guidance = incident.guidance ?? { summary: "", steps: [], avoid: [] };
  clear(article);

  const header = h("header", { className: "detail-head" }, [
    h("div", { className: "detail-title" }, [
      badge(incident.decision),
      statusPill(record.status),
      h("h1", { text: `${incident.errorCode} on ${incident.account}` }),
    ]),
    h("p", { className: "detail-sub" }, [
      h("span", {
        text: `HTTP ${incident.statusCode} · ${incident.authType} · ${fmtNumber(incident.count)} failures · ${fmtTime(incident.firstSeen)} → ${fmtTime(incident.lastSeen)}`,
      }),
    ]),
    h("p", { className: "detail-sub muted" }, [
      h("span", {
        text: `Services: ${incident.services.join(", ")} · Operations: ${incident.operations.join(", ")}`,
      }),
    ]),
    ambiguity(incident.ambiguous),
    h("p", { className: "detail-sub muted" }, [
      h("span", {
        text: [
          `Opened ${fmtTime(record.openedAt)}`,
          `updated ${fmtTime(record.updatedAt)}`,
          record.resolvedAt ? `resolved ${fmtTime(record.resolvedAt)}` : null,
        ]
          .filter(Boolean)
          .join(" · "),
      }),
    ]),
    h("p", { className: "detail-link" }, [
      h("span", { className: "muted", text: "Link to this incident: " }),
      // Shown without the query string, so copying it never copies a function key into a chat.
      h("a", {
        text: `${location.origin}${location.pathname}${incidentHref(incident.id)}`,
        attrs: { href: incidentHref(incident.id), "data-incident-link": "" },
      }),
      record.silencedBy
        ? h("span", { className: "pill pill-silenced", text: `Silenced by ${record.silencedBy}` })
        : null,
    ]),
  ]);

  const avoid = h("section", { className: "avoid", attrs: { "aria-labelledby": "avoid-title" } }, [
    h("h2", { text: "Wrong fix to avoid", attrs: { id: "avoid-title" } }),
    guidance.avoid.length
      ? h(
          "ul",
          {},
          guidance.avoid.map((text) => h("li", { text })),
        )
      : h("p", { text: "No specific trap known for this error." }),
  ]);
  const todo = h("section", { className: "todo" }, [
    h("h2", { text: "What to do" }),
    h("p", { className: "guidance-summary", text: guidance.summary }),
    h(
      "ol",
      {},
      guidance.steps.map((text) => h("li", { text })),
    ),
  ]);

  const chartBox = h("div", {
    className: "chart",
    attrs: { id: "detail-chart", role: "img", "aria-label": "Failures over time for this incident" },
  });
  const chartLegend = h("ul", { className: "series-summary", attrs: { id: "detail-legend" } });
  const chartPanel = section("Failures over time", [
    chartBox,
    h("details", { className: "chart-data" }, [h("summary", { text: "Chart data" }), chartLegend]),
  ]);

  const skew = incident.clockSkew ?? { suspected: false, evidence: [] };
  const skewPanel = section(
    "Clock skew",
    [
      h("p", {
        className: skew.suspected ? "skew skew-yes" : "skew",
        text: skew.suspected ? "Clock skew suspected" : "No clock skew indicated",
      }),
      skew.evidence.length
        ? h(
            "ul",
            {},
            skew.evidence.map((text) => h("li", { text })),
          )
        : null,
    ].filter(Boolean),
  );

  const clusters = section("Clusters", [
    table(
      ["Service", "Operation", "Failures", "First seen", "Last seen"],
      incident.clusters.map((c) => [
        c.service,
        c.operation,
        fmtNumber(c.count),
        fmtTime(c.firstSeen),
        fmtTime(c.lastSeen),
      ]),
    ),
  ]);

  const callers = section("Callers", [
    incident.callers.length
      ? table(
          ["IP", "User agent", "Identity", "Key", "Failures", "First seen", "Last seen"],
          incident.callers.map((c) => [
            c.ip ?? "–",
            c.userAgent ? h("code", { className: "wrap", text: c.userAgent }) : "–",
            c.requesterUpn ?? c.requesterObjectId ?? "–",
            c.keySlot ?? "–",
            callerCount(c),
            fmtTime(c.firstSeen),
            fmtTime(c.lastSeen),
          ]),
          "callers",
        )
      : h("p", { className: "muted", text: "No caller details were logged." }),
  ]);

  const samples = section(
    "Samples",
    [
      h("h3", { text: "Request URIs (secrets redacted)" }),
      codeList(incident.sampleUris, "No URIs logged."),
      h("h3", { text: "Object keys" }),
      codeList(incident.sampleObjectKeys, "No object keys logged."),
      incident.sasWindows.length ? h("h3", { text: "SAS validity windows" }) : null,
      incident.sasWindows.length
        ? table(
            ["Start (st)", "Expiry (se)", "Failures", "Expired", "Not yet valid"],
            incident.sasWindows.map((w) => [
              w.st ?? "–",
              w.se ?? "–",
              fmtNumber(w.count),
              fmtNumber(w.expired),
              fmtNumber(w.notYetValid),
            ]),
          )
        : null,
      h("h3", { text: "Client API versions (x-ms-version)" }),
      table(
        ["Version", "Failures"],
        Object.entries(incident.operationVersions).map(([version, n]) => [version, fmtNumber(n)]),
      ),
    ].filter(Boolean),
  );

  const notifications = section("Notification history", [
    record.notifications.length
      ? table(
          ["When", "Reason", "Detail", "Channel", "Outcome", "Attempts", "Last error"],
          record.notifications.map((n) => [
            fmtTime(n.at),
            n.reason,
            n.detail,
            n.channel,
            h("span", {
              className: `pill pill-${["sent", "pending", "failed"].includes(n.outcome) ? n.outcome : "unknown"}`,
              text: n.outcome,
            }),
            fmtNumber(n.attempts),
            n.lastError ?? "–",
          ]),
        )
      : h("p", { className: "muted", text: "Nothing was notified for this incident." }),
  ]);

  // An incident stored before remedies existed has none: append() would write a "null" text node.
  article.append(
    ...[
      header,
      renderRemedy(incident),
      h("div", { className: "guidance-grid" }, [avoid, todo]),
      chartPanel,
      h("div", { className: "two-col" }, [renderCauses(incident), skewPanel]),
      clusters,
      callers,
      samples,
      notifications,
    ].filter(Boolean),
  );

  state.detailChart?.destroy();
  const seriesList = [
    {
      key: verdictOf(incident.decision),
      label: "Failures",
      color: DECISION_COLORS[incident.decision] ?? "#374151",
      points: incident.perMinute.map(([minute, n]) => [Date.parse(minute), n]),
      bucketMinutes: incident.bucketMinutes ?? 1,
    },
  ];
  const { chart, bucketMinutes, data } = makeChart(chartBox, seriesList, 220, true);
  state.detailChart = chart;
  seriesSummary(chartLegend, seriesList, data, bucketMinutes);
  document.title = `${incident.errorCode} on ${incident.account} · Storage Auth Triage`;
}

// ---------------------------------------------------------------------------------------------- routing

let routeToken = 0;

/** The "Diagnose a request" view (diagnose.js fills it); this file only switches views. */
const DIAGNOSE_ROUTE = /^\/diagnose(?:[/?]|$)/;

function markCurrentNav(diagnosing) {
  const current = diagnosing ? "nav-diagnose" : "nav-incidents";
  for (const id of ["nav-incidents", "nav-diagnose"]) {
    const link = document.getElementById(id);
    if (id === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route() {
  const token = ++routeToken;
  const hash = location.hash.replace(/^#/, "");
  const diagnosing = DIAGNOSE_ROUTE.test(hash);
  markCurrentNav(diagnosing);
  show("diagnose-view", diagnosing);
  if (diagnosing) {
    show("list-view", false);
    show("detail-view", false);
    document.title = "Diagnose a request · Storage Auth Triage";
    return;
  }
  const detail = /^\/incidents\/([^?]+)/.exec(hash);
  if (detail) {
    let id;
    try {
      id = decodeURIComponent(detail[1]);
    } catch {
      showError("This incident link is malformed.");
      return;
    }
    show("list-view", false);
    show("detail-view", true);
    clear(document.getElementById("detail"));
    document.getElementById("detail").append(h("p", { className: "muted", text: "Loading incident…" }));
    try {
      const record = await getJson(`/incidents/${encodeURIComponent(id)}`);
      if (token !== routeToken) return;
      showError("");
      renderDetail(record);
      window.scrollTo(0, 0);
    } catch (err) {
      if (token !== routeToken) return;
      clear(document.getElementById("detail"));
      document.getElementById("detail").append(
        h("p", {
          className: "empty-state",
          text:
            err.status === 404 ? `No incident with id ${id}.` : `Could not load the incident: ${err.message}`,
        }),
      );
    }
    return;
  }
  const queryAt = hash.indexOf("?");
  readFiltersFromHash(queryAt >= 0 ? hash.slice(queryAt + 1) : "");
  document.title = "Storage Auth Triage";
  show("detail-view", false);
  show("list-view", true);
  renderFilters();
  renderList();
}

async function refresh() {
  const status = document.getElementById("status-line");
  try {
    const { items, total, inputs } = await loadAllIncidents();
    showInputProblems(inputs);
    for (const item of items) item._search = searchableText(item);
    state.incidents = items;
    state.total = total;
    state.loadedAt = Date.now();
    const open = items.filter((i) => i.status === "open").length;
    status.textContent = `${incidentsCount(items.length)} · ${fmtNumber(open)} open · updated ${fmtTime(new Date(state.loadedAt).toISOString())}${
      total > items.length ? ` · showing the first ${fmtNumber(items.length)} of ${fmtNumber(total)}` : ""
    }`;
    showError("");
  } catch (err) {
    status.textContent = "Could not load incidents";
    showError(`Could not load incidents: ${err.message}`);
  }
}

function wireEvents() {
  const form = document.getElementById("filters");
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("input", (e) => {
    const name = e.target.name;
    if (FILTER_KEYS.includes(name)) {
      state.filter[name] = e.target.value;
      if (name === "q") {
        // Re-rendering the filters would steal the caret from the search box.
        renderList();
        const params = new URLSearchParams();
        for (const key of FILTER_KEYS) if (state.filter[key]) params.set(key, state.filter[key]);
        history.replaceState(
          null,
          "",
          `${location.pathname}${location.search}#/${params.toString() ? `?${params}` : ""}`,
        );
      } else applyFilterChange();
    }
  });
  form.addEventListener("reset", (e) => {
    e.preventDefault();
    for (const key of FILTER_KEYS) state.filter[key] = "";
    applyFilterChange();
  });
  for (const th of document.querySelectorAll("#incidents th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      state.sort = {
        key,
        dir: state.sort.key === key ? -state.sort.dir : key === "account" || key === "errorCode" ? 1 : -1,
      };
      renderList();
    });
  }
  document.querySelector("#incidents tbody").addEventListener("click", (e) => {
    if (e.target.closest("a")) return;
    const row = e.target.closest("tr[data-id]");
    if (row) location.hash = incidentHref(row.dataset.id);
  });
  document.getElementById("refresh").addEventListener("click", async () => {
    await refresh();
    await route();
  });
  window.addEventListener("hashchange", () => void route());
  const resize = new ResizeObserver(() => {
    for (const [chart, id] of [
      [state.overviewChart, "overview-chart"],
      [state.detailChart, "detail-chart"],
    ]) {
      const box = document.getElementById(id);
      if (chart && box && box.isConnected && !box.closest("[hidden]"))
        chart.setSize({ width: chartWidth(box), height: chart.height });
    }
  });
  resize.observe(document.querySelector("main"));
}

/** During an incident the page stays open: refresh the data every minute while the tab is visible. */
const AUTO_REFRESH_MS = 60_000;

function scheduleAutoRefresh() {
  window.setInterval(async () => {
    if (document.visibilityState !== "visible") return;
    await refresh();
    // Re-render only the list: re-rendering an open detail view would reset the reader's scroll.
    if (!document.getElementById("list-view").hidden) renderList();
  }, AUTO_REFRESH_MS);
}

async function start() {
  wireEvents();
  scheduleAutoRefresh();
  await refresh();
  performance.mark("dashboard-data-loaded");
  await route();
  // Marks the first complete render (table and chart in the DOM) for the performance check.
  requestAnimationFrame(() => {
    performance.mark("dashboard-first-render");
    document.documentElement.dataset.firstRenderMs = String(Math.round(performance.now()));
    document.documentElement.dataset.ready = "true";
  });
}

void start();
