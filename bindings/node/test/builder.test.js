'use strict';
// quote(object) builds the quote from the addon's compact answer with the
// generated quote-builder.js instead of JSON.parse. These tests hold it to
// the JSON answer: the file is what the generator writes for this addon's
// shapes (so a field added to, removed from or moved in the core's
// json_object! lists fails here until `npm run gen`), and for every golden
// case, every body of the hostile corpus and randomized requests, the built
// quote written back as JSON (BigInt as exact digits) is quoteJson's text
// byte for byte: the same keys in the same order, the same values, BigInt
// exactly where the JSON path gives BigInt.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { Engine, RequestError, parseJson, stringifyJson } = require('..');
const native = require('../checkout-tax.node');
const builder = require('../quote-builder.js');
const { generate, OUT } = require('../scripts/gen-builder.js');
const { AT, goldenCases, goldenMerchant, readRepo, EXAMPLE_CATALOG, FIXTURE_CATALOG, FIXTURE_TABLE } = require('../testing/common');

test('quote-builder.js is what the generator writes for the addon\'s shapes', () => {
  assert.equal(
    fs.readFileSync(OUT, 'utf8'),
    generate(native.outputShapes()),
    'quote-builder.js is stale: run `npm run gen` in bindings/node',
  );
  // index.js uses the builder only when its shapes are the addon's.
  assert.equal(builder.SHAPES, native.outputShapes());
});

test('the shapes are the quote\'s, in JSON order', () => {
  const [quote] = JSON.parse(native.outputShapes());
  assert.equal(quote.name, 'Quote');
  const engine = new Engine({ catalog: EXAMPLE_CATALOG });
  const text = engine.quoteJson('{"mode":"payment","line_items":[{"price_id":"price_widget_eur","quantity":1}],"buyer_country":"DE"}', { at: AT });
  assert.deepEqual(quote.fields.map(([name]) => name), Object.keys(JSON.parse(text)));
});

/**
 * quote(request) against quoteJson(text) for the same request: the same
 * JSON text back (so key order, numbers and BigInts all agree) and an
 * equal value, or the same RequestError from both.
 */
function sameAnswer(engine, request, at, what) {
  const text = typeof request === 'string' ? request : stringifyJson(request);
  let json;
  let thrown;
  try {
    json = engine.quoteJson(text, { at });
  } catch (e) {
    thrown = e;
  }
  if (thrown) {
    assert.ok(thrown instanceof RequestError, `${what}: quoteJson threw ${thrown}`);
    for (const input of inputs(request, text)) {
      assert.throws(
        () => engine.quote(input, { at }),
        (e) => e instanceof RequestError && e.code === thrown.code && e.param === thrown.param && e.message === thrown.message,
        `${what}: quote does not refuse as quoteJson does (${thrown.code})`,
      );
    }
    return 'refused';
  }
  for (const input of inputs(request, text)) {
    const quote = engine.quote(input, { at });
    assert.equal(stringifyJson(quote), json, `${what}: the built quote is not quoteJson's JSON`);
    assert.deepEqual(quote, parseJson(json), `${what}: the built quote is not the parsed JSON`);
  }
  return 'quoted';
}

/** The request as given, as JSON text, and as bytes. */
function inputs(request, text) {
  return [request, text, Buffer.from(text)];
}

test('every golden case builds the quote of its JSON', () => {
  let quoted = 0;
  for (const c of goldenCases()) {
    const engine = new Engine({ catalog: c.catalog ?? FIXTURE_CATALOG, merchant: goldenMerchant(c), taxData: c.tax_data ?? FIXTURE_TABLE });
    if (sameAnswer(engine, c.request, c.at, c.name) === 'quoted') quoted++;
  }
  assert.ok(quoted >= 15, `only ${quoted} golden quotes`);
});

test('every body of the hostile corpus builds the quote of its JSON, or the same refusal', () => {
  const TABLE = readRepo('tests', 'corpus', 'small_rates.csv');
  const BIG_CATALOG = readRepo('tests', 'corpus', 'big_catalog.json');
  const engines = {
    'mor/example': new Engine({ catalog: EXAMPLE_CATALOG, taxData: TABLE }),
    'direct/example': new Engine({ catalog: EXAMPLE_CATALOG, taxData: TABLE, merchant: { merchant_type: 'direct' } }),
    'mor/big': new Engine({ catalog: BIG_CATALOG, taxData: TABLE }),
    'direct/big': new Engine({ catalog: BIG_CATALOG, taxData: TABLE, merchant: { merchant_type: 'direct' } }),
  };
  const lines = zlib
    .gunzipSync(fs.readFileSync(path.join(__dirname, 'data', 'hostile.ndjson.gz')))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const seen = { quoted: 0, refused: 0 };
  for (const [i, line] of lines.entries()) {
    const engine = engines[`${line.seller}/${line.catalog}`];
    assert.ok(engine, `hostile line ${i + 1}: no engine ${line.seller}/${line.catalog}`);
    seen[sameAnswer(engine, line.body, AT, `hostile line ${i + 1}`)]++;
  }
  assert.ok(seen.quoted > 0 && seen.refused > 0, JSON.stringify(seen));
});

