'use strict';
// The test a Node team writes for its checkout service: every amount the
// service answers is recomputed by the engine with `verify`.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Engine } = require('..'); // require('checkout-tax') in your service
const { createApp } = require('./express');

const repo = path.join(__dirname, '..', '..', '..');
const catalog = fs.readFileSync(path.join(repo, 'examples', 'catalog.json'), 'utf8');
const engine = new Engine({ catalog });
const AT = '2025-06-01';
const request = JSON.parse(fs.readFileSync(path.join(repo, 'examples', 'request.json'), 'utf8'));

test('a fake service response with the right amounts matches; a wrong one is caught', () => {
  // What the provider's sandbox answered once, saved as a fixture.
  const response = JSON.parse(fs.readFileSync(path.join(repo, 'examples', 'response.json'), 'utf8'));
  const report = engine.verify(request, response, { at: AT });
  assert.equal(report.match, true, JSON.stringify(report.mismatches));
  assert.equal(report.quote.amount_tax, 72); // 999 x 7.25% in California

  // A service that rounded the tax down (999 x 7.25% = 72.43 -> 72 is right; 71 is not).
  response.data.session.amount_tax = 71;
  response.data.session.amount_total = 1070;
  const wrong = engine.verify(request, response, { at: AT });
  assert.equal(wrong.match, false);
  assert.deepEqual(wrong.mismatches.map((m) => [m.field, m.expected, m.actual]), [
    ['amount_tax', 72, 71],
    ['amount_total', 1071, 1070],
  ]);
});

test('the Express service: its sessions and its refusals verify', async (t) => {
  const server = createApp(engine).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address().port}/v1/checkout/sessions?at=${AT}`;
  const post = (body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  const created = await post(JSON.stringify(request));
  assert.equal(created.status, 200);
  const body = await created.text();
  const report = engine.verify(request, body, { at: AT });
  assert.equal(report.match, true, JSON.stringify(report.mismatches));
  const { session } = JSON.parse(body).data;
  assert.match(session.id, /^cs_[0-9a-f]{24}$/);
  assert.deepEqual([session.amount_subtotal, session.amount_tax, session.amount_total], [999, 72, 1071]);

  const bad = { ...request, line_items: [{ price_id: 'price_nope', quantity: 1 }] };
  const refused = await post(JSON.stringify(bad));
  assert.equal(refused.status, 400);
  const answer = await refused.json();
  assert.deepEqual(answer.error, { code: 'unknown_price', param: 'line_items[0].price_id' });
  // The service's refusal is the engine's: verify calls it a match.
  assert.equal(engine.verify(bad, answer, { at: AT }).match, true);

  const broken = await post('{"mode": "payment", ');
  assert.equal(broken.status, 400);
  assert.equal((await broken.json()).error.code, 'invalid_request');
});
