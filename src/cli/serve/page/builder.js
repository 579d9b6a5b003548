// The quote builder: a form over the request object, a debounced
// POST /v1/quote as it changes, the quote shown line by line, and a refusal
// placed beside the field its `param` names. The request object is kept as
// the link or the person gave it (unknown fields included), so the page
// sends exactly what the CLI would read.

import { call } from "./api.js";
import { combobox } from "./combobox.js";
import { formatAmount, formatRate, integerFromText, stringifyJson } from "./money.js";
import { COUNTRIES, REGIONS, REGION_WORD, countryName, jurisdictionName } from "./names.js";
import { builder as B, isDate, priceById, productById, quoteQuery, service } from "./state.js";

const $ = (id) => document.getElementById(id);

const TOP_FIELDS = new Set([
  "mode", "presentation", "line_items", "customer_email", "success_url", "cancel_url",
  "buyer_country", "buyer_region", "client_reference_id", "discounts",
]);
const LINE_FIELDS = new Set(["price_id", "product_id", "ad_hoc_amount", "ad_hoc_currency", "quantity", "description"]);
const TEXT_FIELDS = ["client_reference_id", "customer_email", "success_url", "cancel_url"];
const DISCOUNT_KINDS = ["promotion_code", "coupon"];

let onChange = () => {};
let lastQuote = null;
let lastError = null;
let timer = null;
let inflight = null;
let sequence = 0;
/** The discount kind the form offers while the code is empty (a link's discount sets it). */
let discountKind = "promotion_code";

/** The last quote the engine gave for the builder (null when refused). */
export function currentQuote() {
  return lastQuote;
}

