// The admin page: loads what the service knows (config, catalog, the tax
// data's jurisdictions), fills the builder from a deep link
// (`/?request=...&at=...&merchant_type=...`), keeps the URL in step with the
// builder (history.replaceState), and switches between the three tools.

import { apiKey, call, forgetKey, onKeyNeeded } from "./api.js";
import { curlCommand, initBuilder, loadRequest, quoteNow, renderForm, requestBody, resetBuilder, showServiceError } from "./builder.js";
import { initRates, rates, showRates } from "./rates.js";
import { builder as B, isDate, service, todayUtc } from "./state.js";
import { initVerify, syncVerifyRequest } from "./verify.js";

const $ = (id) => document.getElementById(id);
const TABS = ["quote", "verify", "rates"];
const SETTINGS = {
  merchant_type: ["merchant_of_record", "direct"],
  rounding_level: ["line", "document"],
  rounding_mode: ["half_up", "half_even"],
};
let tab = "quote";
let started = false;

// ---------- URL ----------

function readUrl() {
  const q = new URLSearchParams(location.search);
  const fromLink = {};
  if (q.has("request")) {
    loadRequest(q.get("request"));
    B.touched = true;
  }
  if (q.has("at")) {
    B.at = q.get("at");
    fromLink.at = true;
  }
  for (const s of Object.keys(SETTINGS)) {
    if (q.has(s)) {
      B[s] = normalise(s, q.get(s));
      fromLink[s] = true;
    }
  }
  if (TABS.includes(q.get("tab"))) tab = q.get("tab");
  if (isDate(q.get("rates_at"))) {
    rates.at = q.get("rates_at");
    fromLink.rates_at = true;
  }
  if (q.has("j")) rates.chosen = q.get("j").split(",").map((j) => j.trim().toUpperCase()).filter(Boolean);
  return fromLink;
}

/** `mor` is the CLI's short name for merchant_of_record. */
function normalise(setting, value) {
  return setting === "merchant_type" && value === "mor" ? "merchant_of_record" : value;
}