// ------------------------------------------------------------ randomized

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Text that stresses the compact form: quotes, backslashes, controls,
// digits and the form's own marks, Latin-1, BMP and astral characters
// (two UTF-16 units), long runs.
const PIECES = ['a', 'order', '"', '\\', '\n', '\u0001', '\u001f', '~', '_', ',', ':', '#', '!', '12', '9007199254740993', 'é', 'ÿ', 'Ω', '€', '中文', '😀', '𝄞', ' ', 'x'.repeat(40)];

function randomText(r, max = 6) {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}

const pick = (r, list) => list[Math.floor(r() * list.length)];

// Amounts at the edges: small, around 2^53, up to 2^63 - 1 (as BigInt
// past the safe range, so the request keeps every digit).
function randomAmount(r) {
  switch (Math.floor(r() * 6)) {
    case 0:
      return 0;
    case 1:
      return Math.floor(r() * 100000);
    case 2:
      return 2 ** 53 - 1 - Math.floor(r() * 3);
    case 3:
      return 2n ** 53n + BigInt(Math.floor(r() * 5));
    case 4:
      return 2n ** 63n - 1n - BigInt(Math.floor(r() * 1000));
    default:
      return Math.floor(r() * 2 ** 40);
  }
}

// Lines of one request mostly share a currency (mixed ones are refused),
// and recurring prices go to subscriptions: most cases must be quotes.
const BY_CURRENCY = {
  usd: { prices: ['price_xxx'], recurring: ['price_pro_monthly', 'price_pro_yearly'], products: ['prod_widget'] },
  eur: { prices: ['price_widget_eur', 'price_ebook_eur'], recurring: ['price_pro_monthly_eur'], products: ['prod_ebook'] },
  cad: { prices: ['price_widget_cad'], recurring: [], products: [] },
  jpy: { prices: ['price_widget_jpy'], recurring: [], products: [] },
  kwd: { prices: [], recurring: [], products: [] },
};
const LOCATIONS = [['DE'], ['FR'], ['US', 'CA'], ['US', 'WA'], ['US'], ['CA', 'QC'], ['CA', 'ON'], ['JP'], ['GB'], [], ['ZZ']];
const DISCOUNTS = [{ coupon: 'co_summer' }, { coupon: 'co_5usd' }, { coupon: 'co_ebooks' }, { promotion_code: 'SUMMER' }, { promotion_code: 'summer' }, { coupon: 'co_retired' }];

function randomLine(r, currency, mode) {
  const family = BY_CURRENCY[currency];
  const line = {};
  const which = r();
  const prices = mode === 'subscription' ? family.recurring : family.prices;
  if (which < 0.02) line.price_id = pick(r, ['price_legacy', 'price_missing', 'price_widget_eur']);
  else if (which < 0.5 && prices.length > 0) line.price_id = pick(r, prices);
  else if (which < 0.65 && family.products.length > 0 && mode !== 'subscription') line.product_id = pick(r, family.products);
  else {
    line.ad_hoc_amount = randomAmount(r);
    line.ad_hoc_currency = r() < 0.9 ? currency : currency.toUpperCase();
  }
  line.quantity = r() < 0.95 ? 1 + Math.floor(r() * 5) : pick(r, [0, 1000000, 2 ** 31]);
  if (r() < 0.4) line.description = randomText(r);
  return line;
}

function randomRequest(r) {
  const request = { mode: r() < 0.85 ? 'payment' : pick(r, ['setup', 'subscription']) };
  const currency = pick(r, Object.keys(BY_CURRENCY));
  if (request.mode !== 'setup' || r() < 0.1) {
    request.line_items = Array.from({ length: 1 + Math.floor(r() * 5) }, () => randomLine(r, currency, request.mode));
  }
  const [country, region] = pick(r, LOCATIONS);
  if (country) request.buyer_country = country;
  if (region) request.buyer_region = region;
  if (r() < 0.5) request.client_reference_id = randomText(r, 4);
  if (r() < 0.2) request.discounts = [pick(r, DISCOUNTS)];
  return request;
}