/** The request body the builder sends (the link's raw text, or the object as JSON). */
export function requestBody(space) {
  return B.raw !== null ? B.raw : stringifyJson(B.request, space);
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "for") e.setAttribute(k, v === true ? "" : v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function text(value) {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  return stringifyJson(value);
}

/** A person's edit of a text field: set it, or drop it when emptied. */
function setOrDrop(obj, key, value) {
  if (value === "") delete obj[key];
  else obj[key] = value;
}

/** A typed integer: the integer when it is one, else the text (the engine says what is wrong). */
function integerOrText(value) {
  const t = value.trim();
  if (t === "") return undefined;
  const n = integerFromText(t);
  return n === null ? value : n;
}

function lines() {
  return Array.isArray(B.request.line_items) ? B.request.line_items : null;
}

function isAdHoc(line) {
  return line && typeof line === "object" && ("ad_hoc_amount" in line || "ad_hoc_currency" in line);
}

function changed({ rerender = false } = {}) {
  B.touched = true;
  if (rerender) renderForm();
  else refreshJsonEditor();
  schedule();
  onChange();
}

// ---------- the form ----------

function countryOptions() {
  const seen = new Set();
  const out = [];
  for (const [code, name, aliases] of COUNTRIES) {
    seen.add(code);
    out.push({ value: code, label: name, detail: code, keywords: aliases ?? [] });
  }
  for (const j of service.jurisdictions) {
    const c = j.split("-")[0];
    if (!seen.has(c)) {
      seen.add(c);
      out.push({ value: c, label: c, detail: "in the tax data" });
    }
  }
  return out.sort((a, b) => a.label.localeCompare(b.label, "en"));
}

function countryCode() {
  return typeof B.request.buyer_country === "string" ? B.request.buyer_country.trim().toUpperCase() : "";
}

function regionOptions() {
  const country = countryCode();
  const known = REGIONS[country] ?? [];
  const out = known.map(([code, name, aliases]) => ({ value: code, label: name, detail: `${country}-${code}`, keywords: aliases ?? [] }));
  for (const r of service.regionCountries.get(country) ?? []) {
    if (!known.some(([code]) => code === r)) out.push({ value: r, label: r, detail: `${country}-${r}` });
  }
  return out.sort((a, b) => a.label.localeCompare(b.label, "en"));
}

function regionDisplay() {
  const r = B.request.buyer_region;
  if (r === undefined) return "";
  if (typeof r !== "string") return text(r);
  const country = countryCode();
  const code = r.toUpperCase().startsWith(`${country}-`) ? r.slice(country.length + 1) : r;
  const found = (REGIONS[country] ?? []).find(([c]) => c === code.toUpperCase());
  return found ? `${found[1]} (${country}-${found[0]})` : r;
}

function countryDisplay() {
  const c = B.request.buyer_country;
  if (c === undefined) return "";
  if (typeof c !== "string") return text(c);
  const name = countryName(c.trim());
  return name.toUpperCase() !== c.trim().toUpperCase() ? `${name} (${c.trim().toUpperCase()})` : c;
}

function catalogOptions() {
  const out = [];
  const products = service.catalog.products ?? [];
  for (const price of service.catalog.prices ?? []) {
    if (!price || typeof price.id !== "string") continue;
    const product = productById(price.product);
    const name = product?.name ?? price.product ?? "(no product)";
    const every = price.recurring ? ` / ${price.recurring.interval_count > 1 ? price.recurring.interval_count + " " : ""}${price.recurring.interval}` : "";
    const inactive = price.active === false || product?.active === false ? " · inactive" : "";
    out.push({
      value: price.id,
      label: `${name} — ${formatAmount(price.unit_amount, price.currency)}${every}`,
      detail: `${price.id} · ${price.product ?? ""}${inactive}`,
      keywords: [product?.id ?? "", product?.tax_category ?? ""],
      kind: "price",
    });
  }
  for (const product of products) {
    if (!product || typeof product.id !== "string" || !product.default_price) continue;
    out.push({
      value: product.id,
      label: `${product.name ?? product.id} — default price`,
      detail: `${product.id} · ${product.default_price}${product.active === false ? " · inactive" : ""}`,
      keywords: [product.tax_category ?? ""],
      kind: "product",
    });
  }
  return out;
}

function itemLabel(line) {
  if (typeof line.price_id === "string") {
    const price = priceById(line.price_id);
    if (!price) return `${line.price_id} (not in the catalog)`;
    const product = productById(price.product);
    return `${product?.name ?? price.product} — ${formatAmount(price.unit_amount, price.currency)} (${price.id})`;
  }
  if (typeof line.product_id === "string") {
    const product = productById(line.product_id);
    return product ? `${product.name} — default price (${product.id})` : `${line.product_id} (not in the catalog)`;
  }
  if (line.price_id !== undefined) return text(line.price_id);
  if (line.product_id !== undefined) return text(line.product_id);
  return "";
}

function pickItem(line, option) {
  delete line.price_id;
  delete line.product_id;
  delete line.ad_hoc_amount;
  delete line.ad_hoc_currency;
  if (option.kind === "product") line.product_id = option.value;
  else line.price_id = option.value;
}

function freeItem(line, typed) {
  if (typed === "") return;
  delete line.price_id;
  delete line.product_id;
  if (typed.startsWith("prod_")) line.product_id = typed;
  else line.price_id = typed;
}

function lineField(i, name, labelText, input, extra) {
  const id = `line-${i}-${name}`;
  input.id = id;
  return el("div", { class: `field f-${name}`, "data-param": `line_items[${i}].${name}` },
    el("label", { for: id, id: `${id}-label`, text: labelText }), input, extra);
}

function renderLine(line, i) {
  const li = el("li", { class: "line-edit", "data-param": `line_items[${i}]` });
  const head = el("div", { class: "line-head" }, el("span", { class: "line-no", text: `Line ${i + 1}` }));
  const remove = el("button", { type: "button", class: "link-button", text: "Remove", "aria-label": `Remove line ${i + 1}` });
  remove.addEventListener("click", () => {
    lines().splice(i, 1);
    changed({ rerender: true });
    ($(`line-${Math.min(i, lines().length - 1)}-quantity`) ?? $("add-item")).focus();
  });
  head.append(remove);
  li.append(head);
  if (!line || typeof line !== "object" || Array.isArray(line)) {
    li.append(el("p", { class: "hint", text: `This line is not an object: ${text(line)}` }));
    return li;
  }
  const row = el("div", { class: "line-fields" });
  if (isAdHoc(line)) {
    const amount = el("input", { type: "text", inputMode: "numeric", value: text(line.ad_hoc_amount), placeholder: "1000" });
    const preview = el("p", { class: "hint amount-preview", id: `line-${i}-preview` });
    const showPreview = () => {
      const n = integerFromText(text(line.ad_hoc_amount));
      preview.textContent = n !== null && typeof line.ad_hoc_currency === "string" && line.ad_hoc_currency
        ? `= ${formatAmount(n, line.ad_hoc_currency)}`
        : "In minor units (cents): 1000 is 10.00 USD.";
    };
    amount.setAttribute("aria-describedby", preview.id);
    amount.addEventListener("input", () => {
      const v = integerOrText(amount.value);
      if (v === undefined) delete line.ad_hoc_amount;
      else line.ad_hoc_amount = v;
      showPreview();
      changed();
    });
    const currency = el("input", { type: "text", value: text(line.ad_hoc_currency), placeholder: "USD", maxLength: 8, autocapitalize: "characters" });
    currency.addEventListener("input", () => {
      setOrDrop(line, "ad_hoc_currency", currency.value.trim());
      showPreview();
      changed();
    });
    showPreview();
    row.append(
      lineField(i, "ad_hoc_amount", "Ad hoc amount", amount, preview),
      lineField(i, "ad_hoc_currency", "Currency", currency),
    );
  } else {
    const input = el("input", { type: "text", value: itemLabel(line), placeholder: "Search the catalog" });
    const field = lineField(i, "price_id", "Catalog item", input);
    field.dataset.param = `line_items[${i}].price_id line_items[${i}].product_id`;
    field.querySelector("label").id = `line-${i}-price_id-label`;
    const combo = el("div", { class: "combo" });
    input.replaceWith(combo);
    combo.append(input);
    row.append(field);
    queueMicrotask(() => {
      combobox(input, {
        options: catalogOptions,
        onPick: (o) => { pickItem(line, o); changed(); },
        onFree: (t) => { freeItem(line, t); changed(); },
        display: () => itemLabel(line),
      });
    });
  }
  const qty = el("input", { type: "text", inputMode: "numeric", value: text(line.quantity), placeholder: "1", class: "qty" });
  qty.addEventListener("input", () => {
    const v = integerOrText(qty.value);
    if (v === undefined) delete line.quantity;
    else line.quantity = v;
    changed();
  });
  row.append(lineField(i, "quantity", "Quantity", qty));
  const desc = el("input", { type: "text", value: text(line.description), placeholder: "optional" });
  desc.addEventListener("input", () => {
    setOrDrop(line, "description", desc.value);
    changed();
  });
  row.append(lineField(i, "description", "Description", desc));
  li.append(row);
  const unknown = Object.keys(line).filter((k) => !LINE_FIELDS.has(k));
  if (unknown.length) li.append(extrasList(line, unknown, `line_items[${i}].`));
  return li;
}

/** Fields the builder has no control for, shown so they can be seen and removed. */
function extrasList(obj, keys, prefix) {
  const ul = el("ul", { class: "extra-list", "aria-label": "Other fields in the request" });
  for (const k of keys) {
    const remove = el("button", { type: "button", class: "link-button", text: "Remove", "aria-label": `Remove the field ${k}` });
    remove.addEventListener("click", () => {
      delete obj[k];
      changed({ rerender: true });
    });
    ul.append(el("li", { class: "field extra", "data-param": `${prefix}${k}` },
      el("code", { text: `${k}: ${text(obj[k])}` }), " ", remove));
  }
  return ul;
}

function renderLines() {
  const list = $("lines");
  const items = lines();
  if (items === null) {
    list.replaceChildren();
    $("no-lines").textContent = B.request.line_items === undefined
      ? "No line items yet: add one from the catalog below."
      : `line_items is not a list here: ${text(B.request.line_items)}. Adding an item replaces it.`;
    $("no-lines").hidden = false;
    return;
  }
  list.replaceChildren(...items.map(renderLine));
  $("no-lines").hidden = items.length > 0;
}

function renderRegions() {
  const country = countryCode();
  const byRegion = service.regionCountries.has(country);
  const field = $("region-field");
  field.hidden = !byRegion && B.request.buyer_region === undefined;
  const word = REGION_WORD[country] ?? "region";
  $("buyer_region-label").textContent = word[0].toUpperCase() + word.slice(1);
}

// ---------- the discount ----------

/**
 * The request's discount as the form shows it: its kind, its code, and
 * `odd` when `discounts` is not the one coupon or code the form can hold
 * (a link's two discounts, an extra key...), which the page still sends as is.
 */
function discountShown() {
  const d = B.request.discounts;
  if (d === undefined) return { kind: discountKind, code: "", odd: false };
  const first = Array.isArray(d) ? d[0] : undefined;
  if (!first || typeof first !== "object" || Array.isArray(first)) return { kind: discountKind, code: "", odd: true };
  const kinds = DISCOUNT_KINDS.filter((k) => k in first);
  const kind = kinds.length === 1 ? kinds[0] : discountKind;
  const odd = d.length !== 1 || kinds.length !== 1 || Object.keys(first).length !== 1 || typeof first[kind] !== "string";
  return { kind, code: text(first[kind]), odd };
}

/** What a coupon takes off, in words: `12.5% off`, `5.00 USD off`. */
function couponWords(coupon) {
  if (!coupon) return "";
  const off = coupon.percent_off !== undefined && coupon.percent_off !== null
    ? `${formatRate(text(coupon.percent_off))} off`
    : coupon.amount_off !== undefined && coupon.amount_off !== null ? `${formatAmount(coupon.amount_off, coupon.currency)} off` : "";
  const only = Array.isArray(coupon.applies_to?.products) ? ` on ${coupon.applies_to.products.join(", ")}` : "";
  return [coupon.name, `${off}${only}`, coupon.active === false ? "inactive" : ""].filter(Boolean).join(" · ");
}

/** Suggestions for the code field: the catalog's coupons or promotion codes, when the service lists them. */
function discountOptions(kind) {
  const coupons = Array.isArray(service.catalog.coupons) ? service.catalog.coupons : [];
  if (kind === "coupon") {
    return coupons.filter((c) => c && typeof c.id === "string").map((c) => [c.id, couponWords(c)]);
  }
  const codes = Array.isArray(service.catalog.promotion_codes) ? service.catalog.promotion_codes : [];
  return codes.filter((p) => p && typeof p.code === "string").map((p) => {
    const coupon = coupons.find((c) => c && c.id === p.coupon);
    const words = [`${text(p.coupon)}${coupon ? `: ${couponWords(coupon)}` : ""}`, p.active === false ? "inactive code" : ""];
    return [p.code, words.filter(Boolean).join(" · ")];
  });
}

function discountHint(odd) {
  $("discount-hint").textContent = odd
    ? `discounts here is not one coupon or code: ${text(B.request.discounts)}. Typing a code replaces it.`
    : discountKind === "coupon"
      ? "A coupon id of the catalog; empty for no discount."
      : "The code a buyer types (any case); empty for no discount.";
}

function renderDiscountKind() {
  $("discount-kind").value = discountKind;
  $("discount-code-label").textContent = discountKind === "coupon" ? "Coupon id" : "Promotion code";
  $("discount-options").replaceChildren(...discountOptions(discountKind).map(([value, label]) => el("option", { value, label })));
}

function renderDiscount() {
  const { kind, code, odd } = discountShown();
  discountKind = kind;
  renderDiscountKind();
  $("discount-code").value = code;
  discountHint(odd);
}

/** A person's edit of the discount: one coupon or code, or no `discounts` at all when the field is empty. */
function setDiscount() {
  const code = $("discount-code").value.trim();
  if (code === "") delete B.request.discounts;
  else B.request.discounts = [{ [discountKind]: code }];
  discountHint(false);
}

/** Re-reads every control from the builder state. */
export function renderForm() {
  const r = B.request;
  for (const s of ["merchant_type", "rounding_level", "rounding_mode"]) {
    ensureOption($(s), B[s]);
    $(s).value = B[s];
  }
  const at = $("at");
  at.type = isDate(B.at) ? "date" : "text";
  at.value = B.at;
  $("mode").value = typeof r.mode === "string" && ["payment", "subscription", "setup"].includes(r.mode) ? r.mode : "payment";
  ensureOption($("mode"), r.mode);
  ensureOption($("presentation"), r.presentation);
  $("presentation").value = r.presentation === undefined ? "" : text(r.presentation);
  for (const f of TEXT_FIELDS) $(f).value = text(r[f]);
  if (r.presentation !== undefined || r.customer_email !== undefined || r.success_url !== undefined || r.cancel_url !== undefined) {
    $("more-fields").open = true;
  }
  $("buyer_country").value = countryDisplay();
  $("buyer_region").value = regionDisplay();
  renderRegions();
  renderLines();
  renderDiscount();
  const direct = B.merchant_type === "direct";
  $("add-adhoc").disabled = !direct;
  $("adhoc-hint").textContent = direct
    ? "A Direct merchant can charge amounts that are not in the catalog (taxed as general goods)."
    : "Ad hoc amounts need a Direct merchant: a merchant of record sells catalog items only.";
  const extras = Object.keys(r).filter((k) => !TOP_FIELDS.has(k));
  $("extras").replaceChildren(...(extras.length ? [el("p", { class: "hint", text: "Other fields of the request:" }), extrasList(r, extras, "")] : []));
  const raw = B.raw !== null;
  for (const fs of document.querySelectorAll("#builder fieldset")) {
    if (fs.querySelector("#json-editor")) continue;
    fs.disabled = raw;
  }
  if (raw) $("json-editor").open = true;
  refreshJsonEditor();
}

/** A select shows a link's odd value (mode "Payment") rather than hiding it. */
function ensureOption(select, value) {
  for (const o of select.querySelectorAll("option[data-odd]")) o.remove();
  if (value === undefined || value === null) return;
  const v = text(value);
  if ([...select.options].some((o) => o.value === v)) return;
  const o = el("option", { value: v, text: `${v} (from the link)`, "data-odd": true });
  select.append(o);
  select.value = v;
}

function refreshJsonEditor() {
  const editor = $("request-json");
  if (document.activeElement !== editor) editor.value = requestBody(2);
  $("curl-text").value = curlCommand();
}

/** `curl` for POST /v1/quote with the builder's request and settings. */
export function curlCommand() {
  const target = new URL("v1/quote", location.href);
  for (const [k, v] of quoteQuery()) if (v) target.searchParams.set(k, v);
  const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  const lines = [`curl -sS -X POST ${quote(target.href)}`, `  -H 'Content-Type: application/json'`];
  if (service.needsKey) lines.push(`  -H "X-API-Key: $CHECKOUT_TAX_API_KEY"`);
  lines.push(`  --data-binary ${quote(requestBody())}`);
  return lines.join(" \\\n");
}

// ---------- quoting ----------

function schedule(delay = 250) {
  clearTimeout(timer);
  if (!B.touched) {
    renderEmpty();
    return;
  }
  $("result").dataset.state = "loading";
  $("result").setAttribute("aria-busy", "true");
  timer = setTimeout(runQuote, delay);
}

/** Quotes now (used at start and after a key was given). */
export function quoteNow() {
  schedule(0);
}

async function runQuote() {
  if (inflight) inflight.abort();
  const controller = new AbortController();
  inflight = controller;
  const mine = ++sequence;
  let answer;
  try {
    answer = await call("v1/quote", { method: "POST", query: quoteQuery(), body: requestBody(), signal: controller.signal });
  } catch {
    return; // aborted by a newer edit
  }
  if (mine !== sequence) return;
  inflight = null;
  $("result").removeAttribute("aria-busy");
  const { status, data } = answer;
  if (status === 200 && data && typeof data === "object") {
    lastQuote = data;
    lastError = null;
    showServiceError(null);
    placeError(null);
    renderQuote(data);
  } else if (status >= 400 && status < 500 && data && data.error && status !== 401) {
    lastQuote = null;
    lastError = data.error;
    showServiceError(null);
    placeError(data.error);
    renderRefusal(data.error);
  } else {
    lastQuote = null;
    placeError(null);
    const why = status === 0 ? answer.failure : status === 401 ? "The service needs an API key." : `The service answered ${status}.`;
    showServiceError(why);
    $("result").dataset.state = "unavailable";
    $("result-body").replaceChildren(el("p", { class: "hint", text: why }));
  }
  onChange();
}

export function showServiceError(message) {
  const banner = $("service-error");
  banner.hidden = !message;
  banner.textContent = message ?? "";
}

function renderEmpty() {
  $("result").dataset.state = "empty";
  mobileTotal(null);
  $("result").removeAttribute("aria-busy");
  $("result-body").replaceChildren(el("p", { class: "hint", text: "Add a line item to see the quote." }));
  placeError(null);
}

/** Finds the field a param names: the exact path, else its nearest parent. */
function fieldFor(param) {
  if (typeof param === "string" && param !== "") {
    let p = param;
    while (p) {
      const hit = document.querySelector(`#builder [data-param~="${p.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"]`);
      if (hit && !hit.closest("[hidden]")) return hit;
      const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
      p = cut > 0 ? p.slice(0, cut) : "";
    }
  }
  return document.querySelector("#builder .slot-top");
}

function placeError(error) {
  for (const old of document.querySelectorAll("#builder [data-testid=error]")) old.remove();
  for (const bad of document.querySelectorAll("#builder [aria-invalid]")) {
    bad.removeAttribute("aria-invalid");
    const ids = (bad.getAttribute("aria-describedby") ?? "").split(" ").filter((x) => x && x !== "refusal");
    if (ids.length) bad.setAttribute("aria-describedby", ids.join(" "));
    else bad.removeAttribute("aria-describedby");
  }
  for (const f of document.querySelectorAll("#builder .has-error")) f.classList.remove("has-error");
  if (!error) return;
  const field = fieldFor(error.param);
  if (field.closest("details")) field.closest("details").open = true;
  const msg = el("p", {
    class: "field-error",
    id: "refusal",
    role: "alert",
    "data-testid": "error",
    "data-code": text(error.code),
    "data-param": error.param === null || error.param === undefined ? "" : text(error.param),
  });
  msg.append(el("strong", { text: "Refused: " }), text(error.message ?? error.code), " ", el("code", { text: text(error.code) }));
  field.classList.add("has-error");
  const control = field.matches("input, select, textarea") ? field : field.querySelector(":scope > input, :scope > select, :scope > .combo > input, :scope > textarea");
  if (control && field.dataset.param !== undefined && !field.classList.contains("line-edit")) {
    control.setAttribute("aria-invalid", "true");
    const ids = (control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    control.setAttribute("aria-describedby", [...ids, "refusal"].join(" "));
  }
  if (field.classList.contains("slot-top")) field.append(msg);
  else if (field.tagName === "LI" && field.classList.contains("line-edit")) field.querySelector(".line-head").after(msg);
  else field.append(msg);
}

function jumpToError() {
  const msg = document.querySelector("#builder [data-testid=error]");
  const field = msg?.parentElement;
  const control = field?.querySelector("input:not([disabled]), select, textarea, button");
  (control ?? msg)?.focus();
}

function renderRefusal(error) {
  $("result").dataset.state = "refused";
  mobileTotal(`Refused: ${text(error.code)} ↓`);
  const go = el("button", { type: "button", class: "link-button", text: "Go to the field" });
  go.addEventListener("click", jumpToError);
  const where = error.param ? el("code", { text: text(error.param) }) : "the request";
  $("result-body").replaceChildren(
    el("div", { class: "refused", "data-testid": "refusal-summary" },
      el("p", { class: "status-line bad" }, el("strong", { text: "The engine refuses this request." })),
      el("p", {}, text(error.message ?? ""), "."),
      el("p", {}, "Code ", el("code", { text: text(error.code) }), " at ", where, ". ", go)),
  );
}

const STATUS_WORDS = {
  calculated: (q) => {
    const j = text(q.tax_jurisdiction);
    const how = q.tax_regime === "inclusive"
      ? "Prices include the tax: the tax shown is the part of each price that is tax."
      : q.tax_regime === "exclusive" ? "Tax is added on top of the prices." : "";
    return `Tax calculated for ${jurisdictionName(j)} (${j}). ${how}`;
  },
  requires_location: () => {
    const country = countryCode();
    if (!country) return "No tax calculated yet: choose the buyer's country.";
    const word = REGION_WORD[country] ?? "region";
    return `${country} tax depends on the ${word}: choose one. Until then no tax is calculated.`;
  },
  not_collecting: (q) => {
    const j = text(q.tax_jurisdiction);
    const regs = service.merchant.tax_registrations;
    const list = Array.isArray(regs) ? (regs.length ? regs.join(", ") : "nowhere") : "";
    return `No tax collected: the merchant is not registered in ${jurisdictionName(j)} (${j})${list ? ` (registered in ${list})` : ""}.`;
  },
  no_tax_data: (q) => {
    const j = text(q.tax_jurisdiction);
    const place = j ? `${jurisdictionName(j)} (${j})` : "this place";
    return `No tax calculated: the tax data has no rate in force for ${place} on ${q.tax_date ?? B.at}.`;
  },
};

function money(testid, amount, currency, labelText) {
  return el("div", { class: `amount a-${testid}` },
    el("dt", { text: labelText }),
    el("dd", { "data-testid": testid, "data-value": text(amount), text: currency === null || currency === undefined ? text(amount) : formatAmount(amount, currency) }));
}

function renderQuote(q) {
  $("result").dataset.state = "quote";
  const status = text(q.tax_status);
  const words = (STATUS_WORDS[status] ?? (() => `Tax status: ${status}.`))(q);
  const statusLine = el("p", { class: `status-line ${status === "calculated" ? "ok" : "warn"}`, "data-testid": "tax_status", "data-value": status },
    el("strong", { text: status.replaceAll("_", " ") }), " — ", words);
  const parts = [statusLine];
  if (status === "requires_location") {
    const which = countryCode() ? "buyer_region" : "buyer_country";
    const go = el("button", { type: "button", class: "link-button", text: countryCode() ? "Choose it" : "Choose the country" });
    go.addEventListener("click", () => $(which).focus());
    statusLine.append(" ", go);
  }
  const cur = q.currency;
  const totals = el("dl", { class: "totals" },
    money("amount_subtotal", q.amount_subtotal, cur, "Subtotal"));
  if (q.amount_discount !== undefined) totals.append(money("amount_discount", q.amount_discount, cur, "Discount"));
  totals.append(money("amount_tax", q.amount_tax, cur, q.tax_regime === "inclusive" ? "Tax (included)" : "Tax"),
    money("amount_total", q.amount_total, cur, "Total"));
  parts.push(totals);
  const meta = el("dl", { class: "meta" });
  const add = (k, v) => { if (v !== undefined && v !== null && v !== "") meta.append(el("dt", { text: k }), el("dd", { text: text(v) })); };
  add("Currency", cur ?? "none (setup)");
  add("Jurisdiction", q.tax_jurisdiction ? `${jurisdictionName(q.tax_jurisdiction)} (${q.tax_jurisdiction})` : null);
  add("Regime", q.tax_regime);
  add("Tax date", q.tax_date ?? B.at);
  add("Tax data version", q.tax_data_version);
  add("Mode", q.mode);
  add("Client reference", q.client_reference_id);
  parts.push(meta);
  const items = Array.isArray(q.line_items) ? q.line_items : [];
  if (items.length) {
    parts.push(el("h3", { text: "Line items" }));
    parts.push(el("ol", { class: "qlines" }, ...items.map((line, i) => renderQuoteLine(line, i, cur))));
  }
  if (Array.isArray(q.discounts) && q.discounts.length) {
    parts.push(el("p", { class: "hint", text: `Discounts: ${q.discounts.map((d) => `${d.coupon ?? ""}${d.promotion_code ? ` (${d.promotion_code})` : ""} ${formatAmount(d.amount, cur)}`).join(", ")}` }));
  }
  $("result-body").replaceChildren(...parts);
  mobileTotal(`Total ${formatAmount(q.amount_total, cur)} · ${status.replaceAll("_", " ")} ↓`);
}

/** The phone layout's shortcut to the quote, below the form (no test hooks: the totals carry those). */
function mobileTotal(textValue) {
  const link = $("mobile-total");
  link.hidden = !textValue;
  link.textContent = textValue ?? "";
}

function renderQuoteLine(line, i, currency) {
  const product = productById(line.product_id);
  const name = line.description || product?.name || line.product_id || (line.price_id ? line.price_id : "Ad hoc amount");
  const ids = [line.price_id, line.product_id].filter(Boolean).join(" · ");
  const head = el("div", { class: "qline-head" },
    el("strong", { text: text(name) }),
    el("span", { class: "muted", text: ` ${text(line.quantity)} × ${formatAmount(line.unit_amount, currency)}${line.tax_category ? ` · ${line.tax_category}` : ""}${ids ? ` · ${ids}` : ""}` }));
  const amounts = el("dl", { class: "line-amounts" },
    money("amount_subtotal", line.amount_subtotal, currency, "Base"));
  if (line.amount_discount !== undefined) amounts.append(money("amount_discount", line.amount_discount, currency, "Discount"));
  amounts.append(money("amount_tax", line.amount_tax, currency, "Tax"), money("amount_total", line.amount_total, currency, "Total"));
  const taxes = Array.isArray(line.taxes) ? line.taxes : [];
  const comps = taxes.length
    ? el("ul", { class: "components", "aria-label": `Tax components of line ${i + 1}` }, ...taxes.map((t, k) => el("li", { "data-testid": `tax-${k}`, "data-value": text(t.amount), "data-rate": text(t.rate) },
        el("span", { class: "c-name", text: `${text(t.name)} ${text(t.jurisdiction)}` }),
        el("span", { class: "c-rate", text: formatRate(text(t.rate)) }),
        t.taxable_amount !== undefined ? el("span", { class: "c-taxable muted", text: `on ${formatAmount(t.taxable_amount, currency)}` }) : null,
        el("span", { class: "c-amount", text: formatAmount(t.amount, currency) }),
        t.taxability_reason ? el("span", { class: "c-reason muted", text: text(t.taxability_reason).replaceAll("_", " ") }) : null)))
    : el("p", { class: "hint", text: line.taxability_reason ? `No tax: ${text(line.taxability_reason).replaceAll("_", " ")}.` : "No tax on this line." });
  return el("li", { class: "qline", "data-testid": `line-${i}` }, head, amounts, comps);
}

// ---------- wiring ----------

/** Wires the form's controls; `changedHook` runs after every change (URL sync). */
export function initBuilder(changedHook) {
  onChange = changedHook;
  const settings = ["merchant_type", "rounding_level", "rounding_mode"];
  for (const s of settings) {
    $(s).addEventListener("change", () => {
      B[s] = $(s).value;
      changed({ rerender: s === "merchant_type" });
    });
  }
  $("at").addEventListener("change", () => {
    B.at = $("at").value;
    changed();
  });
  $("mode").addEventListener("change", () => {
    B.request.mode = $("mode").value;
    changed({ rerender: true });
  });
  $("presentation").addEventListener("change", () => {
    setOrDrop(B.request, "presentation", $("presentation").value);
    changed();
  });
  for (const f of TEXT_FIELDS) {
    $(f).addEventListener("input", () => {
      setOrDrop(B.request, f, $(f).value);
      changed();
    });
  }
  combobox($("buyer_country"), {
    options: countryOptions,
    onPick: (o) => setCountry(o.value),
    onFree: (t) => setCountry(t),
    display: countryDisplay,
  });
  combobox($("buyer_region"), {
    options: regionOptions,
    onPick: (o) => setRegion(o.value),
    onFree: (t) => setRegion(t),
    display: regionDisplay,
  });
  combobox($("add-item"), {
    options: catalogOptions,
    onPick: (o) => {
      if (!Array.isArray(B.request.line_items)) B.request.line_items = [];
      const line = {};
      pickItem(line, o);
      line.quantity = 1;
      B.request.line_items.push(line);
      changed({ rerender: true });
    },
    display: () => "",
  });
  $("add-adhoc").addEventListener("click", () => {
    if (!Array.isArray(B.request.line_items)) B.request.line_items = [];
    const other = B.request.line_items.map((l) => l && (l.ad_hoc_currency || priceById(l.price_id)?.currency)).find(Boolean);
    B.request.line_items.push({ ad_hoc_currency: String(other ?? "usd").toUpperCase(), quantity: 1 });
    changed({ rerender: true });
    $(`line-${B.request.line_items.length - 1}-ad_hoc_amount`)?.focus();
  });
  $("discount-kind").addEventListener("change", () => {
    discountKind = $("discount-kind").value;
    renderDiscountKind();
    if ($("discount-code").value.trim() === "") {
      discountHint(discountShown().odd);
      return;
    }
    setDiscount();
    changed();
  });
  $("discount-code").addEventListener("input", () => {
    setDiscount();
    changed();
  });
  $("apply-json").addEventListener("click", () => applyJson($("request-json").value));
}

function setCountry(value) {
  const before = countryCode();
  setOrDrop(B.request, "buyer_country", value.trim());
  if (countryCode() !== before) delete B.request.buyer_region;
  changed({ rerender: false });
  $("buyer_region").value = regionDisplay();
  renderRegions();
}

function setRegion(value) {
  setOrDrop(B.request, "buyer_region", value.trim());
  changed();
}

/** Takes a request from the JSON editor: an object fills the form, anything else is sent as is. */
export function applyJson(textValue) {
  loadRequest(textValue);
  B.touched = true;
  renderForm();
  schedule(0);
  onChange();
}

/** Sets the builder's request from a link's or editor's text. */
export function loadRequest(textValue) {
  let value;
  try {
    value = JSON.parse(textValue, (_k, v, ctx) =>
      typeof v === "number" && ctx && /^-?\d+$/.test(ctx.source) && !Number.isSafeInteger(v) ? BigInt(ctx.source) : v);
  } catch {
    value = undefined;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    B.request = value;
    B.raw = null;
  } else {
    B.raw = textValue;
  }
}

/** Resets the builder to an empty payment session. */
export function resetBuilder() {
  B.request = { mode: "payment", line_items: [] };
  B.raw = null;
  B.touched = false;
  lastQuote = null;
  renderForm();
  schedule();
  onChange();
}

export { schedule as scheduleQuote, lastError };
