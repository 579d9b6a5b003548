'use strict';
// Amounts past 2^53: BigInt in, BigInt out, exact; safe integers stay numbers.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, parseJson, stringifyJson } = require('..');
const { AT } = require('../testing/common');

const TABLE = `jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source
US-TX,exclusive,Sales tax,*,6.25,,,https://comptroller.texas.gov/taxes/sales/
`;
const direct = new Engine({ merchant: { merchant_type: 'direct' }, taxData: TABLE });
const MAX = 2n ** 63n - 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER); // 2^53 - 1

const adHoc = (amount, quantity = 1, extra = {}) => ({
  mode: 'payment',
  line_items: [{ ad_hoc_amount: amount, ad_hoc_currency: 'usd', quantity }],
  ...extra,
});

/** Exact 6.25% rounded half up, in BigInt: the test's own arithmetic. */
const tax625 = (base) => (base * 625n + 5000n) / 10000n;

test('around 2^53 and at 2^63-1, untaxed: numbers while safe, BigInt beyond', () => {
  for (const amount of [SAFE - 1n, SAFE, SAFE + 1n, SAFE + 2n, SAFE + 3n, 2n ** 62n, MAX]) {
    const q = direct.quote(adHoc(amount), { at: AT });
    const safe = amount <= SAFE;
    for (const v of [q.amount_subtotal, q.amount_total, q.line_items[0].unit_amount, q.line_items[0].amount_total]) {
      assert.equal(typeof v, safe ? 'number' : 'bigint', `${amount}`);
      assert.equal(BigInt(v), amount);
    }
    assert.equal(q.amount_tax, 0);
    // The text keeps every digit too.
    const text = direct.quoteJson(stringifyJson(adHoc(amount)), { at: AT });
    assert.match(text, new RegExp(`"amount_total":${amount}[,}]`));
  }
});

test('a safe number given as a number stays a number; a BigInt that is safe comes back a number', () => {
  const q = direct.quote(adHoc(Number.MAX_SAFE_INTEGER), { at: AT });
  assert.equal(q.amount_total, Number.MAX_SAFE_INTEGER);
  assert.equal(direct.quote(adHoc(1234n), { at: AT }).amount_total, 1234);
});

test('2^63 and beyond are refused, never wrapped', () => {
  for (const amount of [2n ** 63n, 2n ** 64n + 1n, 10n ** 30n]) {
    assert.throws(() => direct.quote(adHoc(amount), { at: AT }), { name: 'RequestError', code: 'invalid_amount', param: 'line_items[0].ad_hoc_amount' });
  }
  assert.throws(() => direct.quote(adHoc(MAX, 2), { at: AT }), { code: 'amount_too_large' });
});

test('a quantity that carries the base across 2^53 is exact', () => {
  const unit = 3002399751580331n; // x 3 = 2^53 + 1
  const q = direct.quote(adHoc(unit, 3), { at: AT });
  assert.equal(q.line_items[0].unit_amount, Number(unit)); // safe: a number
  assert.equal(q.amount_subtotal, 9007199254740993n);
  assert.equal(q.amount_total, 9007199254740993n);
});

test('tax on amounts past 2^53 is exact (6.25% of 2^53 + 1, of 2^62)', () => {
  for (const base of [SAFE + 2n, 2n ** 62n, 2n ** 60n + 7n]) {
    const q = direct.quote(adHoc(base, 1, { buyer_country: 'US', buyer_region: 'TX' }), { at: AT });
    const tax = tax625(base);
    assert.equal(BigInt(q.amount_tax), tax);
    assert.equal(q.amount_total, base + tax);
    assert.equal(q.line_items[0].taxes[0].amount, Number.isSafeInteger(Number(tax)) ? Number(tax) : tax);
  }
  // 2^63 - 1 plus any tax does not fit.
  assert.throws(() => direct.quote(adHoc(MAX, 1, { buyer_country: 'US', buyer_region: 'TX' }), { at: AT }), { code: 'amount_too_large' });
});

