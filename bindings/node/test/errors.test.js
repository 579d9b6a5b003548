'use strict';
// Every error code reaches JavaScript as a RequestError (or a DataError for
// the engine's own inputs) with the code and param the CLI gives.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, RequestError, DataError, ERROR_CODES } = require('..');
const { AT, SPEC_CODES, refusedWith, runCli, tempFile } = require('../testing/common');

// A catalog of this file's own: every entry valid, with the odd ones the
// rules need (an inactive price, a product without a default price, a
// price at int64's maximum given as a BigInt).
const CATALOG = {
  products: [
    { id: 'prod_widget', tax_category: 'general', default_price: 'price_xxx' },
    { id: 'prod_pro', tax_category: 'general', default_price: 'price_pro_monthly' },
    { id: 'prod_no_default', tax_category: 'general' },
    { id: 'prod_legacy', tax_category: 'general', default_price: 'price_legacy', active: false },
    { id: 'prod_big', tax_category: 'general', default_price: 'price_max' },
  ],
  prices: [
    { id: 'price_xxx', product: 'prod_widget', currency: 'usd', unit_amount: 999 },
    { id: 'price_widget_eur', product: 'prod_widget', currency: 'eur', unit_amount: 1000 },
    { id: 'price_widget_old', product: 'prod_widget', currency: 'usd', unit_amount: 500, active: false },
    { id: 'price_no_default', product: 'prod_no_default', currency: 'usd', unit_amount: 100 },
    { id: 'price_pro_monthly', product: 'prod_pro', currency: 'usd', unit_amount: 999, recurring: { interval: 'month', interval_count: 1 } },
    { id: 'price_pro_yearly', product: 'prod_pro', currency: 'usd', unit_amount: 9990, recurring: { interval: 'year', interval_count: 1 } },
    { id: 'price_legacy', product: 'prod_legacy', currency: 'usd', unit_amount: 500, recurring: { interval: 'month', interval_count: 1 }, active: false },
    { id: 'price_max', product: 'prod_big', currency: 'usd', unit_amount: 2n ** 63n - 1n },
  ],
};
const engines = {
  mor: new Engine({ catalog: CATALOG, merchant: { merchant_type: 'merchant_of_record' } }),
  direct: new Engine({ catalog: CATALOG, merchant: { merchant_type: 'direct' } }),
};

const LINE = { price_id: 'price_xxx', quantity: 1 };
const pay = (lines, extra = {}) => ({ mode: 'payment', line_items: lines, ...extra });
const adHoc = (fields) => ({ ad_hoc_amount: 500, ad_hoc_currency: 'usd', quantity: 1, ...fields });

