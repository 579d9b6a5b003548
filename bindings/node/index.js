'use strict';
// checkout-tax for Node.js: the Rust engine in process.
//
// The addon takes and returns JSON text (the core's own bytes-in/bytes-out
// entry points); this file turns values into text and text into values.
// Crossing the boundary as text costs a few microseconds per quote; building
// JS objects field by field through serde cost ten times more (bench.js).
// `quote` gets the quote in a compact form instead of JSON and builds the
// object with the generated quote-builder.js, the cheapest way measured.
//
// Precision: integers outside Number.isSafeInteger come back as BigInt, and
// BigInt is accepted anywhere in a request, catalog or response.

const native = require('./checkout-tax.node');

/**
 * The generated quote builder (quote-builder.js, which `npm install` and
 * `npm run build` write from the addon's output shapes), or null when it
 * is missing or was generated for other shapes than this addon's: `quote`
 * then parses the JSON answer, slower but the same.
 */
const builder = (() => {
  let b;
  try {
    b = require('./quote-builder.js');
  } catch {
    return null;
  }
  return b.SHAPES === native.outputShapes() ? b : null;
})();

/** Every error code the engine can give, in the spec's order. */
const ERROR_CODES = Object.freeze(native.errorCodes());

/** A request the engine refused: `code`, `param` and `message` as in the spec. */
class RequestError extends Error {
  constructor(code, message, param = null) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
    this.param = param;
  }

  /** The spec's error object, `{error: {code, message, param}}`. */
  toJSON() {
    return { error: { code: this.code, message: this.message, param: this.param } };
  }
}

/**
 * A malformed catalog, merchant or tax table: `code` is
 * `invalid_tax_data` or `invalid_configuration`, `line` the 1-based line of
 * the tax file, `param` the input (`catalog`, `merchant`) or its field.
 */
class DataError extends Error {
  constructor(code, message, param = null, line = null) {
    super(message);
    this.name = 'DataError';
    this.code = code;
    this.param = param;
    this.line = line;
  }
}

// ---------------------------------------------------------------- errors

/** An exception from the addon (a bad engine input, or a caught panic). */
function fromNative(e) {
  let payload = null;
  if (e && typeof e.message === 'string' && e.message.charCodeAt(0) === 123 /* { */) {
    try {
      payload = JSON.parse(e.message);
    } catch {
      payload = null;
    }
  }
  if (!payload || typeof payload.code !== 'string') return e;
  if (payload.request === true) return new RequestError(payload.code, payload.message, payload.param ?? null);
  if (payload.code === 'internal') {
    const err = new Error(payload.message);
    err.code = 'internal';
    return err;
  }
  return new DataError(payload.code, payload.message, payload.param ?? null, payload.line ?? null);
}

/** The RequestError of an `{"error": {...}}` text. */
function refusal(text) {
  const { error } = JSON.parse(text.charCodeAt(0) === 33 ? text.slice(1) : text);
  return new RequestError(error.code, error.message, error.param ?? null);
}

function isRefusal(text) {
  // Only for quote texts: a quote has no top-level `error` and starts
  // with `{"mode"` (or `!{"mode"`); a refusal is `{"error": ...}` (or
  // `!{"error": ...}` when its message quotes a long number).
  return text.startsWith('{"error"') || text.startsWith('!{"error"');
}

// ------------------------------------------------------------ JSON text

const hasBigIntToJSON = () => typeof BigInt.prototype.toJSON === 'function';

/**
 * JSON text of a value, with BigInt written as exact integers. The fast
 * path is JSON.stringify; a BigInt anywhere (which it refuses) takes the
 * exact writer below.
 */
function stringify(value) {
  if (!hasBigIntToJSON()) {
    try {
      return JSON.stringify(value);
    } catch (e) {
      if (!(e instanceof TypeError) || !/BigInt/i.test(e.message)) throw e;
    }
  }
  return write(value, '', new Set());
}

/** JSON.stringify's rules, plus BigInt as digits (before any toJSON). */
function write(value, key, seen) {
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') {
    value = value.toJSON(key);
  }
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return JSON.stringify(value);
  }
  if (seen.has(value)) throw new TypeError('Converting circular structure to JSON');
  seen.add(value);
  let out;
  if (Array.isArray(value)) {
    const parts = [];
    for (let i = 0; i < value.length; i++) {
      const item = write(value[i], String(i), seen);
      parts.push(item === undefined ? 'null' : item);
    }
    out = `[${parts.join(',')}]`;
  } else {
    const parts = [];
    for (const k of Object.keys(value)) {
      const item = write(value[k], k, seen);
      if (item !== undefined) parts.push(`${JSON.stringify(k)}:${item}`);
    }
    out = `{${parts.join(',')}}`;
  }
  seen.delete(value);
  return out;
}