function writeUrl() {
  if (!started) return;
  const q = new URLSearchParams();
  if (B.touched) q.set("request", requestBody());
  q.set("at", B.at);
  for (const s of Object.keys(SETTINGS)) q.set(s, B[s]);
  if (tab !== "quote") q.set("tab", tab);
  if (tab === "rates") {
    q.set("rates_at", rates.at);
    if (rates.chosen.length) q.set("j", rates.chosen.join(","));
  }
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

function onBuilderChange() {
  writeUrl();
  syncVerifyRequest();
}

// ---------- tabs ----------

function selectTab(name, focus = false) {
  tab = name;
  for (const t of TABS) {
    const button = $(`tab-${t}`);
    const on = t === name;
    button.setAttribute("aria-selected", String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
    if (on && focus) button.focus();
  }
  if (name === "verify") syncVerifyRequest();
  if (name === "rates") showRates();
  document.body.dataset.tab = name;
  writeUrl();
}

function initTabs() {
  for (const t of TABS) {
    const button = $(`tab-${t}`);
    button.addEventListener("click", () => selectTab(t));
    button.addEventListener("keydown", (e) => {
      const i = TABS.indexOf(t);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      selectTab(TABS[(next + TABS.length) % TABS.length], true);
    });
  }
}

// ---------- API key ----------

function askKey(refused) {
  const dialog = $("key-dialog");
  const input = $("key-input");
  $("key-why").textContent = refused
    ? "The service refused that key. Enter another one; it is kept for this tab only (sessionStorage)."
    : "This service asks for an API key. It is kept for this tab only (sessionStorage).";
  input.value = "";
  return new Promise((resolve) => {
    const done = (key) => {
      $("key-form").removeEventListener("submit", submit);
      $("key-cancel").removeEventListener("click", cancel);
      dialog.removeEventListener("cancel", cancel);
      if (dialog.open) dialog.close();
      service.needsKey = true;
      renderService();
      resolve(key);
    };
    const submit = (e) => {
      e.preventDefault();
      const key = input.value.trim();
      if (key) done(key);
    };
    const cancel = (e) => {
      e?.preventDefault();
      done(null);
      showServiceError("The service needs an API key: reload the page to enter one.");
    };
    $("key-form").addEventListener("submit", submit);
    $("key-cancel").addEventListener("click", cancel);
    dialog.addEventListener("cancel", cancel);
    dialog.showModal();
    input.focus();
  });
}

// ---------- the service ----------

function renderService() {
  const m = service.merchant;
  const parts = [`Loaded merchant: ${m.merchant_type === "direct" ? "Direct" : "merchant of record"}`, `rounding ${m.rounding_level}, ${m.rounding_mode.replace("_", " ")}`];
  const cfg = service.config ?? {};
  const data = cfg.tax_data ?? cfg.tax_data_version;
  if (data && typeof data === "object") {
    if (data.rows !== undefined) parts.push(`${data.rows} tax rows`);
    const v = data.sha256 ?? data.version ?? data.content_hash;
    if (v) parts.push(`data ${String(v).slice(0, 12)}`);
  } else if (typeof data === "string") {
    parts.push(`data ${data.slice(0, 12)}`);
  }
  const line = $("service");
  line.replaceChildren(parts.join(" · "));
  if (service.needsKey || apiKey()) {
    const forget = document.createElement("button");
    forget.type = "button";
    forget.className = "link-button";
    forget.textContent = "Forget API key";
    forget.addEventListener("click", () => {
      forgetKey();
      forget.textContent = "Key forgotten";
      forget.disabled = true;
    });
    line.append(" · ", forget);
  }
  const regs = m.tax_registrations;
  $("registrations").textContent = Array.isArray(regs)
    ? regs.length
      ? `The loaded merchant collects tax in: ${regs.join(", ")} (elsewhere: not collecting).`
      : "The loaded merchant is registered nowhere: every quote is not collecting."
    : "The loaded merchant collects tax everywhere the tax data covers.";
}

async function loadService() {
  const [config, catalog, listing] = await Promise.all([
    call("v1/config"),
    call("v1/catalog"),
    call("v1/rates"),
  ]);
  if (config.status === 200 && config.data) {
    service.config = config.data;
    const m = config.data.merchant ?? config.data;
    for (const s of Object.keys(SETTINGS)) {
      if (typeof m[s] === "string") service.merchant[s] = normalise(s, m[s]);
    }
    if ("tax_registrations" in m) service.merchant.tax_registrations = m.tax_registrations;
    if (config.data.auth === true) service.needsKey = true;
    if (isDate(config.data.default_at)) service.defaultAt = config.data.default_at;
  }
  if (catalog.status === 200 && catalog.data) {
    service.catalog = {
      products: Array.isArray(catalog.data.products) ? catalog.data.products : [],
      prices: Array.isArray(catalog.data.prices) ? catalog.data.prices : [],
    };
    // The discount field's suggestions, when the service lists them.
    for (const k of ["coupons", "promotion_codes"]) {
      if (Array.isArray(catalog.data[k])) service.catalog[k] = catalog.data[k];
    }
  }
  if (listing.status === 200 && listing.data && Array.isArray(listing.data.rates)) {
    const byRegion = new Map();
    for (const r of listing.data.rates) {
      if (typeof r.jurisdiction !== "string") continue;
      service.jurisdictions.add(r.jurisdiction);
      const [country, region] = r.jurisdiction.split("-", 2);
      if (region) {
        if (!byRegion.has(country)) byRegion.set(country, new Set());
        byRegion.get(country).add(region);
      }
    }
    if (byRegion.size) service.regionCountries = byRegion;
  }
  const failed = [config, catalog, listing].find((a) => a.status !== 200);
  if (failed) {
    showServiceError(failed.status === 0 ? failed.failure : failed.status === 401 ? "The service needs an API key." : `The service answered ${failed.status} while the page loaded.`);
  }
}

async function copy(textValue, what) {
  const status = $("copy-status");
  try {
    await navigator.clipboard.writeText(textValue);
    status.textContent = `Copied ${what}.`;
  } catch {
    $("json-editor").open = true;
    const area = what === "curl command" ? $("curl-text") : $("request-json");
    area.focus();
    area.select();
    status.textContent = `Could not reach the clipboard: the ${what} is selected below, press Ctrl+C.`;
  }
}

async function start() {
  const fromLink = readUrl();
  onKeyNeeded(askKey);
  initTabs();
  await loadService();
  for (const s of Object.keys(SETTINGS)) {
    if (!fromLink[s]) B[s] = service.merchant[s];
  }
  if (!fromLink.at) B.at = service.defaultAt ?? todayUtc();
  if (!fromLink.rates_at && isDate(B.at)) rates.at = B.at;
  initBuilder(onBuilderChange);
  initVerify();
  initRates(writeUrl);
  $("copy-json").addEventListener("click", () => copy(requestBody(2), "request JSON"));
  $("copy-curl").addEventListener("click", () => copy(curlCommand(), "curl command"));
  $("copy-link").addEventListener("click", () => copy(location.href, "link"));
  $("reset").addEventListener("click", resetBuilder);
  $("builder").addEventListener("submit", (e) => e.preventDefault());
  $("rates-form").addEventListener("submit", (e) => e.preventDefault());
  renderService();
  renderForm();
  started = true;
  selectTab(tab);
  if (B.touched) quoteNow();
  document.body.dataset.ready = "true";
}

start();
