'use strict';
// Shared by the test files: the repository's fixtures and the built CLI,
// whose answers the package must equal.

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const AT = '2025-06-01';

const repoFile = (...parts) => path.join(ROOT, ...parts);
const readRepo = (...parts) => fs.readFileSync(repoFile(...parts), 'utf8');

/** examples/catalog.json: the README's catalog, valid whole. */
const EXAMPLE_CATALOG = readRepo('examples', 'catalog.json');
/** tests/fixtures/catalog.json and tax_rates.csv: the golden cases' defaults. */
const FIXTURE_CATALOG = readRepo('tests', 'fixtures', 'catalog.json');
const FIXTURE_TABLE = readRepo('tests', 'fixtures', 'tax_rates.csv');

let cliPath;
/** The release CLI, built on first use (a no-op when it is up to date). */
function cli() {
  if (!cliPath) {
    execFileSync('cargo', ['build', '--release', '--locked', '--bin', 'checkout-tax'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const metadata = JSON.parse(
      execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: ROOT }),
    );
    cliPath = path.join(metadata.target_directory, 'release', 'checkout-tax');
  }
  return cliPath;
}

/** Runs the CLI; `{status, stdout, stderr}`. */
function runCli(args, input) {
  const r = spawnSync(cli(), args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let scratch;
/** A file with these contents in a scratch directory; its path. */
function tempFile(name, contents) {
  scratch ??= fs.mkdtempSync(path.join(os.tmpdir(), 'checkout-tax-node-'));
  const p = path.join(scratch, name);
  fs.writeFileSync(p, contents);
  return p;
}

/** The golden cases of tests/golden/*.json, each `{name, ...case}`. */
function goldenCases() {
  const dir = repoFile('tests', 'golden');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, ...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }));
}

/** A golden case's merchant settings, as the Rust driver builds them. */
function goldenMerchant(c) {
  const m = { merchant_type: c.merchant_type };
  if (c.tax_registrations) m.tax_registrations = c.tax_registrations;
  if (c.rounding_level) m.rounding_level = c.rounding_level;
  if (c.rounding_mode) m.rounding_mode = c.rounding_mode;
  return m;
}

/** The error codes the spec lists, copied from its text (not from the package). */
const SPEC_CODES = [
  'invalid_request',
  'unknown_field',
  'invalid_mode',
  'invalid_presentation',
  'missing_line_items',
  'line_items_not_allowed',
  'invalid_line_item',
  'invalid_quantity',
  'unknown_price',
  'unknown_product',
  'inactive_price',
  'inactive_product',
  'no_default_price',
  'ad_hoc_not_allowed',
  'missing_ad_hoc_currency',
  'invalid_amount',
  'invalid_currency',
  'currency_mismatch',
  'recurring_price_required',
  'recurring_price_not_allowed',
  'mixed_intervals',
  'invalid_country',
  'invalid_region',
  'amount_too_large',
  'invalid_email',
  'invalid_url',
  'limit_exceeded',
];

/** `fn()` must throw a RequestError with this code and param; returns it. */
function refusedWith(assert, fn, code, param) {
  const { RequestError } = require('..');
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof RequestError, `expected a RequestError ${code}, got ${thrown}`);
  assert.ok(thrown instanceof Error);
  assert.equal(thrown.code, code, thrown.message);
  assert.equal(thrown.param, param, `param of ${code}: ${thrown.message}`);
  assert.equal(typeof thrown.message, 'string');
  assert.ok(thrown.message.length > 0);
  return thrown;
}

module.exports = {
  ROOT,
  AT,
  repoFile,
  readRepo,
  EXAMPLE_CATALOG,
  FIXTURE_CATALOG,
  FIXTURE_TABLE,
  cli,
  runCli,
  tempFile,
  goldenCases,
  goldenMerchant,
  SPEC_CODES,
  refusedWith,
};
