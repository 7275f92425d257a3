/* global document, window, location, URLSearchParams, TextDecoder */
/**
 * "Diagnose a request" (#/diagnose): a person pastes a failed Storage request and the server's answer;
 * the request doctor and the Shared Key signature diff (the same engine as `auth-triage explain` and
 * `auth-triage signature explain`, bundled as diagnose-engine.js) read them in this page. Nothing pasted
 * leaves the browser: this file makes no fetch or XHR; the only request is loading the engine file itself,
 * once, when the view first opens. dashboard.js switches the views; this file fills this one.
 *
 * Safety rule: pasted text is attacker-controlled (header values, error bodies, claims). It reaches the
 * DOM only through textContent. The engine already redacts tokens, keys and signatures; nothing here
 * displays a raw pasted value that did not go through it.
 */

const DIAGNOSE_ROUTE = /^\/diagnose(?:[/?]|$)/;

const DECISION_LABELS = {
  authentication: "Authentication",
  rbac: "RBAC",
  sas: "SAS",
  network: "Network",
  policy: "Policy",
};

const SEVERITY_LABELS = { error: "Problem", warning: "Warning", info: "Note" };

const ROW_STATUS_LABELS = {
  same: "",
  differs: "differs",
  "client-only": "only the client signed it",
  "server-only": "only the server saw it",
};

const SECTION_LABELS = {
  standard: "Verb and standard headers",
  "canonical-header": "x-ms-* headers",
  resource: "Resource",
  query: "Query parameters",
};

/** Creates an element; `text` goes through textContent, never parsed as markup. */
function h(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.attrs)
    for (const [name, value] of Object.entries(options.attrs)) node.setAttribute(name, String(value));
  for (const child of children) if (child) node.append(child);
  return node;
}

function badge(decision) {
  const known = Object.hasOwn(DECISION_LABELS, decision) ? decision : "unknown";
  return h("span", { className: `badge badge-${known}`, text: DECISION_LABELS[known] ?? String(decision) });
}

function panel(title, children, className = "") {
  return h("section", { className: `panel ${className}`.trim() }, [h("h2", { text: title }), ...children]);
}

function facts(pairs) {
  const list = h("dl", { className: "facts" });
  for (const [label, value, className] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    list.append(h("dt", { text: label }), h("dd", { className: className ?? "", text: value }));
  }
  return list;
}

/** Shows control characters and empties, so a stray newline or tab in a signed value is visible. */
function visible(value) {
  if (value === undefined) return { text: "(absent)", missing: true };
  if (value === "") return { text: "(empty)", missing: true };
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0);
    if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return { text: out, missing: false };
}

function valueCell(value) {
  const { text, missing } = visible(value);
  return h("td", { className: missing ? "sig-value sig-missing" : "sig-value" }, [h("code", { text })]);
}

// ---------------------------------------------------------------------------------------------- engine

let enginePromise;

/** In Azure the page is opened with ?code=<function key>; the engine file needs the same key. */
function engineUrl() {
  const key = new URLSearchParams(location.search).get("code");
  return `./diagnose-engine.js${key ? `?code=${encodeURIComponent(key)}` : ""}`;
}

function setEngineStatus(text, failed = false) {
  const status = document.getElementById("diagnose-engine-status");
  status.textContent = text;
  status.classList.toggle("local-only-failed", failed);
}

function loadEngine() {
  enginePromise ??= import(engineUrl()).then(
    (engine) => {
      document.getElementById("diagnose-run").disabled = false;
      setEngineStatus("Runs in this browser · nothing is sent");
      document.documentElement.dataset.diagnoseReady = "true";
      return engine;
    },
    (err) => {
      enginePromise = undefined;
      setEngineStatus("The diagnose engine did not load", true);
      showResult([
        h("div", {
          className: "error-banner diagnose-error",
          attrs: { role: "alert" },
          text: `Could not load the diagnose engine (diagnose-engine.js; run npm run build): ${err.message}`,
        }),
      ]);
      throw err;
    },
  );
  return enginePromise;
}

