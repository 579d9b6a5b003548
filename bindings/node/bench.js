#!/usr/bin/env node
'use strict';
// Per-call median cost of a 3-line quote (US-CA, embedded table):
//   quote(object)        JSON.stringify in JS, text across, the compact answer out
//                        built into the object by quote-builder.js (src/compact.rs)
//   quote(text)          text in, object out (the same compact answer)
//   JSON.parse path      what quote(object) did before: JSON.stringify, quoteJson, JSON.parse
//   quoteJson(text)      text in, text out (the engine's own bytes)
//   serde values         the path not taken: JS object <-> serde_json::Value field by field
//   Rust quote_json      the same bytes through Engine::quote_json, no Node (examples/rust_timing.rs)
//   Rust Engine::quote   the parsed request only (what `cargo bench -- quote/3_lines` times)
//   JS Number            a hand-written JS implementation of this one quote
// and then quote(object) and quoteJson(text) in rounds interleaved with Rust's
// quote_json timed in this process, as ratios to it.
// Each figure is the median of 200 batches; compare ratios within one run
// (the machine is shared and noisy). Run: npm run bench
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Engine } = require('.');

const AT = '2025-06-01';
const catalog = {
  products: [0, 1, 2].map((i) => ({ id: `prod_${i}`, tax_category: 'general', default_price: `price_${i}` })),
  prices: [0, 1, 2].map((i) => ({ id: `price_${i}`, product: `prod_${i}`, currency: 'usd', unit_amount: 1000 + 333 * i })),
};
const request = {
  mode: 'payment',
  line_items: [0, 1, 2].map((i) => ({ price_id: `price_${i}`, quantity: 2 })),
  customer_email: 'buyer@example.com',
  success_url: 'https://shop.example.com/success',
  buyer_country: 'US',
  buyer_region: 'CA',
  client_reference_id: 'order_1',
};
const text = JSON.stringify(request);
const bytes = Buffer.from(text);
const engine = new Engine({ catalog });

// The serde path is measured on the addon directly.
const addon = require('./checkout-tax.node');
const rawEngine = addon.newEngine(JSON.stringify(catalog), undefined, undefined);

/** A hand-written JS Number implementation of this quote (US-CA 7.25% exclusive, line rounding half up). */
const prices = new Map(catalog.prices.map((p) => [p.id, p]));
function jsQuote(req) {
  const lines = req.line_items.map((l) => {
    const price = prices.get(l.price_id);
    const base = price.unit_amount * l.quantity;
    const tax = Math.floor((base * 725 + 5000) / 10000); // basis points of a percent, half up
    return {
      price_id: l.price_id, product_id: price.product, tax_category: 'general', unit_amount: price.unit_amount, quantity: l.quantity,
      amount_subtotal: base, amount_tax: tax, amount_total: base + tax,
      taxes: [{ name: 'Sales tax', jurisdiction: 'US-CA', rate: '7.25', amount: tax }],
    };
  });
  const sum = (k) => lines.reduce((s, l) => s + l[k], 0);
  return {
    mode: req.mode, currency: 'USD', amount_subtotal: sum('amount_subtotal'), amount_tax: sum('amount_tax'), amount_total: sum('amount_total'),
    tax_status: 'calculated', tax_jurisdiction: 'US-CA', tax_regime: 'exclusive', client_reference_id: req.client_reference_id, line_items: lines,
  };
}

// The answers agree before anything is timed.
const expected = engine.quote(request, { at: AT });
const check = (q, what) => {
  if (Number(q.amount_total) !== Number(expected.amount_total) || Number(q.amount_tax) !== Number(expected.amount_tax)) {
    throw new Error(`${what}: ${q.amount_tax}/${q.amount_total}, engine ${expected.amount_tax}/${expected.amount_total}`);
  }
};
check(jsQuote(request), 'JS Number');
check(addon.benchQuoteSerde(rawEngine, request, AT), 'serde');
check(JSON.parse(engine.quoteJson(text, { at: AT })), 'quoteJson');

function medianNs(fn, per = 2000, rounds = 200) {
  for (let i = 0; i < per * 5; i++) fn(); // warm up the JIT
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < per; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / per);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1], min: samples[0] };
}

