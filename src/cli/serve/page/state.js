// What the page knows about the service (its catalog, its merchant, which
// countries tax by region) and the quote builder's current request. Plain
// data shared by the tabs; each tab renders itself from it.

/** Today in UTC, as the service defaults `at`. */
export function todayUtc() {
  return new Date().toISOString().slice(0, 10);
}

/** True for a well-formed `YYYY-MM-DD` that names a real day. */
export function isDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text ?? "")) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** `YYYY-MM-DD` plus `days` (negative to go back). */
export function addDays(text, days) {
  const d = new Date(`${text}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export const service = {
  /** GET /v1/catalog: {products, prices}, and {coupons, promotion_codes} when it lists them. */
  catalog: { products: [], prices: [] },
  /** GET /v1/config as the service sent it. */
  config: null,
  /** The loaded merchant's settings (defaults for the builder). */
  merchant: { merchant_type: "merchant_of_record", rounding_level: "line", rounding_mode: "half_up", tax_registrations: null },
  /** Countries with region rows in the tax data ("US" -> Set of region codes). */
  regionCountries: new Map([["US", new Set()], ["CA", new Set()]]),
  /** Every jurisdiction code of the tax data, as far as the page has seen. */
  jurisdictions: new Set(),
};

export const builder = {
  /** The request object (anything a link carried, unknown fields included). */
  request: { mode: "payment", line_items: [] },
  /** The link's request text when it is not a JSON object: sent as is. */
  raw: null,
  at: todayUtc(),
  merchant_type: "merchant_of_record",
  rounding_level: "line",
  rounding_mode: "half_up",
  /** False until a link or the person gives the builder something to quote. */
  touched: false,
};

/** The query of POST /v1/quote for the builder's settings, as [name, value] pairs. */
export function quoteQuery() {
  return [
    ["at", builder.at],
    ["merchant_type", builder.merchant_type],
    ["rounding_level", builder.rounding_level],
    ["rounding_mode", builder.rounding_mode],
  ];
}

/** Looks a price up in the catalog. */
export function priceById(id) {
  return service.catalog.prices.find((p) => p && p.id === id);
}

/** Looks a product up in the catalog. */
export function productById(id) {
  return service.catalog.products.find((p) => p && p.id === id);
}
