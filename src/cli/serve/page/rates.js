// Rates explorer: the rows in force at a date (GET /v1/rates) for chosen
// jurisdictions, and each jurisdiction's history drawn as a timeline. The
// history is found from the service alone: the rows in force at the date
// give their validity bounds; the rows in force just before each start and
// at each end give the neighbouring periods, and so on until no new bound.

import { call } from "./api.js";
import { combobox } from "./combobox.js";
import { COUNTRIES, jurisdictionName } from "./names.js";
import { addDays, isDate, service, todayUtc } from "./state.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const MAX_LOOKUPS = 40;

export const rates = { at: todayUtc(), chosen: [] };
let onChange = () => {};
let sequence = 0;
const histories = new Map();

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

function svg(tag, attrs = {}, textContent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (textContent !== undefined) e.textContent = textContent;
  return e;
}

async function ratesAt(at, jurisdictions) {
  return call("v1/rates", { query: [["at", at], ...jurisdictions.map((j) => ["jurisdiction", j])] });
}

const rowKey = (r) => [r.jurisdiction, r.tax_name, r.category, r.valid_from ?? "", r.valid_to ?? ""].join("|");

/** Every row of a jurisdiction reachable from `at` by following validity bounds. */
async function history(jurisdiction, at) {
  const cacheKey = `${jurisdiction}@${at}`;
  if (histories.has(cacheKey)) return histories.get(cacheKey);
  const rows = new Map();
  const asked = new Set();
  const queue = [at];
  while (queue.length && asked.size < MAX_LOOKUPS) {
    const date = queue.shift();
    if (asked.has(date) || !isDate(date)) continue;
    asked.add(date);
    const { status, data } = await ratesAt(date, [jurisdiction]);
    if (status !== 200 || !data || !Array.isArray(data.rates)) continue;
    for (const r of data.rates) {
      if (r.jurisdiction !== jurisdiction || rows.has(rowKey(r))) continue;
      rows.set(rowKey(r), r);
      if (r.valid_from) queue.push(addDays(r.valid_from, -1));
      if (r.valid_to) queue.push(r.valid_to);
    }
  }
  const all = [...rows.values()];
  histories.set(cacheKey, all);
  return all;
}

function jurisdictionOptions() {
  const out = [];
  const seen = new Set();
  for (const j of [...service.jurisdictions].sort()) {
    seen.add(j);
    out.push({ value: j, label: jurisdictionName(j), detail: j });
  }
  for (const [code, name, aliases] of COUNTRIES) {
    if (!seen.has(code)) out.push({ value: code, label: name, detail: `${code} · not in the tax data`, keywords: aliases ?? [] });
  }
  return out;
}

