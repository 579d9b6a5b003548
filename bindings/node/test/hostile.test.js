'use strict';
// Hostile input: the core's refusal corpus (tests/corpus/refusals.json,
// read live: every case the core's suite runs through the library, the
// CLI and the service), a recorded corpus of hostile bodies with their
// outcomes, quoted ones included (test/data/hostile.ndjson.gz, recorded
// from the core's hostile tests when they could dump it; the core's suite
// now keeps its refusals in the corpus above), the fuzz seeds, and values
// only JavaScript can pass. Each gets a quote or a RequestError, never
// another exception, and the corpora get the exact outcome the core's
// tests assert.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { Engine, RequestError, ERROR_CODES } = require('..');
const { AT, readRepo, repoFile, EXAMPLE_CATALOG } = require('../testing/common');

// The engines of the core's hostile tests, from the corpus files they use.
const TABLE = readRepo('tests', 'corpus', 'small_rates.csv');
const BIG_CATALOG = readRepo('tests', 'corpus', 'big_catalog.json');
assert.ok(TABLE && BIG_CATALOG, 'tests/corpus/ no longer has small_rates.csv and big_catalog.json');
const ENGINES = {
  'mor/example': new Engine({ catalog: EXAMPLE_CATALOG, taxData: TABLE }),
  'direct/example': new Engine({ catalog: EXAMPLE_CATALOG, taxData: TABLE, merchant: { merchant_type: 'direct' } }),
  'mor/big': new Engine({ catalog: BIG_CATALOG, taxData: TABLE }),
  'direct/big': new Engine({ catalog: BIG_CATALOG, taxData: TABLE, merchant: { merchant_type: 'direct' } }),
};