test('randomized requests build the quote of their JSON', () => {
  const engines = [
    new Engine({ catalog: EXAMPLE_CATALOG, merchant: { merchant_type: 'direct' } }),
    new Engine({ catalog: EXAMPLE_CATALOG, merchant: { merchant_type: 'direct', tax_registrations: ['DE', 'US-CA', 'CA'] } }),
    new Engine({ catalog: EXAMPLE_CATALOG, merchant: { merchant_type: 'direct', rounding_level: 'document', rounding_mode: 'half_even' } }),
  ];
  const seed = Number(process.env.CHECKOUT_TAX_SEED ?? 14);
  const cases = Number(process.env.CHECKOUT_TAX_CASES ?? 1500);
  const r = rng(seed);
  const seen = { quoted: 0, refused: 0 };
  let descriptions = 0;
  let bigints = 0;
  let discounted = 0;
  for (let i = 0; i < cases; i++) {
    const request = randomRequest(r);
    const engine = engines[i % engines.length];
    const outcome = sameAnswer(engine, request, AT, `seed ${seed}, case ${i}: ${stringifyJson(request)}`);
    seen[outcome]++;
    if (outcome === 'quoted') {
      const q = engine.quote(request, { at: AT });
      if (q.line_items?.some((l) => 'description' in l)) descriptions++;
      if (typeof q.amount_total === 'bigint') bigints++;
      if (q.discounts.length > 0) discounted++;
    }
  }
  // The generator must reach quotes with descriptions and BigInt amounts,
  // not only refusals.
  assert.ok(seen.quoted > cases / 2 && seen.refused > 0, JSON.stringify(seen));
  assert.ok(descriptions > 10, `only ${descriptions} quotes with a description`);
  assert.ok(bigints > 0, 'no quote with a BigInt total');
  assert.ok(discounted > 0, 'no quote with a discount');
});

test('strings in every script, and marks of the compact form, come back whole', () => {
  const engine = new Engine({ catalog: EXAMPLE_CATALOG, merchant: { merchant_type: 'direct' } });
  for (const piece of PIECES) {
    const text = `${piece}|${piece}${piece}`;
    const request = {
      mode: 'payment',
      client_reference_id: text,
      line_items: [
        { ad_hoc_amount: 100, ad_hoc_currency: 'eur', quantity: 1, description: text },
        { price_id: 'price_widget_eur', quantity: 1 },
      ],
      buyer_country: 'DE',
    };
    const q = engine.quote(request, { at: AT });
    assert.equal(q.client_reference_id, text);
    assert.equal(q.line_items[0].description, text);
    assert.ok(!('description' in q.line_items[1]));
    assert.equal(sameAnswer(engine, request, AT, JSON.stringify(piece)), 'quoted');
  }
});

test('amounts past 2^53 are BigInt, exactly, and safe ones numbers', () => {
  const engine = new Engine({ catalog: EXAMPLE_CATALOG, merchant: { merchant_type: 'direct' } });
  for (const amount of [2 ** 53 - 1, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n]) {
    const q = engine.quote({ mode: 'payment', line_items: [{ ad_hoc_amount: amount, ad_hoc_currency: 'usd', quantity: 1 }] }, { at: AT });
    assert.equal(q.amount_subtotal, amount);
    assert.equal(q.line_items[0].unit_amount, amount);
    assert.equal(typeof q.amount_subtotal, typeof amount);
  }
});

test('a malformed compact answer throws, never loops or returns part of a quote', () => {
  const engine = native.newEngine(EXAMPLE_CATALOG, undefined, undefined);
  const compact = native.quoteCompact(engine, '{"mode":"payment","line_items":[{"price_id":"price_widget_eur","quantity":2}],"buyer_country":"DE"}', AT);
  assert.equal(compact[0], '#');
  assert.ok(builder.build(compact));
  for (let end = 1; end < compact.length; end++) {
    assert.throws(() => builder.build(compact.slice(0, end)), /malformed compact answer/, `cut at ${end}`);
  }
  for (const bad of [`${compact},`, `${compact}x`, '#', '#x', '#99:a', '#n', '#7payment']) {
    assert.throws(() => builder.build(bad), /malformed compact answer/, JSON.stringify(bad.slice(-20)));
  }
});