// [seller, request (object or JSON text), code, param]
const REFUSALS = [
  ['mor', 'mode=payment&line_items[0][price_id]=price_xxx', 'invalid_request', null],
  ['mor', '[{"mode": "payment"}]', 'invalid_request', null],
  ['mor', pay([LINE, { price_id: 'price_xxx', quantity: '2' }]), 'invalid_request', 'line_items[1].quantity'],
  ['mor', pay([LINE], { customer_email: 42 }), 'invalid_request', 'customer_email'],
  ['mor', pay([{ price_id: 'price_xxx', quantitiy: 1 }]), 'unknown_field', 'line_items[0].quantitiy'],
  ['mor', pay([LINE], { buyer_contry: 'US' }), 'unknown_field', 'buyer_contry'],
  ['mor', { mode: 'Payment', line_items: [LINE] }, 'invalid_mode', 'mode'],
  ['mor', { line_items: [LINE] }, 'invalid_mode', 'mode'],
  ['mor', pay([LINE], { presentation: 'popup' }), 'invalid_presentation', 'presentation'],
  ['mor', pay([]), 'missing_line_items', 'line_items'],
  ['mor', { mode: 'setup', line_items: [LINE] }, 'line_items_not_allowed', 'line_items'],
  ['mor', pay([LINE, { quantity: 1 }]), 'invalid_line_item', 'line_items[1]'],
  ['direct', pay([{ price_id: 'price_xxx', product_id: 'prod_widget', quantity: 1 }]), 'invalid_line_item', 'line_items[0]'],
  ['mor', pay([{ price_id: 'price_xxx', quantity: 0 }]), 'invalid_quantity', 'line_items[0].quantity'],
  ['mor', pay([{ price_id: 'price_xxx', quantity: 1000000 }]), 'invalid_quantity', 'line_items[0].quantity'],
  ['mor', pay([LINE, { price_id: 'price_nope', quantity: 1 }]), 'unknown_price', 'line_items[1].price_id'],
  ['mor', pay([{ product_id: 'prod_nope', quantity: 1 }]), 'unknown_product', 'line_items[0].product_id'],
  ['mor', pay([LINE, { price_id: 'price_widget_old', quantity: 1 }]), 'inactive_price', 'line_items[1].price_id'],
  ['mor', { mode: 'subscription', line_items: [{ product_id: 'prod_legacy', quantity: 1 }] }, 'inactive_product', 'line_items[0].product_id'],
  ['mor', pay([{ product_id: 'prod_no_default', quantity: 1 }]), 'no_default_price', 'line_items[0].product_id'],
  ['mor', pay([LINE, adHoc({})]), 'ad_hoc_not_allowed', 'line_items[1].ad_hoc_amount'],
  ['direct', pay([LINE, { ad_hoc_amount: 500, quantity: 1 }]), 'missing_ad_hoc_currency', 'line_items[1].ad_hoc_currency'],
  ['direct', pay([adHoc({ ad_hoc_amount: -5 })]), 'invalid_amount', 'line_items[0].ad_hoc_amount'],
  ['direct', pay([adHoc({ ad_hoc_amount: 12.5 })]), 'invalid_amount', 'line_items[0].ad_hoc_amount'],
  ['direct', pay([adHoc({ ad_hoc_amount: 2n ** 63n })]), 'invalid_amount', 'line_items[0].ad_hoc_amount'],
  ['direct', pay([adHoc({ ad_hoc_currency: 'XAU' })]), 'invalid_currency', 'line_items[0].ad_hoc_currency'],
  ['mor', pay([LINE, { price_id: 'price_widget_eur', quantity: 1 }]), 'currency_mismatch', 'line_items[1].price_id'],
  ['mor', { mode: 'subscription', line_items: [{ price_id: 'price_pro_monthly', quantity: 1 }, LINE] }, 'recurring_price_required', 'line_items[1].price_id'],
  ['mor', pay([LINE, { price_id: 'price_pro_monthly', quantity: 1 }]), 'recurring_price_not_allowed', 'line_items[1].price_id'],
  ['mor', { mode: 'subscription', line_items: [{ price_id: 'price_pro_monthly', quantity: 1 }, { price_id: 'price_pro_yearly', quantity: 1 }] }, 'mixed_intervals', 'line_items[1].price_id'],
  ['mor', pay([LINE], { buyer_country: 'ZZ' }), 'invalid_country', 'buyer_country'],
  ['mor', pay([LINE], { buyer_country: 'US', buyer_region: 'CA-QC' }), 'invalid_region', 'buyer_region'],
  ['mor', pay([{ price_id: 'price_max', quantity: 2 }]), 'amount_too_large', 'line_items[0]'],
  ['mor', pay([LINE, { product_id: 'prod_big', quantity: 1 }]), 'amount_too_large', 'line_items[1]'],
  ['mor', pay([LINE], { customer_email: 'buyer@' }), 'invalid_email', 'customer_email'],
  ['mor', pay([LINE], { success_url: 'yoursite.com/success' }), 'invalid_url', 'success_url'],
  ['mor', pay([LINE], { client_reference_id: 'o'.repeat(201) }), 'limit_exceeded', 'client_reference_id'],
  ['mor', pay(Array.from({ length: 101 }, () => LINE)), 'limit_exceeded', 'line_items'],
];

const { stringifyJson } = require('..');
const asText = (request) => (typeof request === 'string' ? request : stringifyJson(request));

test('every refusal is a RequestError with the code and param, from quote and quoteJson', () => {
  for (const [seller, request, code, param] of REFUSALS) {
    const engine = engines[seller];
    const e = refusedWith(assert, () => engine.quote(request, { at: AT }), code, param);
    assert.equal(e.name, 'RequestError');
    assert.deepEqual(e.toJSON(), { error: { code, message: e.message, param } });
    refusedWith(assert, () => engine.quote(asText(request), { at: AT }), code, param);
    refusedWith(assert, () => engine.quoteJson(asText(request), { at: AT }), code, param);
    refusedWith(assert, () => engine.quoteJson(Buffer.from(asText(request)), { at: AT }), code, param);
  }
});

test('the refusals are the CLI answers: same code, param and message', () => {
  const catalog = tempFile('errors-catalog.json', stringifyJson(CATALOG));
  for (const [seller, request, code, param] of REFUSALS) {
    const args = ['quote', '--catalog', catalog, '--merchant-type', seller, '--at', AT, '-'];
    const run = runCli(args, asText(request));
    assert.equal(run.status, 1, run.stderr);
    const { error } = JSON.parse(run.stdout);
    let thrown;
    try {
      engines[seller].quoteJson(asText(request), { at: AT });
    } catch (e) {
      thrown = e;
    }
    assert.deepEqual({ code: thrown.code, param: thrown.param, message: thrown.message }, error);
    assert.deepEqual([error.code, error.param], [code, param]);
  }
});