let sink = 0;
const opts = { at: AT };
const results = {
  'quote(object)': medianNs(() => { sink += engine.quote(request, opts).amount_total; }),
  'quote(text)': medianNs(() => { sink += engine.quote(text, opts).amount_total; }),
  'JSON.parse path (not used)': medianNs(() => { sink += JSON.parse(engine.quoteJson(JSON.stringify(request), opts)).amount_total; }),
  'quoteJson(text)': medianNs(() => { sink += engine.quoteJson(text, opts).length; }),
  'quoteJson(bytes)': medianNs(() => { sink += engine.quoteJson(bytes, opts).length; }),
  'serde values (not used)': medianNs(() => { sink += addon.benchQuoteSerde(rawEngine, request, AT).amount_total; }, 200),
  'JS Number': medianNs(() => { sink += jsQuote(request).amount_total; }),
};

// The Rust side, on the same catalog and bytes.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkout-tax-bench-'));
fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(catalog));
fs.writeFileSync(path.join(dir, 'request.json'), text);
const rust = JSON.parse(execFileSync('cargo', ['run', '-q', '--release', '--locked', '-p', 'checkout-tax-node', '--example', 'rust_timing', '--', path.join(dir, 'catalog.json'), path.join(dir, 'request.json'), AT], { cwd: __dirname, stdio: ['ignore', 'pipe', 'inherit'] }));
results['Rust quote_json (bytes in, bytes out)'] = { median: rust.quote_json_ns, min: rust.quote_json_min_ns };
results['Rust Engine::quote (parsed request)'] = { median: rust.quote_parsed_ns, min: rust.quote_parsed_min_ns };

// The same paths in interleaved rounds with Rust's quote_json timed in
// this process (the addon's benchRustQuoteJson): the host runs at two
// speeds by turns (stretches of 0.1-1 s, 1.6x apart, Rust alone included),
// so a median of one path's own rounds depends on which speed held then;
// the ratio within a round does not.
function interleaved(paths, per = 1000, rounds = 200) {
  const ratios = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  const rustRounds = [];
  for (let r = 0; r < rounds; r++) {
    const rustNs = addon.benchRustQuoteJson(rawEngine, text, AT, per);
    rustRounds.push(rustNs);
    for (const [name, fn] of Object.entries(paths)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < per; i++) fn();
      ratios[name].push(Number(process.hrtime.bigint() - t0) / per / rustNs);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return { rust: median(rustRounds), rustMin: Math.min(...rustRounds), ratio: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, median(v)])) };
}
const inRounds = interleaved({
  'quote(object)': () => { sink += engine.quote(request, opts).amount_total; },
  'quoteJson(text)': () => { sink += engine.quoteJson(text, opts).length; },
});

const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
console.log(`3-line quote, per call: median (min) of 200 batches (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}, node ${process.version})`);
for (const [name, { median, min }] of Object.entries(results)) {
  console.log(`  ${name.padEnd(40)} ${us(median).padStart(10)} (${us(min)})`);
}
const rustNs = results['Rust quote_json (bytes in, bytes out)'].median;
const target = 2 * rustNs + 1000;
const got = results['quoteJson(text)'].median;
console.log(`quoteJson / Rust quote_json = ${(got / rustNs).toFixed(2)}x; target quoteJson <= 2 x Rust + 1 µs = ${us(target)}: ${got <= target ? 'met' : 'MISSED'}`);
const object = results['quote(object)'].median;
console.log(`quote(object) / quoteJson(text) = ${(object / got).toFixed(2)}x; target quote(object) <= 5 µs: ${object <= 5000 ? 'met' : 'MISSED'}`);
console.log(`interleaved rounds with Rust quote_json in this process (median ${us(inRounds.rust)}, fastest ${us(inRounds.rustMin)}), median ratio of each round:`);
for (const [name, ratio] of Object.entries(inRounds.ratio)) {
  console.log(`  ${name.padEnd(16)} ${ratio.toFixed(2)} x Rust = ${us(ratio * inRounds.rustMin)} at Rust's fastest round`);
}
const qj = inRounds.ratio['quoteJson(text)'];
console.log(`  quoteJson <= 2 x Rust + 1 µs at Rust's fastest round (${us(2 * inRounds.rustMin + 1000)}): ${qj * inRounds.rustMin <= 2 * inRounds.rustMin + 1000 ? 'met' : 'MISSED'}; quote(object) <= 5 µs there: ${inRounds.ratio['quote(object)'] * inRounds.rustMin <= 5000 ? 'met' : 'MISSED'}`);
if (sink === 0) console.log('');
