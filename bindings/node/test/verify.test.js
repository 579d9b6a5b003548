'use strict';
// verify on both response shapes (the provider's envelope and a bare
// session), on error responses, and on refusals: always a report, equal to
// `checkout-tax verify`'s, plus the engine's quote.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine } = require('..');
const { AT, EXAMPLE_CATALOG, FIXTURE_TABLE, readRepo, runCli, tempFile, repoFile } = require('../testing/common');

const engine = new Engine({ catalog: EXAMPLE_CATALOG, taxData: FIXTURE_TABLE });
const request = JSON.parse(readRepo('examples', 'request.json')); // US-CA 8% in the fixture table: 999 + 80
const session = { id: 'cs_test_1', currency: 'usd', amount_subtotal: 999, amount_tax: 80, amount_total: 1079 };
const envelope = (s) => ({ success: true, message: 'Checkout session created', data: { session: s, url: 'https://checkout.example.com/c/cs_test_1' } });

/** The CLI's report for the same request and response (no quote in it). */
function cliReport(req, resp) {
  const args = ['verify', '--catalog', repoFile('examples', 'catalog.json'), '--tax-data', repoFile('tests', 'fixtures', 'tax_rates.csv'), '--at', AT, '--format', 'json'];
  const run = runCli([...args, tempFile('verify-request.json', typeof req === 'string' ? req : JSON.stringify(req)), tempFile('verify-response.json', typeof resp === 'string' ? resp : JSON.stringify(resp))]);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  return { status: run.status, report: JSON.parse(run.stdout) };
}

function withoutQuote(report) {
  const { quote, ...rest } = report;
  return rest;
}

test('the envelope and a bare session both match, with the quote in the report', () => {
  for (const response of [envelope(session), session, { session }]) {
    const report = engine.verify(request, response, { at: AT });
    assert.equal(report.match, true, JSON.stringify(report.mismatches));
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.kind, undefined);
    assert.deepEqual(report.quote, engine.quote(request, { at: AT }));
    assert.deepEqual(withoutQuote(report), cliReport(request, response).report);
    // Text in, same report.
    assert.deepEqual(engine.verify(JSON.stringify(request), JSON.stringify(response), { at: AT }), report);
    assert.deepEqual(engine.verify(Buffer.from(JSON.stringify(request)), Buffer.from(JSON.stringify(response)), AT), report);
  }
});

test('wrong amounts are mismatches with field, expected and actual, on both shapes', () => {
  const wrong = { ...session, amount_tax: 72, amount_total: 1071, currency: 'eur' };
  for (const response of [envelope(wrong), wrong]) {
    const report = engine.verify(request, response, { at: AT });
    assert.equal(report.match, false);
    assert.equal(report.kind, 'amounts');
    assert.deepEqual(report.mismatches, [
      { field: 'currency', expected: 'USD', actual: 'eur' },
      { field: 'amount_tax', expected: 80, actual: 72 },
      { field: 'amount_total', expected: 1079, actual: 1071 },
    ]);
    const cli = cliReport(request, response);
    assert.equal(cli.status, 1);
    assert.deepEqual(withoutQuote(report), cli.report);
  }
});

test('line amounts are compared when the response has them', () => {
  const lines = [{ amount_subtotal: 999, amount_tax: 79, amount_total: 1078 }];
  const report = engine.verify(request, envelope({ ...session, line_items: lines }), { at: AT });
  assert.deepEqual(report.mismatches, [
    { field: 'line_items[0].amount_tax', expected: 80, actual: 79 },
    { field: 'line_items[0].amount_total', expected: 1079, actual: 1078 },
  ]);
});

test('an error response matches a refusal with the same code', () => {
  const bad = { ...request, line_items: [{ price_id: 'price_nope', quantity: 1 }] };
  for (const response of [
    { error: { code: 'unknown_price', message: 'no such price', param: 'line_items[0].price_id' } },
    { success: false, message: 'No such price', error: { code: 'unknown_price' } },
  ]) {
    const report = engine.verify(bad, response, { at: AT });
    assert.equal(report.match, true);
    assert.equal(report.error.code, 'unknown_price');
    assert.equal(report.error.param, 'line_items[0].price_id');
    assert.equal(report.quote, undefined);
    assert.deepEqual(report, cliReport(bad, response).report);
  }
  const other = engine.verify(bad, { error: { code: 'invalid_quantity' } }, { at: AT });
  assert.deepEqual([other.match, other.kind], [false, 'error_code']);
  assert.deepEqual(other.mismatches, [{ field: 'error.code', expected: 'unknown_price', actual: 'invalid_quantity' }]);
});

test('a refusal against a session, and a quote against an error, are outcome mismatches (never thrown)', () => {
  const refused = engine.verify({ mode: 'payment' }, envelope(session), { at: AT });
  assert.deepEqual([refused.match, refused.kind], [false, 'outcome']);
  assert.equal(refused.error.code, 'missing_line_items');
  assert.deepEqual(refused.mismatches, [{ field: 'error.code', expected: 'missing_line_items', actual: null }]);

  const quoted = engine.verify(request, { success: false, error: 'card_declined' }, { at: AT });
  assert.deepEqual([quoted.match, quoted.kind], [false, 'outcome']);
  assert.deepEqual(quoted.mismatches, [{ field: 'error.code', expected: null, actual: 'card_declined' }]);
  assert.equal(quoted.quote.amount_total, 1079);

  // Requests that are not JSON, or cannot become JSON, are refusals too.
  const cyclic = {};
  cyclic.self = cyclic;
  for (const req of ['{', cyclic, undefined, Buffer.from([0xff, 0xfe])]) {
    const r = engine.verify(req, session, { at: AT });
    assert.equal(r.match, false);
    assert.equal(r.error.code, 'invalid_request');
  }
});

test('a response that is not JSON is a mismatch naming `response`', () => {
  const report = engine.verify(request, 'Bad Gateway', { at: AT });
  assert.deepEqual([report.match, report.kind], [false, 'response']);
  assert.equal(report.mismatches[0].field, 'response');
  assert.equal(report.mismatches[0].expected, null);
  assert.match(report.mismatches[0].actual, /^not JSON/);
  assert.equal(report.quote.amount_total, 1079);
});
