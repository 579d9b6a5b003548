// Amounts are integers of minor units. They are never turned into floats:
// JSON is parsed with the source text of each number kept (so an amount past
// 2^53 arrives as a BigInt), and amounts are formatted from their digits.

/**
 * ISO 4217 minor-unit exponents that are not 2 (from the ISO table the engine
 * uses, iso_currency's isodata.tsv); `null` marks codes with no minor unit,
 * which the engine refuses.
 */
const EXPONENTS = {
  BHD: 3, BIF: 0, CLF: 4, CLP: 0, DJF: 0, GNF: 0, IQD: 3, ISK: 0, JOD: 3, JPY: 0,
  KMF: 0, KRW: 0, KWD: 3, LYD: 3, OMR: 3, PYG: 0, RWF: 0, TND: 3, UGX: 0, UYI: 0,
  UYW: 4, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  XAG: null, XAU: null, XBA: null, XBB: null, XBC: null, XBD: null, XDR: null,
  XPD: null, XPT: null, XSU: null, XTS: null, XUA: null, XXX: null,
};

/** The number of decimals of a currency code (2 unless ISO says otherwise). */
export function exponent(currency) {
  const code = String(currency ?? "").toUpperCase();
  return Object.hasOwn(EXPONENTS, code) ? EXPONENTS[code] : 2;
}

/** Groups the digits of a non-negative integer string by thousands. */
function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Formats an integer amount of minor units in its currency's own decimals:
 * `999, "usd"` -> `9.99 USD`, `1500, "JPY"` -> `1,500 JPY`,
 * `1000, "KWD"` -> `1.000 KWD`. Accepts a number, a BigInt or a digit string.
 */
export function formatAmount(amount, currency) {
  const text = String(amount);
  if (!/^-?\d+$/.test(text)) return text;
  const negative = text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  const exp = exponent(currency) ?? 0;
  const padded = digits.padStart(exp + 1, "0");
  const whole = padded.slice(0, padded.length - exp);
  const fraction = exp > 0 ? "." + padded.slice(padded.length - exp) : "";
  const code = currency ? " " + String(currency).toUpperCase() : "";
  return `${negative ? "-" : ""}${group(whole)}${fraction}${code}`;
}

/** Formats a percent rate given as the engine's exact decimal string. */
export function formatRate(rate) {
  return `${rate}%`;
}

/**
 * Parses JSON keeping integers exact: a safe integer stays a number, a larger
 * one becomes a BigInt. Decimals (rates are strings anyway) stay numbers.
 */
export function parseJson(text) {
  return JSON.parse(text, (_key, value, context) => {
    if (typeof value === "number" && context && typeof context.source === "string") {
      const src = context.source;
      if (/^-?\d+$/.test(src) && !Number.isSafeInteger(value)) return BigInt(src);
    }
    return value;
  });
}

/** Serialises JSON, writing BigInts as plain integers. */
export function stringifyJson(value, space) {
  return JSON.stringify(
    value,
    (_key, v) => (typeof v === "bigint" ? JSON.rawJSON(v.toString()) : v),
    space,
  );
}

/** An integer typed by a person: a number when safe, a BigInt past 2^53. */
export function integerFromText(text) {
  const t = String(text).trim();
  if (!/^-?\d+$/.test(t)) return null;
  const big = BigInt(t);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(big)
    : big;
}
