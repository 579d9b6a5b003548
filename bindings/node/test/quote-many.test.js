'use strict';
// quoteMany: good and bad requests mixed, one answer each in order, the
// same answers as `checkout-tax batch` line by line.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, RequestError, parseJson } = require('..');
const { AT, EXAMPLE_CATALOG, FIXTURE_TABLE, runCli, repoFile, readRepo } = require('../testing/common');

const engine = new Engine({ catalog: EXAMPLE_CATALOG, taxData: FIXTURE_TABLE });
const us = JSON.parse(readRepo('examples', 'request.json'));
const de = JSON.parse(readRepo('examples', 'request_eu_de.json'));

const REQUESTS = [
  us,
  '{"mode": "payment", "line_items": [{"price_id": "price_nope", "quantity": 1}]}',
  JSON.stringify(de),
  'not json',
  { mode: 'payment', line_items: [{ price_id: 'price_xxx', quantity: 0 }] },
  { mode: 'setup' },
  '',
  { ...us, buyer_country: 'ZZ' },
];
const EXPECTED = ['quote', 'unknown_price', 'quote', 'invalid_request', 'invalid_quantity', 'quote', 'invalid_request', 'invalid_country'];

test('a mix of good and bad requests: a quote or {error} each, in order', () => {
  const answers = engine.quoteMany(REQUESTS, { at: AT });
  assert.equal(answers.length, REQUESTS.length);
  answers.forEach((a, i) => {
    if (EXPECTED[i] === 'quote') {
      assert.equal(a.error, undefined, `#${i}: ${JSON.stringify(a)}`);
      assert.deepEqual(a, engine.quote(REQUESTS[i], { at: AT }));
    } else {
      assert.equal(a.error.code, EXPECTED[i], `#${i}`);
      assert.deepEqual(Object.keys(a.error).sort(), ['code', 'message', 'param']);
      assert.throws(() => engine.quote(REQUESTS[i], { at: AT }), (e) => e instanceof RequestError && e.code === a.error.code && e.param === a.error.param && e.message === a.error.message);
    }
  });
  assert.equal(answers[0].amount_total, 1079);
  assert.equal(answers[4].error.param, 'line_items[0].quantity');
});

test('the answers are the batch lines of the CLI', () => {
  const lines = REQUESTS.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
  const run = runCli(['batch', '--catalog', repoFile('examples', 'catalog.json'), '--tax-data', repoFile('tests', 'fixtures', 'tax_rates.csv'), '--at', AT], `${lines.join('\n')}\n`);
  assert.equal(run.status, 0, run.stderr);
  const batch = run.stdout.trimEnd().split('\n').map(parseJson);
  assert.deepEqual(engine.quoteMany(REQUESTS, { at: AT }), batch);
});

test('bytes, iterables, empty input and values with no JSON form', () => {
  const cyclic = {};
  cyclic.self = cyclic;
  const answers = engine.quoteMany(new Set([Buffer.from(JSON.stringify(us)), new Uint8Array([0xc3, 0x28]), cyclic, Symbol('x')]), AT);
  assert.equal(answers[0].amount_total, 1079);
  assert.equal(answers[1].error.code, 'invalid_request');
  assert.equal(answers[2].error.code, 'invalid_request');
  assert.equal(answers[3].error.code, 'invalid_request');
  assert.deepEqual(engine.quoteMany([], AT), []);
  assert.throws(() => engine.quoteMany('x', AT), TypeError);
  assert.throws(() => engine.quoteMany([us], { at: 'bad' }), { name: 'RequestError', code: 'invalid_date', param: 'at' });
});