test('every code of the spec is in ERROR_CODES and is produced above', () => {
  for (const code of SPEC_CODES) {
    assert.ok(ERROR_CODES.includes(code), `the engine has no ${code}`);
    assert.ok(REFUSALS.some((r) => r[2] === code), `no case produces ${code}`);
  }
});

test('every code the engine has is reached through the package, or is internal', () => {
  const reached = new Set(REFUSALS.map((r) => r[2]));
  const e = new Engine({ catalog: CATALOG });
  // invalid_date: a bad `at`, param `at`, from every method.
  for (const at of ['2025-6-01', '2025-02-30', '01/06/2025', '', new Date(NaN), 20250601]) {
    refusedWith(assert, () => e.quote(pay([LINE]), { at }), 'invalid_date', 'at');
  }
  refusedWith(assert, () => e.quoteJson('{}', { at: 'today' }), 'invalid_date', 'at');
  refusedWith(assert, () => e.verify(pay([LINE]), {}, { at: 'x' }), 'invalid_date', 'at');
  refusedWith(assert, () => e.quoteMany([pay([LINE])], { at: 'x' }), 'invalid_date', 'at');
  refusedWith(assert, () => e.rates({ at: 'x' }), 'invalid_date', 'at');
  reached.add('invalid_date');
  // date_not_covered (spec v2): before the embedded table's first date.
  if (ERROR_CODES.includes('date_not_covered')) {
    refusedWith(assert, () => e.quote(pay([LINE], { buyer_country: 'DE' }), { at: '2023-06-01' }), 'date_not_covered', 'at');
    reached.add('date_not_covered');
  }
  // Discounts (spec v3): each code with its param.
  const withCoupons = new Engine({
    merchant: { merchant_type: 'direct' },
    catalog: {
      products: [{ id: 'prod_a', default_price: 'price_a' }, { id: 'prod_b' }],
      prices: [{ id: 'price_a', product: 'prod_a', currency: 'usd', unit_amount: 1000 }],
      coupons: [
        { id: 'co_ok', percent_off: 10 },
        { id: 'co_off', percent_off: 10, active: false },
        { id: 'co_b', percent_off: 10, applies_to: { products: ['prod_b'] } },
      ],
      promotion_codes: [{ code: 'OLD', coupon: 'co_ok', active: false }],
    },
  });
  const withDiscount = (discounts) => ({ mode: 'payment', line_items: [{ price_id: 'price_a', quantity: 1 }], discounts });
  for (const [discounts, code, param] of [
    [[{ coupon: 'co_ok' }, { coupon: 'co_ok' }], 'invalid_discount', 'discounts'],
    [[{ coupon: 'co_nope' }], 'unknown_coupon', 'discounts[0].coupon'],
    [[{ coupon: 'co_off' }], 'inactive_coupon', 'discounts[0].coupon'],
    [[{ promotion_code: 'NOPE' }], 'unknown_promotion_code', 'discounts[0].promotion_code'],
    [[{ promotion_code: 'old' }], 'inactive_promotion_code', 'discounts[0].promotion_code'],
    [[{ coupon: 'co_b' }], 'coupon_not_applicable', 'discounts[0]'],
  ]) {
    refusedWith(assert, () => withCoupons.quote(withDiscount(discounts), { at: AT }), code, param);
    reached.add(code);
  }
  // The engine's inputs: DataError.
  assert.throws(() => new Engine({ taxData: 'not,a,header\n' }), (err) => err instanceof DataError && err.code === 'invalid_tax_data');
  reached.add('invalid_tax_data');
  // A bad catalog (spec v2: checked at load, the entry's path as param).
  assert.throws(() => new Engine({ catalog: '{"prices": 5}' }), (err) => err instanceof DataError && err.code === 'invalid_catalog' && err.param === 'prices');
  reached.add('invalid_catalog');
  assert.throws(() => new Engine({ merchant: { merchant_type: 'reseller' } }), (err) => err instanceof DataError && err.code === 'invalid_configuration' && err.param === 'merchant');
  reached.add('invalid_configuration');
  for (const code of ERROR_CODES) {
    if (code === 'internal') continue; // a bug, never the input's fault
    assert.ok(reached.has(code), `no test reaches ${code}`);
  }
});

test('RequestError and DataError are Errors with a stack', () => {
  const e = new RequestError('unknown_price', 'unknown price `x`', 'line_items[0].price_id');
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'RequestError');
  assert.ok(typeof e.stack === 'string');
  assert.equal(JSON.stringify(e), '{"error":{"code":"unknown_price","message":"unknown price `x`","param":"line_items[0].price_id"}}');
  const d = new DataError('invalid_tax_data', 'bad', null, 3);
  assert.ok(d instanceof Error);
  assert.equal(d.line, 3);
});