// ---------------------------------------------------------------------------------------------- report

function showResult(children) {
  document.getElementById("diagnose-result").replaceChildren(...children);
}

function summaryPanel(report) {
  const first = report.firstProblem;
  const responseLine = report.response
    ? [report.response.status, report.response.errorCode].filter((v) => v !== undefined).join(" ")
    : "";
  return h("section", { className: `panel diagnose-summary verdict-edge-${report.verdict.decision}` }, [
    h("div", { className: "diagnose-headline" }, [
      badge(report.verdict.decision),
      h("span", {
        className: "scheme-chip",
        text: `Scheme: ${report.scheme}${report.sas ? ` (${report.sas.kind} SAS)` : ""}`,
      }),
    ]),
    h("h2", {
      className: "first-problem-title",
      attrs: { id: "first-problem" },
      text: first ? first.title : "No problem found that this capture can show",
    }),
    h("p", {
      className: "first-problem-detail",
      text: first
        ? first.detail
        : "Paste the server's answer too (its error body carries the code and, for Shared Key, the string-to-sign).",
    }),
    facts([
      ["Request", `${report.request.method} ${report.request.url}`, "code"],
      ["Account", report.request.account],
      [
        "Service",
        report.request.service
          ? `${report.request.service}${report.request.serviceSource && report.request.serviceSource !== "host name" ? ` (${report.request.serviceSource})` : ""}`
          : undefined,
      ],
      ["Decided by", report.basis?.evidence],
      ["Code overruled", report.basis?.overruled],
      ["Emulator", report.emulator ? `${report.emulator.reason}. ${report.emulator.note}` : undefined],
      ["Response", responseLine || undefined],
      ["Server detail", report.response?.detail],
      [
        "Request time",
        report.requestTime ? `${report.requestTime.iso} (from ${report.requestTime.source})` : undefined,
      ],
    ]),
  ]);
}

function guidance(report) {
  const avoid = h("section", { className: "avoid", attrs: { "aria-labelledby": "diagnose-avoid-title" } }, [
    h("h2", { text: "Wrong fix to avoid", attrs: { id: "diagnose-avoid-title" } }),
    report.verdict.avoid.length
      ? h(
          "ul",
          {},
          report.verdict.avoid.map((text) => h("li", { text })),
        )
      : h("p", { text: "No specific trap known for this verdict." }),
  ]);
  const todo = h("section", { className: "todo" }, [
    h("h2", { text: `Verdict: ${DECISION_LABELS[report.verdict.decision] ?? report.verdict.decision}` }),
    h("p", { className: "guidance-summary", text: report.verdict.summary }),
    h(
      "ol",
      {},
      report.verdict.steps.map((text) => h("li", { text })),
    ),
  ]);
  return h("div", { className: "guidance-grid" }, [avoid, todo]);
}

function otherFindings(report, withSignatureTable) {
  // The aligned table already lists the differing fields: the finding that names them would repeat it.
  const rest = report.findings.filter(
    (f) => f.id !== report.firstProblem?.id && !(withSignatureTable && f.id === "signature-fields-differ"),
  );
  if (rest.length === 0) return null;
  return panel(
    "Other findings",
    [
      h(
        "ul",
        { className: "findings", attrs: { id: "other-findings" } },
        rest.map((f) =>
          h("li", { className: `finding finding-${f.severity}`, attrs: { "data-finding": f.id } }, [
            h("span", {
              className: `severity severity-${f.severity}`,
              text: SEVERITY_LABELS[f.severity] ?? f.severity,
            }),
            h("div", {}, [h("strong", { text: f.title }), h("p", { text: f.detail })]),
          ]),
        ),
      ),
    ],
    "diagnose-findings",
  );
}

