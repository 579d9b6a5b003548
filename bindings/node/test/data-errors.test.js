'use strict';
// A malformed tax table, catalog or merchant throws DataError, with the
// tax file's line number as the CLI reports it.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, DataError } = require('..');
const { readRepo, runCli, tempFile } = require('../testing/common');

const HEADER = 'jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source';
const ROW = 'DE,inclusive,VAT,*,19,,,https://www.gesetze-im-internet.de/ustg_1980/__12.html';

// [name, csv, line]
const BAD_TABLES = [
  ['the shipped bad fixture (negative rate)', readRepo('tests', 'fixtures', 'tax_rates_bad.csv'), 3],
  ['a wrong header', 'jurisdiction,regime,rate\nDE,inclusive,19\n', 1],
  ['an empty file', '', 1],
  ['a rate that is not a number', `${HEADER}\n${ROW}\nFI,inclusive,VAT,*,abc,,,https://vero.fi/\n`, 3],
  ['a row without a source', `${HEADER}\n${ROW}\n${ROW}\nFI,inclusive,VAT,*,25.5,,,\n`, 4],
  ['a missing column', `${HEADER}\nFI,inclusive,VAT,*,25.5,,\n`, 2],
  ['an unknown regime', `${HEADER}\n${ROW}\nFI,sideways,VAT,*,25.5,,,https://vero.fi/\n`, 3],
  ['a bad date', `${HEADER}\nFI,inclusive,VAT,*,25.5,2024-13-01,,https://vero.fi/\n`, 2],
  ['a bad jurisdiction', `${HEADER}\n${ROW}\n${ROW}\n${ROW}\nXX,inclusive,VAT,*,25.5,,,https://vero.fi/\n`, 5],
  ['CRLF line ends', `${HEADER}\r\n${ROW}\r\nFI,inclusive,VAT,*,-1,,,https://vero.fi/\r\n`, 3],
];

test('malformed tax data: DataError invalid_tax_data with the line, as the CLI says', () => {
  for (const [name, csv, line] of BAD_TABLES) {
    let err;
    try {
      new Engine({ taxData: csv });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof DataError, `${name}: ${err}`);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'DataError');
    assert.equal(err.code, 'invalid_tax_data', name);
    assert.equal(err.line, line, `${name}: ${err.message}`);
    assert.match(err.message, new RegExp(`^tax data line ${line}: `), name);
    // The CLI refuses the same file with the same message (exit 2).
    const run = runCli(['rates', '--tax-data', tempFile('bad.csv', csv)]);
    assert.equal(run.status, 2, name);
    assert.ok(run.stderr.includes(err.message), `${name}: CLI said ${run.stderr}`);
    // Bytes are read the same way.
    assert.throws(() => new Engine({ taxData: Buffer.from(csv) }), { code: 'invalid_tax_data', line });
  }
});

test('a malformed catalog or merchant: DataError naming it (invalid_catalog with the entry, invalid_configuration)', () => {
  for (const [catalog, param] of [['{"products": [', 'products'], ['{"prices": 5}', 'prices'], [{ products: 'none' }, 'products']]) {
    assert.throws(() => new Engine({ catalog }), (e) => e instanceof DataError && e.code === 'invalid_catalog' && e.param === param && /catalog/.test(e.message) && e.line === null);
  }
  for (const merchant of ['{', { merchant_type: 'reseller' }, { rounding_mode: 'up' }, { tax_registrations: 'DE' }]) {
    assert.throws(() => new Engine({ merchant }), (e) => e instanceof DataError && e.code === 'invalid_configuration' && e.param === 'merchant' && /merchant/.test(e.message));
  }
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => new Engine({ catalog: cyclic }), { name: 'DataError', code: 'invalid_configuration', param: 'catalog' });
  assert.throws(() => new Engine({ taxData: 42 }), TypeError);
});

test('good inputs build; no options is the embedded table with an empty catalog', () => {
  const engine = new Engine();
  const q = engine.quote({ mode: 'setup' }, '2025-06-01');
  assert.equal(q.currency, null);
  assert.ok(engine.rates({ at: '2025-06-01' }).rates.length > 20);
  new Engine({ taxData: `${HEADER}\n${ROW}\n`, merchant: '{"merchant_type": "direct"}', catalog: '{"products": [], "prices": []}' });
});
