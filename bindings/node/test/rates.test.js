'use strict';
// rates: the same JSON value as `checkout-tax rates --format json`.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine } = require('..');
const { FIXTURE_TABLE, runCli, repoFile } = require('../testing/common');

test('rates equal the CLI, for the embedded and a given table', () => {
  const embedded = new Engine();
  const own = new Engine({ taxData: FIXTURE_TABLE });
  for (const [engine, extra] of [[embedded, []], [own, ['--tax-data', repoFile('tests', 'fixtures', 'tax_rates.csv')]]]) {
    for (const [at, jurisdictions] of [['2024-08-31', ['FI']], ['2024-09-01', ['FI', 'DE']], ['2025-06-01', ['CA']], ['2025-06-01', []], ['2025-06-01', ['us-ca']]]) {
      const run = runCli(['rates', ...extra, '--at', at, '--format', 'json', ...jurisdictions]);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(engine.rates({ jurisdictions, at }), JSON.parse(run.stdout), `${at} ${jurisdictions}`);
    }
  }
  const fi = own.rates({ jurisdictions: ['FI'], at: '2024-09-01' });
  assert.deepEqual(fi.rates.map((r) => [r.jurisdiction, r.rate, r.valid_from]), [['FI', '25.5', '2024-09-01']]);
  assert.equal(fi.at, '2024-09-01');
});

test('a bad jurisdiction or date is a RequestError naming it', () => {
  const engine = new Engine();
  assert.throws(() => engine.rates({ jurisdictions: ['DE', 'Germany'], at: '2025-06-01' }), { name: 'RequestError', code: 'invalid_request', param: 'jurisdictions[1]' });
  assert.throws(() => engine.rates({ at: '2025-06-31' }), { name: 'RequestError', code: 'invalid_date', param: 'at' });
  assert.throws(() => engine.rates({ jurisdictions: 'DE' }), TypeError);
  // Today when no date is given.
  assert.equal(engine.rates().at, new Date().toISOString().slice(0, 10));
});