function signaturePanel(signature, note) {
  if (!signature) {
    return note
      ? panel("Shared Key string-to-sign, field by field", [h("p", { className: "muted", text: note })])
      : null;
  }
  const t = signature.target;
  const differing = signature.rows.filter((r) => r.status !== "same").length;
  const intro = h("p", {
    className: "muted",
    text:
      `${t.service}, ${t.scheme}, account ${t.account}` +
      (t.version ? `, x-ms-version ${t.version}` : ", no x-ms-version") +
      ` · ${signature.identical ? "both strings are identical" : `${differing} of ${signature.rows.length} fields differ`}`,
  });
  const causes = signature.causes.length
    ? h(
        "ol",
        { className: "sig-causes" },
        signature.causes.map((c) =>
          h("li", {}, [
            c.field ? h("code", { className: "sig-cause-field", text: c.field }) : null,
            h("span", { text: c.explanation }),
          ]),
        ),
      )
    : null;
  const body = h("tbody");
  let section = "";
  for (const row of signature.rows) {
    if (row.section !== section) {
      section = row.section;
      body.append(
        h("tr", { className: "sig-section" }, [
          h("th", { text: SECTION_LABELS[section] ?? section, attrs: { colspan: 4, scope: "colgroup" } }),
        ]),
      );
    }
    body.append(
      h(
        "tr",
        {
          className: `sig-row sig-${row.status}`,
          attrs: { "data-field": row.name, "data-status": row.status },
        },
        [
          h("th", { attrs: { scope: "row" } }, [
            h("code", { text: row.section === "query" ? `?${row.name}` : row.name }),
          ]),
          valueCell(row.client),
          valueCell(row.server),
          h("td", { className: "sig-status", text: ROW_STATUS_LABELS[row.status] ?? row.status }),
        ],
      ),
    );
  }
  const table = h("div", { className: "table-wrap" }, [
    h("table", { className: "data-table sig-table", attrs: { id: "signature-rows" } }, [
      h("thead", {}, [
        h("tr", {}, [
          h("th", { text: "Field", attrs: { scope: "col" } }),
          h("th", { text: "Client signed", attrs: { scope: "col" } }),
          h("th", { text: "Server used", attrs: { scope: "col" } }),
          h("th", { text: "", attrs: { scope: "col" } }),
        ]),
      ]),
      body,
    ]),
  ]);
  const notes = signature.notes.length
    ? h(
        "ul",
        { className: "muted small" },
        signature.notes.map((text) => h("li", { text })),
      )
    : null;
  return panel(
    "Shared Key string-to-sign, field by field",
    [intro, causes, table, notes],
    "diagnose-signature",
  );
}

function claimsPanel(bearer) {
  if (!bearer?.claims && !bearer?.challenge) return null;
  const rows = Object.entries(bearer.claims ?? {}).map(([name, value]) =>
    h("tr", {}, [
      h("th", { attrs: { scope: "row" } }, [h("code", { text: name })]),
      h("td", { text: Array.isArray(value) ? value.join(" ") : String(value) }),
    ]),
  );
  const challenge = bearer.challenge
    ? h("p", {
        className: "muted",
        text: `The server's challenge: tenant ${bearer.challenge.tenant ?? "–"}, resource ${bearer.challenge.resourceId ?? "–"}`,
      })
    : null;
  return panel(
    "Token claims (decoded, not verified; the token itself is never shown)",
    [
      rows.length
        ? h("table", { className: "data-table kv-table", attrs: { id: "token-claims" } }, [
            h("tbody", {}, rows),
          ])
        : h("p", { className: "muted", text: "The token could not be decoded." }),
      challenge,
    ],
    "diagnose-claims",
  );
}

function sasPanel(sas) {
  if (!sas) return null;
  const rows = Object.entries(sas.fields).map(([name, value]) =>
    h("tr", {}, [
      h("th", { attrs: { scope: "row" } }, [h("code", { text: name })]),
      h("td", { text: value }),
    ]),
  );
  return panel(
    `SAS fields (${sas.kind} SAS; the signature is never shown)`,
    [h("table", { className: "data-table kv-table", attrs: { id: "sas-fields" } }, [h("tbody", {}, rows)])],
    "diagnose-sas",
  );
}