const corpus = zlib
  .gunzipSync(fs.readFileSync(path.join(__dirname, 'data', 'hostile.ndjson.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));

/** A quote, or the RequestError; anything else thrown fails the test. */
function outcome(fn, what) {
  try {
    return { quote: fn() };
  } catch (e) {
    assert.ok(e instanceof RequestError, `${what}: threw ${e && e.name}: ${e && e.message}`);
    assert.ok(ERROR_CODES.includes(e.code), `${what}: unknown code ${e.code}`);
    return { error: { code: e.code, param: e.param } };
  }
}

function amounts(q) {
  const n = (v) => (typeof v === 'bigint' ? Number(v) : v); // the corpus is serde_json: i64 as numbers
  return { currency: q.currency, amount_subtotal: n(q.amount_subtotal), amount_tax: n(q.amount_tax), amount_total: n(q.amount_total), tax_status: q.tax_status };
}

const show = (body) => (body.length > 120 ? `${body.slice(0, 120)}... (${body.length} chars)` : body);

// The core's refusal corpus: its setups as engines, each case's body as
// the core sends it (a request as compact JSON, or the exact bytes).
const REFUSALS = JSON.parse(readRepo('tests', 'corpus', 'refusals.json'));
const refusalEngines = new Map();
function refusalEngine(setupName, merchantType) {
  const key = `${setupName}/${merchantType}`;
  if (!refusalEngines.has(key)) {
    const setup = REFUSALS.setups[setupName];
    assert.ok(setup, `no setup ${setupName}`);
    const options = { catalog: readRepo(setup.catalog), merchant: { merchant_type: merchantType } };
    if (setup.tax_data) options.taxData = readRepo(setup.tax_data);
    refusalEngines.set(key, new Engine(options));
  }
  return refusalEngines.get(key);
}
function refusalBody(c) {
  if (c.request !== undefined) return JSON.stringify(c.request);
  if (typeof c.body === 'string') return c.body;
  return c.body.map((p) => (typeof p === 'string' ? p : p.repeat.repeat(p.times))).join('');
}

test('every case of the core refusal corpus: its code and param, through quote, quoteJson and bytes', () => {
  assert.ok(REFUSALS.cases.length >= 409, `only ${REFUSALS.cases.length} refusal cases`);
  const failures = [];
  for (const c of REFUSALS.cases) {
    const engine = refusalEngine(c.setup, c.merchant);
    const body = refusalBody(c);
    const calls = [
      ['quote', () => engine.quote(body, { at: c.at })],
      ['quoteJson', () => engine.quoteJson(body, { at: c.at })],
      ['bytes', () => engine.quote(Buffer.from(body, 'utf8'), { at: c.at })],
    ];
    for (const [how, call] of calls) {
      const got = outcome(call, `${c.name} (${how})`);
      if (!got.error || got.error.code !== c.code || got.error.param !== c.param) {
        failures.push(`${c.name} (${how}): got ${JSON.stringify(got.error ?? 'a quote')}, want ${c.code} at ${c.param}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('the corpus is there', () => {
  assert.ok(corpus.length >= 300, `only ${corpus.length} hostile bodies`);
  assert.ok(corpus.some((c) => c.expected.error) && corpus.some((c) => !c.expected.error));
});

test('every hostile body: the outcome tests/hostile.rs asserts, through quote, quoteJson and bytes', () => {
  for (const { seller, catalog, body, expected } of corpus) {
    const engine = ENGINES[`${seller}/${catalog}`];
    const what = `${seller}/${catalog} ${show(body)}`;
    for (const call of [() => engine.quote(body, AT), () => JSON.parse(engine.quoteJson(body, AT)), () => engine.quote(Buffer.from(body), AT)]) {
      const got = outcome(call, what);
      if (expected.error) {
        assert.deepEqual(got.error, expected.error, what);
      } else {
        assert.ok(got.quote, `${what}: refused ${JSON.stringify(got.error)}`);
        assert.deepEqual(amounts(got.quote), expected, what);
      }
    }
  }
});

test('the corpus through quoteMany: one answer per body, the same outcomes', () => {
  for (const key of Object.keys(ENGINES)) {
    const [seller, catalog] = key.split('/');
    const cases = corpus.filter((c) => c.seller === seller && c.catalog === catalog);
    const answers = ENGINES[key].quoteMany(cases.map((c) => c.body), AT);
    assert.equal(answers.length, cases.length);
    answers.forEach((a, i) => {
      const { expected, body } = cases[i];
      if (expected.error) assert.deepEqual({ code: a.error?.code, param: a.error?.param }, expected.error, show(body));
      else assert.deepEqual(amounts(a), expected, show(body));
    });
  }
});

test('the fuzz seeds, as bytes: a quote or a RequestError', () => {
  const dir = repoFile('fuzz', 'seeds', 'request_quote');
  const seeds = fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]);
  assert.ok(seeds.length > 20);
  for (const engine of Object.values(ENGINES)) {
    for (const [name, bytes] of seeds) {
      const a = outcome(() => engine.quote(bytes, AT), name);
      const b = outcome(() => JSON.parse(engine.quoteJson(bytes, AT)), name);
      assert.deepEqual(a.error, b.error, name);
    }
  }
});

test('bytes that are not text: a RequestError', () => {
  const e = ENGINES['mor/example'];
  for (const bytes of [[0xff], [0xc3, 0x28], [0xef, 0xbb, 0xbf, 0x7b, 0x7d], [0], [0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d], []]) {
    const got = outcome(() => e.quote(new Uint8Array(bytes), AT), `bytes ${bytes}`);
    assert.ok(got.error, `bytes ${bytes} were quoted`);
  }
});

test('values only JavaScript can pass: a quote or a RequestError, never another exception', () => {
  const e = ENGINES['direct/example'];
  const cyclic = { mode: 'payment' };
  cyclic.line_items = [cyclic];
  let deep = {};
  for (let i = 0; i < 100000; i++) deep = { line_items: [deep] };
  const throwingGetter = { mode: 'payment', get line_items() { throw new Error('boom'); } };
  const throwingProxy = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
  const throwingToJSON = { toJSON() { throw new RangeError('no'); } };
  const line = { price_id: 'price_xxx', quantity: 1 };
  const values = [
    undefined, null, 0, -0, NaN, Infinity, 42, 1e21, true, 'x', '', Symbol('s'), () => 1, 10n, [], [[]], {}, new Map([[1, 2]]), new Set([1]), new Date(0), /re/,
    cyclic, deep, throwingGetter, throwingProxy, throwingToJSON, Object.create(null),
    { mode: 'payment', line_items: [line], __proto__: { buyer_country: 'DE' } },
    { mode: 'payment', line_items: [{ ...line, quantity: 2 ** 53 }] },
    { mode: 'payment', line_items: [{ ...line, quantity: 1.0000000001 }] },
    { mode: 'payment', line_items: [{ ...line, quantity: -0 }] },
    { mode: 'payment', line_items: [{ ad_hoc_amount: Number.MAX_VALUE, ad_hoc_currency: 'usd', quantity: 1 }] },
    { mode: 'payment', line_items: [{ ad_hoc_amount: -(2n ** 63n), ad_hoc_currency: 'usd', quantity: 1 }] },
    { mode: 'payment', line_items: new Array(5) },
    { mode: 'payment', line_items: [line], client_reference_id: '\ud800' },
    { mode: 'payment', line_items: [line], customer_email: 'a@b.c'.repeat(100000) },
    { mode: new String('payment'), line_items: [line] },
    { mode: 'payment', line_items: Array.from({ length: 10000 }, () => line) },
  ];
  let quoted = 0;
  for (const v of values) {
    const got = outcome(() => e.quote(v, AT), `value ${typeof v}`);
    if (got.quote) quoted++;
    // quoteJson and quoteMany take them too.
    outcome(() => e.quoteJson(v, AT), `quoteJson ${typeof v}`);
  }
  assert.ok(quoted >= 2, `${quoted} quoted`); // the __proto__ and String-object requests
  const many = e.quoteMany(values, AT);
  assert.equal(many.length, values.length);
  // A string that looks like the package's own big-integer mark stays a
  // string, next to a real big integer.
  for (const ref of ['checkout-tax-bigint:1', 'checkout-tax-bigint:9007199254740993']) {
    const q = e.quote({ mode: 'payment', line_items: [{ ad_hoc_amount: 2n ** 60n, ad_hoc_currency: 'usd', quantity: 1 }], client_reference_id: ref }, AT);
    assert.equal(q.client_reference_id, ref);
    assert.equal(q.amount_total, 2n ** 60n);
  }
});