function renderChips() {
  const ul = $("rates-chips");
  ul.replaceChildren(...rates.chosen.map((j, i) => {
    const b = el("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${jurisdictionName(j)} (${j})` }, "×");
    b.addEventListener("click", () => {
      rates.chosen.splice(i, 1);
      changed();
      (ul.querySelectorAll("button")[Math.min(i, rates.chosen.length - 1)] ?? $("rates-add")).focus();
    });
    return el("li", { class: "chip", "data-testid": `chip-${j}` }, `${jurisdictionName(j)} (${j}) `, b);
  }));
}

function changed() {
  renderChips();
  onChange();
  refresh();
}

function regimeWord(r) {
  return r === "inclusive" ? "inclusive (in the price)" : r === "exclusive" ? "exclusive (added on top)" : r;
}

function renderTable(rows, at) {
  if (!rows.length) return el("p", { class: "hint", "data-testid": "rates-empty" }, `No rates in force on ${at} for these jurisdictions.`);
  const table = el("table", { class: "rates-table", "data-testid": "rates-table" },
    el("caption", { text: `Rates in force on ${at}` }),
    el("thead", {}, el("tr", {}, ...["Jurisdiction", "Tax", "Category", "Rate", "Regime", "Valid from", "Valid to", "Source"].map((h) => el("th", { scope: "col", text: h })))));
  const tbody = el("tbody");
  for (const r of rows) {
    let host = "";
    try {
      host = new URL(r.source).host;
    } catch {
      host = r.source ?? "";
    }
    const src = /^https?:\/\//.test(r.source ?? "")
      ? el("a", { href: r.source, rel: "noreferrer noopener", target: "_blank" }, host)
      : el("span", {}, r.source ?? "");
    tbody.append(el("tr", { "data-testid": `rate-${r.jurisdiction}-${r.tax_name}-${r.category}`, "data-value": r.rate },
      el("th", { scope: "row", "data-label": "Jurisdiction" }, `${jurisdictionName(r.jurisdiction)} (${r.jurisdiction})`),
      el("td", { "data-label": "Tax" }, r.tax_name),
      el("td", { "data-label": "Category" }, r.category === "*" ? "* (all)" : r.category),
      el("td", { "data-label": "Rate", class: "num" }, `${r.rate}%`),
      el("td", { "data-label": "Regime" }, regimeWord(r.regime)),
      el("td", { "data-label": "Valid from" }, r.valid_from ?? "always"),
      el("td", { "data-label": "Valid to" }, r.valid_to ?? "open"),
      el("td", { "data-label": "Source", class: "src" }, src)));
  }
  table.append(tbody);
  return el("div", { class: "table-wrap" }, table);
}

function renderTimeline(jurisdiction, rows, at) {
  const series = new Map();
  for (const r of rows) {
    const k = `${r.tax_name} · ${r.category === "*" ? "all categories" : r.category}`;
    if (!series.has(k)) series.set(k, []);
    series.get(k).push(r);
  }
  for (const list of series.values()) list.sort((a, b) => (a.valid_from ?? "").localeCompare(b.valid_from ?? ""));
  const bounds = new Set([at]);
  for (const r of rows) {
    if (r.valid_from) bounds.add(r.valid_from);
    if (r.valid_to) bounds.add(r.valid_to);
  }
  const dates = [...bounds].sort();
  // An ordinal axis: the dates evenly spaced, so recent changes are as
  // readable as old ones; open ends run to the edges.
  const width = Math.max(300, ($("rates-body").clientWidth || 720) - 34);
  const left = 4;
  const right = 4;
  const lane = 30;
  const top = 24;
  const unit = (width - left - right) / dates.length;
  const twoRows = unit < 86;
  const height = top + series.size * (lane + 20) + (twoRows ? 40 : 26);
  const index = new Map(dates.map((d, i) => [d, i]));
  const x = (d) => left + unit * (index.get(d) + 0.5);
  const lo = left;
  const hi = width - right;
  const figure = el("figure", { class: "timeline", "data-testid": `timeline-${jurisdiction}` });
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `tl-${jurisdiction}-cap`, class: "timeline-svg" });
  let y = top;
  const changes = [];
  for (const [name, list] of series) {
    chart.append(svg("text", { x: left, y: y - 4, class: "tl-lane" }, name));
    for (const r of list) {
      const x0 = r.valid_from ? x(r.valid_from) : lo;
      const x1 = r.valid_to ? x(r.valid_to) : hi;
      const inForce = (!r.valid_from || r.valid_from <= at) && (!r.valid_to || at < r.valid_to);
      const g = svg("g", { class: inForce ? "tl-seg current" : "tl-seg" });
      g.append(svg("title", {}, `${name}: ${r.rate}% from ${r.valid_from ?? "the start"} to ${r.valid_to ?? "open end"}`));
      g.append(svg("rect", { x: x0, y, width: Math.max(1, x1 - x0 - 1), height: lane, rx: 3 }));
      if (x1 - x0 > 40) g.append(svg("text", { x: (x0 + x1) / 2, y: y + lane / 2 + 5, "text-anchor": "middle" }, `${r.rate}%`));
      chart.append(g);
    }
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i];
      if (prev.valid_to && prev.valid_to === cur.valid_from) changes.push({ date: cur.valid_from, text: `${name}: ${prev.rate}% → ${cur.rate}%` });
      else changes.push({ date: cur.valid_from ?? "", text: `${name}: ${cur.rate}% from ${cur.valid_from ?? "the start"}` });
    }
    const last = list[list.length - 1];
    if (last?.valid_to) changes.push({ date: last.valid_to, text: `${name}: ${last.rate}% ends` });
    y += lane + 20;
  }
  // The chosen date and the change dates on the axis.
  const axisY = height - (twoRows ? 34 : 20);
  chart.append(svg("line", { x1: left, x2: width - right, y1: axisY, y2: axisY, class: "tl-axis" }));
  dates.forEach((d, i) => {
    const px = x(d);
    if (d !== at) chart.append(svg("line", { x1: px, x2: px, y1: top - 2, y2: axisY + 4, class: "tl-change" }));
    const row = twoRows ? i % 2 : 0;
    chart.append(svg("text", { x: px, y: axisY + 16 + row * 14, "text-anchor": "middle", class: d === at ? "tl-date tl-date-now" : "tl-date" }, d));
  });
  const ax = x(at);
  chart.append(svg("line", { x1: ax, x2: ax, y1: 8, y2: axisY + 4, class: "tl-now" }));
  chart.append(svg("text", { x: Math.min(Math.max(ax, 40), width - 40), y: 12, "text-anchor": "middle", class: "tl-now-label" }, `shown: ${at}`));
  figure.append(chart);
  changes.sort((a, b) => a.date.localeCompare(b.date));
  figure.append(el("figcaption", { id: `tl-${jurisdiction}-cap` },
    el("strong", {}, `${jurisdictionName(jurisdiction)} (${jurisdiction})`),
    changes.length ? ": changes" : ": no change in the tax data",
    changes.length ? el("ul", { class: "changes" }, ...changes.map((c) => el("li", { "data-date": c.date }, el("time", { datetime: c.date }, c.date || "start"), ` ${c.text}`))) : null));
  return figure;
}