const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Parses the engine's JSON text; integers outside the safe range become
 * BigInt (exact). Text without a 16-digit run, the usual case, is plain
 * JSON.parse. (The addon marks its quote texts that have one with a
 * leading `!`, so quotes skip even that scan.) Otherwise each such integer is first replaced by a marked
 * string, with a mark that occurs nowhere in the text, so that no string
 * of the caller's can be taken for one.
 */
function parse(text) {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  return parseBig(text);
}

/** `parse` for text known to have a 16-digit run. */
function parseBig(text) {
  let mark = 'checkout-tax-bigint:';
  for (let n = 1; text.includes(mark); n++) mark = `checkout-tax-bigint-${n}:`;
  let found = false;
  const marked = text.replace(TOKEN, (token) => {
    if (token.charCodeAt(0) === 34 /* " */ || token.length < 16 || /[.eE]/.test(token)) {
      return token;
    }
    if (Number.isSafeInteger(Number(token))) return token;
    found = true;
    return `"${mark}${token}"`;
  });
  if (!found) return JSON.parse(text);
  return JSON.parse(marked, (_key, value) =>
    typeof value === 'string' && value.startsWith(mark) ? BigInt(value.slice(mark.length)) : value,
  );
}

function isBytes(value) {
  return value instanceof Uint8Array;
}

/** A request or response as JSON text, or a RequestError if it has none. */
function requestText(value, what) {
  if (typeof value === 'string') return value;
  let text;
  try {
    text = stringify(value);
  } catch (e) {
    throw new RequestError('invalid_request', `the ${what} is not JSON: ${e.message}`);
  }
  if (text === undefined) {
    throw new RequestError('invalid_request', `the ${what} is not JSON: ${describe(value)}`);
  }
  return text;
}

function describe(value) {
  return value === undefined ? 'undefined' : typeof value;
}

// ----------------------------------------------------------------- dates

/** The `at` option as text (`YYYY-MM-DD`), or undefined for today in UTC. */
function dateOf(options) {
  const at = typeof options === 'string' || options instanceof Date ? options : options?.at;
  if (at === undefined || at === null) return undefined;
  if (typeof at === 'string') return at;
  if (at instanceof Date) {
    // A JS Date is an instant: its UTC calendar day, as `today` is.
    return Number.isNaN(at.getTime()) ? 'Invalid Date' : at.toISOString().slice(0, 10);
  }
  try {
    return String(at);
  } catch {
    return Object.prototype.toString.call(at);
  }
}

// ---------------------------------------------------------------- engine

/** A verify argument as text or bytes; '' (no JSON) when it has no JSON form. */
function verifyInput(value, what) {
  if (isBytes(value)) return asBuffer(value);
  try {
    return requestText(value, what);
  } catch {
    return '';
  }
}

function asBuffer(bytes) {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Text of a catalog or merchant given as an object or JSON text. */
function configText(value, what) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isBytes(value)) return Buffer.from(value).toString('utf8');
  try {
    const text = stringify(value);
    if (text !== undefined) return text;
  } catch (e) {
    throw new DataError('invalid_configuration', `${what}: not JSON: ${e.message}`, what);
  }
  throw new DataError('invalid_configuration', `${what}: not JSON: ${describe(value)}`, what);
}

/**
 * Quotes checkout sessions with one catalog, merchant and tax table,
 * parsed once when it is built. Safe to use from any worker thread (each
 * thread builds its own).
 */
class Engine {
  #native;

