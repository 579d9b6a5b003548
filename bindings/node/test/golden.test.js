'use strict';
// The golden cases (tests/golden/*.json) through the package: quoteJson is
// byte-equal to `checkout-tax batch` and value-equal to `checkout-tax
// quote`, and the amounts are the hand-worked ones in each file.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, RequestError, parseJson, stringifyJson } = require('..');
const { goldenCases, goldenMerchant, runCli, tempFile, repoFile, FIXTURE_CATALOG, FIXTURE_TABLE } = require('../testing/common');

const cases = goldenCases();

function engineFor(c) {
  return new Engine({
    catalog: c.catalog ?? FIXTURE_CATALOG,
    merchant: goldenMerchant(c),
    taxData: c.tax_data ?? FIXTURE_TABLE,
  });
}

function cliArgs(c) {
  const catalog = c.catalog ? tempFile(`${c.name}.catalog.json`, JSON.stringify(c.catalog)) : repoFile('tests', 'fixtures', 'catalog.json');
  const table = c.tax_data ? tempFile(`${c.name}.csv`, c.tax_data) : repoFile('tests', 'fixtures', 'tax_rates.csv');
  const merchant = tempFile(`${c.name}.merchant.json`, JSON.stringify(goldenMerchant(c)));
  return ['--catalog', catalog, '--tax-data', table, '--merchant', merchant, '--at', c.at];
}

test('there are golden cases', () => {
  assert.ok(cases.length >= 20, `only ${cases.length} golden cases`);
});

for (const c of cases) {
  test(`golden ${c.name}`, () => {
    const engine = engineFor(c);
    const body = JSON.stringify(c.request);
    const args = cliArgs(c);
    const quoteRun = runCli(['quote', ...args, '--format', 'json', '-'], body);
    const batchRun = runCli(['batch', ...args], `${body}\n`);
    assert.equal(batchRun.status, 0, batchRun.stderr);
    const batchLine = batchRun.stdout.replace(/\n$/, '');

    if (c.expected.error) {
      assert.equal(quoteRun.status, 1, quoteRun.stderr);
      const { error } = JSON.parse(quoteRun.stdout);
      const thrown = captured(() => engine.quoteJson(body, { at: c.at }));
      assert.ok(thrown instanceof RequestError, `${c.name}: ${thrown}`);
      assert.deepEqual({ code: thrown.code, message: thrown.message, param: thrown.param }, error);
      assert.equal(JSON.stringify(thrown), batchLine, 'the refusal as the batch writes it');
      assert.equal(error.code, c.expected.error);
      if (c.expected.param) assert.equal(error.param, c.expected.param);
      return;
    }

    assert.equal(quoteRun.status, 0, quoteRun.stderr);
    const text = engine.quoteJson(body, { at: c.at });
    assert.equal(text, batchLine, 'quoteJson is the batch line, byte for byte');
    assert.deepEqual(parseJson(text), parseJson(quoteRun.stdout), 'the same value as `quote --format json`');
    // quote(object) and quote(text) give the same value.
    const q = engine.quote(c.request, { at: c.at });
    assert.deepEqual(q, parseJson(text));
    assert.deepEqual(engine.quote(body, c.at), q);

    const e = c.expected;
    assert.equal(q.currency, e.currency ?? null);
    assert.deepEqual([q.amount_subtotal, q.amount_tax, q.amount_total], [e.amount_subtotal, e.amount_tax, e.amount_total]);
    if (e.tax_status) assert.equal(q.tax_status, e.tax_status);
    if (e.line_items) {
      assert.equal(q.line_items.length, e.line_items.length);
      e.line_items.forEach((want, i) => {
        const got = q.line_items[i];
        assert.deepEqual([got.amount_subtotal, got.amount_tax, got.amount_total], [want.amount_subtotal, want.amount_tax, want.amount_total], `line ${i}`);
        if (want.taxes) {
          assert.deepEqual(got.taxes.map((t) => [t.name, t.rate, t.amount]), want.taxes.map((t) => [t.name, t.rate, t.amount]), `line ${i} taxes`);
        }
      });
    }
    // The JSON text of the object is the JSON text of the quote.
    assert.equal(stringifyJson(q), text);
  });
}

function captured(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