async function refresh() {
  const mine = ++sequence;
  const body = $("rates-body");
  body.setAttribute("aria-busy", "true");
  const at = rates.at;
  const { status, data } = await ratesAt(at, rates.chosen);
  if (mine !== sequence) return;
  const parts = [];
  if (status !== 200 || !data || !Array.isArray(data.rates)) {
    const e = data?.error;
    parts.push(el("p", { class: "field-error", role: "alert", "data-testid": "rates-error", "data-code": e?.code ?? "", "data-param": e?.param ?? "" },
      e ? `${e.message ?? e.code} (${e.code})` : `The service answered ${status}.`));
  } else {
    parts.push(renderTable(data.rates, data.at ?? at));
    if (rates.chosen.length) {
      parts.push(el("h2", { class: "tl-title" }, "History"));
      const figures = await Promise.all(rates.chosen.map(async (j) => renderTimeline(j, await history(j, at), at)));
      if (mine !== sequence) return;
      parts.push(...figures);
    }
  }
  body.replaceChildren(...parts);
  body.removeAttribute("aria-busy");
  body.dataset.at = at;
}

/** Wires the Rates tab; `changedHook` keeps the URL in step. */
export function initRates(changedHook) {
  onChange = changedHook;
  const at = $("rates-at");
  at.value = rates.at;
  at.addEventListener("change", () => {
    if (!isDate(at.value)) return;
    rates.at = at.value;
    changed();
  });
  combobox($("rates-add"), {
    options: jurisdictionOptions,
    onPick: (o) => addJurisdiction(o.value),
    onFree: (t) => t && addJurisdiction(t.toUpperCase()),
    display: () => "",
  });
}

function addJurisdiction(j) {
  if (!rates.chosen.includes(j)) rates.chosen.push(j);
  changed();
}

/** Shows the tab's state (after a link set it). */
export function showRates() {
  $("rates-at").value = rates.at;
  renderChips();
  refresh();
}