test('JSON text keeps full precision whatever its numbers', () => {
  const body = '{"mode":"payment","line_items":[{"ad_hoc_amount":9007199254740993,"ad_hoc_currency":"usd","quantity":1}]}';
  const text = direct.quoteJson(body, { at: AT });
  assert.ok(text.includes('"amount_total":9007199254740993'));
  assert.equal(direct.quote(body, { at: AT }).amount_total, 9007199254740993n);
  assert.equal(direct.quote(Buffer.from(body), { at: AT }).amount_total, 9007199254740993n);
  // JSON.parse would have lost the last digit: the package did not.
  assert.notEqual(BigInt(JSON.parse(text).amount_total), 9007199254740993n);
});

test('a catalog price of 2^63-1 given as a BigInt', () => {
  const engine = new Engine({
    catalog: {
      products: [{ id: 'prod_big', tax_category: 'general', default_price: 'price_max' }],
      prices: [{ id: 'price_max', product: 'prod_big', currency: 'usd', unit_amount: MAX }],
    },
  });
  const q = engine.quote({ mode: 'payment', line_items: [{ price_id: 'price_max', quantity: 1 }] }, { at: AT });
  assert.equal(q.amount_total, MAX);
  assert.equal(q.line_items[0].unit_amount, MAX);
});

test('verify compares BigInt amounts exactly, in the response and the report', () => {
  const request = adHoc(SAFE + 2n);
  const session = { currency: 'usd', amount_subtotal: SAFE + 2n, amount_tax: 0, amount_total: SAFE + 2n };
  const ok = direct.verify(request, { success: true, message: 'ok', data: { session } }, { at: AT });
  assert.equal(ok.match, true, JSON.stringify(ok.mismatches, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  assert.equal(ok.quote.amount_total, SAFE + 2n);
  const off = direct.verify(request, { ...session, amount_total: SAFE + 3n }, { at: AT });
  assert.equal(off.match, false);
  assert.deepEqual(off.mismatches, [{ field: 'amount_total', expected: SAFE + 2n, actual: SAFE + 3n }]);
});

test('quoteMany keeps BigInt per answer', () => {
  const [a, b] = direct.quoteMany([adHoc(MAX), adHoc(7n)], { at: AT });
  assert.equal(a.amount_total, MAX);
  assert.equal(b.amount_total, 7);
});

test('a BigInt.prototype.toJSON installed by the application does not change amounts', () => {
  // eslint-disable-next-line no-extend-native
  BigInt.prototype.toJSON = function toJSON() {
    return this.toString();
  };
  try {
    assert.equal(direct.quote(adHoc(SAFE + 2n), { at: AT }).amount_total, SAFE + 2n);
  } finally {
    delete BigInt.prototype.toJSON;
  }
});

test('parseJson and stringifyJson round-trip big integers and leave strings alone', () => {
  const text = '{"a":9223372036854775807,"b":"9223372036854775807","c":[-9007199254740993,1.5,1e300,12],"d":"x\\"12345678901234567\\""}';
  const v = parseJson(text);
  assert.deepEqual(v, { a: MAX, b: '9223372036854775807', c: [-9007199254740993n, 1.5, 1e300, 12], d: 'x"12345678901234567"' });
  assert.equal(stringifyJson({ a: MAX, b: [1n, undefined, () => 1], c: undefined, d: new Date(0) }), '{"a":9223372036854775807,"b":[1,null,null],"d":"1970-01-01T00:00:00.000Z"}');
  const cyclic = { n: 1n };
  cyclic.self = cyclic;
  assert.throws(() => stringifyJson(cyclic), TypeError);
});

test("the addon marks a quote text '!' exactly when it has a 16-digit run, wherever the run falls", () => {
  // The addon scans 8-byte blocks: runs of 15 to 17 digits at every
  // offset (the client reference shifts them) must be found as /\d{16}/ is.
  const addon = require('../checkout-tax.node');
  const native = addon.newEngine(undefined, '{"merchant_type":"direct"}', TABLE);
  let marked = 0;
  for (let shift = 0; shift < 9; shift++) {
    for (const digits of ['9'.repeat(15), '1' + '0'.repeat(15), '1'.repeat(17)]) {
      const request = adHoc(1, 1, { client_reference_id: `${'x'.repeat(shift)}${digits}` });
      const out = addon.quoteText(native, JSON.stringify(request), AT);
      const text = out.startsWith('!') ? out.slice(1) : out;
      assert.equal(out.startsWith('!'), /\d{16}/.test(text), `shift ${shift}, ${digits.length} digits`);
      marked += out.startsWith('!') ? 1 : 0;
    }
  }
  assert.equal(marked, 18);
});