  /**
   * @param {{catalog?: object|string, merchant?: object|string, taxData?: string}} [options]
   * @throws {DataError} naming the line (tax data) or the input and field
   */
  constructor(options = {}) {
    const { catalog, merchant, taxData } = options ?? {};
    const catalogText = configText(catalog, 'catalog');
    const merchantText = configText(merchant, 'merchant');
    let tableText;
    if (taxData !== undefined && taxData !== null) {
      if (typeof taxData === 'string') tableText = taxData;
      else if (isBytes(taxData)) tableText = Buffer.from(taxData).toString('utf8');
      else throw new TypeError('taxData must be CSV text');
    }
    try {
      this.#native = native.newEngine(catalogText, merchantText, tableText);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * The quote of a create-session request (an object, JSON text or bytes).
   * @throws {RequestError} when the engine refuses it
   */
  quote(request, options) {
    if (builder === null) {
      const out = this.#quoteText(request, options);
      return out.charCodeAt(0) === 33 /* ! */ ? parseBig(out.slice(1)) : JSON.parse(out);
    }
    // The compact answer (src/compact.rs) into object literals: several
    // times cheaper than JSON.parse of the same quote.
    const out = this.#ask(request, options, native.quoteCompact, native.quoteCompactBytes);
    if (out.charCodeAt(0) === 35 /* # */) return builder.build(out);
    throw refusal(out);
  }

  /**
   * The quote of a request given as JSON text (or bytes), as compact JSON
   * text: the engine's own bytes, exactly as `checkout-tax batch` writes them.
   * @throws {RequestError} when the engine refuses it
   */
  quoteJson(text, options) {
    const out = this.#quoteText(text, options);
    return out.charCodeAt(0) === 33 /* ! */ ? out.slice(1) : out;
  }

  /** The addon's answer, `!`-marked when it may hold big integers; throws refusals. */
  #quoteText(request, options) {
    const out = this.#ask(request, options, native.quoteText, native.quoteBytes);
    if (isRefusal(out)) throw refusal(out);
    return out;
  }

  /**
   * The addon's answer to one request: `ofText` given its JSON text,
   * `ofBytes` given bytes (both functions of the addon over the engine's
   * handle), with the `at` option; errors thrown as the package's classes.
   */
  #ask(request, options, ofText, ofBytes) {
    const at = dateOf(options);
    try {
      return isBytes(request)
        ? ofBytes(this.#native, asBuffer(request), at)
        : ofText(this.#native, requestText(request, 'request'), at);
    } catch (e) {
      throw e instanceof RequestError ? e : fromNative(e);
    }
  }

  /**
   * Recomputes `request` and compares the outcome with a service's
   * `response` (its `{success, message, data: {session}}` envelope, a bare
   * session, or an error response): `{match, kind?, mismatches, error?,
   * quote?}`. A refusal is reported, never thrown.
   * @throws {RequestError} only for a bad `at` (`invalid_date`)
   */
  verify(request, response, options) {
    const at = dateOf(options);
    // A request that has no JSON form is sent as no bytes: the engine's
    // own `invalid_request` refusal, reported like any other.
    const requestJson = verifyInput(request, 'request');
    const responseJson = verifyInput(response, 'response');
    let out;
    try {
      out = native.verifyText(this.#native, requestJson, responseJson, at);
    } catch (e) {
      throw fromNative(e);
    }
    return parse(out);
  }

  /**
   * Quotes every request (objects, JSON texts or bytes) with the same
   * date: a quote or `{error: {code, message, param}}` each, in order.
   * @throws {RequestError} only for a bad `at` (`invalid_date`)
   */
  quoteMany(requests, options) {
    if (requests === null || typeof requests !== 'object' || !(Symbol.iterator in requests)) {
      throw new TypeError('quoteMany takes an array of requests');
    }
    const at = dateOf(options);
    const items = Array.from(requests);
    if (items.some(isBytes)) return items.map((r) => this.#answerOne(r, at));
    const texts = items.map((r) => {
      try {
        return requestText(r, 'request');
      } catch {
        return ''; // the engine refuses it: `invalid_request`
      }
    });
    let out;
    try {
      out = native.quoteManyText(this.#native, texts, at);
    } catch (e) {
      throw fromNative(e);
    }
    return parse(out);
  }

  #answerOne(request, at) {
    try {
      return this.quote(request, at === undefined ? undefined : { at });
    } catch (e) {
      if (e instanceof RequestError && e.code !== 'invalid_date') return e.toJSON();
      throw e;
    }
  }

  /**
   * The tax rates in force at `at` for the jurisdictions (all when none):
   * `{at, rates: [{jurisdiction, regime, tax_name, category, rate,
   * valid_from, valid_to, source}]}`, as `checkout-tax rates --format json`.
   * @throws {RequestError} `invalid_date` (param `at`) or `invalid_request`
   *   (param `jurisdictions[i]`)
   */
  rates(options = {}) {
    const jurisdictions = options?.jurisdictions ?? [];
    if (typeof jurisdictions === 'string' || !(Symbol.iterator in Object(jurisdictions))) {
      throw new TypeError('rates: jurisdictions must be an array of codes such as "DE"');
    }
    const codes = Array.from(jurisdictions, (j) => String(j));
    let out;
    try {
      out = native.ratesText(this.#native, codes, dateOf(options));
    } catch (e) {
      throw fromNative(e);
    }
    return parse(out);
  }
}

module.exports = {
  Engine,
  RequestError,
  DataError,
  ERROR_CODES,
  parseJson: parse,
  stringifyJson: stringify,
};