function plainText(text) {
  return h("details", { className: "panel plain-report" }, [
    h("summary", { text: "Plain-text report (for a ticket; same as auth-triage explain)" }),
    h("pre", { text }),
  ]);
}

function renderDiagnosis(result) {
  if (!result.ok) {
    showResult([
      h("div", {
        className: "error-banner diagnose-error",
        attrs: { role: "alert" },
        text: `Could not read the paste: ${result.error}`,
      }),
    ]);
    return;
  }
  const report = result.report;
  showResult(
    [
      summaryPanel(report),
      guidance(report),
      signaturePanel(result.signature, result.signatureNote),
      otherFindings(report, Boolean(result.signature)),
      h("div", { className: "two-col" }, [claimsPanel(report.bearer), sasPanel(report.sas)].filter(Boolean)),
      plainText(result.text),
    ].filter((node) => node && (node.tagName !== "DIV" || node.childElementCount > 0)),
  );
}

// ---------------------------------------------------------------------------------------------- wiring

let runs = 0;

/**
 * A zip opened as a capture file (Fiddler's .saz): kept as bytes, as it cannot be shown in the request
 * box, and diagnosed while that box stays empty. Typing a request there sets it aside.
 */
let openedArchive;

function formFields() {
  return {
    response: document.getElementById("diagnose-response").value,
    clientIp: document.getElementById("diagnose-client-ip").value,
    service: document.getElementById("diagnose-service").value,
    account: document.getElementById("diagnose-account").value,
  };
}

function setFileStatus(text) {
  document.getElementById("diagnose-file-status").textContent = text;
}

/** Reads a chosen or dropped file: a zip is kept for the engine, any other file goes in the request box. */
async function openCaptureFile(file) {
  if (!file) return;
  let engine;
  try {
    engine = await loadEngine();
  } catch {
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const request = document.getElementById("diagnose-request");
  if (engine.isZip(bytes)) {
    openedArchive = { name: file.name, bytes };
    request.value = "";
    setFileStatus(`${file.name}: read in this page (type or paste a request to diagnose that instead)`);
  } else {
    openedArchive = undefined;
    request.value = new TextDecoder().decode(bytes);
    setFileStatus(`${file.name}: in the request box`);
  }
  await runDiagnosis();
}

async function runDiagnosis() {
  let engine;
  try {
    engine = await loadEngine();
  } catch {
    return;
  }
  const request = document.getElementById("diagnose-request").value;
  const result =
    openedArchive && request.trim() === ""
      ? await engine.diagnoseCaptureFile({ ...formFields(), ...openedArchive })
      : engine.diagnosePaste({ ...formFields(), request });
  renderDiagnosis(result);
  document.documentElement.dataset.diagnoseRuns = String(++runs);
  document.getElementById("diagnose-result").scrollIntoView({ block: "start", behavior: "smooth" });
}

function onRoute() {
  if (DIAGNOSE_ROUTE.test(location.hash.replace(/^#/, ""))) void loadEngine().catch(() => undefined);
}

function wire() {
  const form = document.getElementById("diagnose-form");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void runDiagnosis();
  });
  form.addEventListener("reset", () => {
    openedArchive = undefined;
    setFileStatus("");
    showResult([]);
  });
  const file = document.getElementById("diagnose-file");
  file.addEventListener("change", () => {
    if (file.files.length === 0) {
      openedArchive = undefined;
      setFileStatus("");
    } else void openCaptureFile(file.files[0]);
  });
  document.getElementById("diagnose-request").addEventListener("input", () => {
    if (!openedArchive) return;
    openedArchive = undefined;
    file.value = "";
    setFileStatus("");
  });
  form.addEventListener("dragover", (e) => e.preventDefault());
  form.addEventListener("drop", (e) => {
    if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
    e.preventDefault();
    void openCaptureFile(e.dataTransfer.files[0]);
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void runDiagnosis();
    }
  });
  window.addEventListener("hashchange", onRoute);
  onRoute();
}

wire();
