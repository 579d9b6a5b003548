// Verify: POST /v1/verify with the builder's (or a pasted) request and a
// service's response; each mismatch is listed expected against actual, and
// highlighted in the pasted response itself.

import { call } from "./api.js";
import { currentQuote, requestBody } from "./builder.js";
import { formatAmount, parseJson, stringifyJson } from "./money.js";
import { quoteQuery } from "./state.js";

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const show = (v) => (v === undefined ? "(missing)" : stringifyJson(v));

function source() {
  return document.querySelector("input[name=verify-source]:checked")?.value ?? "builder";
}

/** Keeps the request box in step with the builder when it is the source. */
export function syncVerifyRequest() {
  if (source() === "builder") $("verify-request").value = requestBody(2);
}

/** Where the session sits in a response: the envelope's data.session, or the top. */
function sessionPrefix(response) {
  if (response && typeof response === "object" && response.data && typeof response.data === "object" && response.data.session) {
    return ["data", "session"];
  }
  return [];
}

/** `line_items[1].amount_total` -> ["line_items", 1, "amount_total"]. */
function pathOf(field) {
  const out = [];
  for (const part of String(field).split(".")) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** The response pretty-printed, one line per value, with the mismatched lines marked. */
function renderJson(value, marked) {
  const pre = el("pre", { class: "json", "aria-label": "The response, with the mismatched fields marked" });
  const key = (p) => p.join("/");
  const write = (v, path, indent, label, last) => {
    const pad = "  ".repeat(indent);
    const name = label === null ? "" : `${JSON.stringify(String(label))}: `;
    const comma = last ? "" : ",";
    const hit = marked.get(key(path));
    if (v && typeof v === "object") {
      const isArr = Array.isArray(v);
      const entries = isArr ? v.map((x, i) => [i, x]) : Object.entries(v);
      line(`${pad}${name}${isArr ? "[" : "{"}${entries.length ? "" : isArr ? "]" : "}"}${entries.length ? "" : comma}`, hit);
      entries.forEach(([k, x], n) => write(x, [...path, k], indent + 1, isArr ? null : k, n === entries.length - 1));
      if (entries.length) line(`${pad}${isArr ? "]" : "}"}${comma}`);
    } else {
      line(`${pad}${name}${stringifyJson(v)}${comma}`, hit);
    }
  };
  const line = (t, hit) => {
    const span = el("span", { class: hit ? "json-line marked" : "json-line" }, t);
    if (hit) span.append(el("span", { class: "json-note" }, `  ← expected ${show(hit.expected)}`));
    pre.append(span, "\n");
  };
  write(value, [], 0, null, true);
  return pre;
}

async function runVerify() {
  const body = $("verify-body");
  const respText = $("verify-response").value.trim();
  const reqText = source() === "builder" ? requestBody() : $("verify-request").value;
  let request, response;
  try {
    request = parseJson(reqText);
  } catch {
    body.replaceChildren(el("p", { class: "field-error", role: "alert", "data-testid": "verify-input-error" }, "The request is not JSON."));
    return;
  }
  try {
    response = parseJson(respText);
  } catch {
    // Not JSON: the engine reports it as a `response` mismatch.
    response = respText;
  }
  body.replaceChildren(el("p", { class: "hint" }, "Verifying…"));
  body.setAttribute("aria-busy", "true");
  const { status, data } = await call("v1/verify", {
    method: "POST",
    query: quoteQuery(),
    body: stringifyJson({ request, response }),
  });
  body.removeAttribute("aria-busy");
  if (status !== 200 || !data || typeof data !== "object") {
    const why = data?.error ? `${data.error.message ?? ""} (${data.error.code})` : `The service answered ${status}.`;
    body.replaceChildren(el("p", { class: "field-error", role: "alert", "data-testid": "verify-input-error" }, why));
    return;
  }
  renderReport(data, response);
}

function renderReport(report, response) {
  const body = $("verify-body");
  const matched = report.match === true;
  const outcome = matched ? "match" : report.error && !report.quote && report.kind !== "error_code" && report.kind !== "outcome" ? "refused" : "mismatch";
  const parts = [];
  const headline = matched
    ? "Match: the service's answer agrees with the engine."
    : `Mismatch${report.kind ? ` (${String(report.kind).replaceAll("_", " ")})` : ""}: ${report.mismatches?.length ?? 0} field(s) differ.`;
  parts.push(el("p", { class: `status-line ${matched ? "ok" : "bad"}`, "data-testid": "verify-result", "data-value": matched ? "match" : "mismatch", "data-kind": report.kind ?? "" },
    el("strong", { text: matched ? "match" : "mismatch" }), ` — ${headline}`));
  if (report.error) {
    parts.push(el("p", { class: "refused", "data-testid": "verify-error", "data-code": report.error.code ?? "", "data-param": report.error.param ?? "" },
      "The engine refuses this request: ", report.error.message ?? "", " ", el("code", { text: report.error.code ?? "" }),
      report.error.param ? el("span", {}, " at ", el("code", { text: report.error.param })) : null));
  }
  const mismatches = Array.isArray(report.mismatches) ? report.mismatches : [];
  const currency = report.quote?.currency ?? null;
  if (mismatches.length) {
    const table = el("table", { class: "mismatches" },
      el("caption", { text: "Fields that differ" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Field" }), el("th", { scope: "col", text: "Expected (engine)" }), el("th", { scope: "col", text: "Actual (service)" }))));
    const tbody = el("tbody");
    mismatches.forEach((m, i) => {
      const fmt = (v) => (typeof v === "number" || typeof v === "bigint") && currency && m.field !== "line_items.length" ? ` (${formatAmount(v, currency)})` : "";
      tbody.append(el("tr", { "data-testid": `mismatch-${i}`, "data-field": m.field },
        el("th", { scope: "row", "data-label": "Field" }, el("code", { text: m.field })),
        el("td", { class: "expected", "data-label": "Expected", "data-value": show(m.expected) }, show(m.expected) + fmt(m.expected)),
        el("td", { class: "actual", "data-label": "Actual", "data-value": show(m.actual) }, show(m.actual) + fmt(m.actual))));
    });
    table.append(tbody);
    parts.push(table);
  }
  if (response !== null && typeof response === "object") {
    const prefix = sessionPrefix(response);
    const marked = new Map();
    for (const m of mismatches) {
      const p = m.field === "line_items.length" ? ["line_items"] : m.field.startsWith("error.") ? pathOf(m.field) : [...prefix, ...pathOf(m.field)];
      marked.set(p.join("/"), m);
    }
    parts.push(el("h3", { text: "The response" }), renderJson(response, marked));
  }
  if (report.quote) {
    const q = report.quote;
    parts.push(el("p", { class: "hint" },
      `The engine's quote: subtotal ${formatAmount(q.amount_subtotal, q.currency)}, tax ${formatAmount(q.amount_tax, q.currency)}, total ${formatAmount(q.amount_total, q.currency)} (${q.tax_status}).`));
  }
  body.replaceChildren(...parts);
  body.dataset.outcome = outcome;
}

/** Wires the Verify tab. */
export function initVerify() {
  for (const r of document.querySelectorAll("input[name=verify-source]")) {
    r.addEventListener("change", () => {
      const builder = source() === "builder";
      $("verify-request").readOnly = builder;
      if (builder) syncVerifyRequest();
      else $("verify-request").focus();
    });
  }
  $("verify-form").addEventListener("submit", (e) => {
    e.preventDefault();
    runVerify();
  });
  $("verify-response").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      runVerify();
    }
  });
  $("verify-fill").addEventListener("click", () => {
    const q = currentQuote();
    $("verify-response").value = q
      ? stringifyJson(q, 2)
      : "";
    if (!q) $("verify-body").replaceChildren(el("p", { class: "hint" }, "Build a quote in the Quote tab first."));
    $("verify-response").focus();
  });
  syncVerifyRequest();
}
