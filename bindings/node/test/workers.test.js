'use strict';
// The addon loads in worker threads; each builds its own Engine and quotes
// concurrently with the main thread, with the same answers.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { Engine } = require('..');
const { AT, EXAMPLE_CATALOG, readRepo } = require('../testing/common');

const REQUESTS = ['request.json', 'request_eu_de.json', 'request_ca_qc.json', 'request_subscription.json'].map((f) => readRepo('examples', f));
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { Engine } = require(workerData.pkg);
const engine = new Engine({ catalog: workerData.catalog });
const out = [];
for (let i = 0; i < workerData.rounds; i++) {
  for (const r of workerData.requests) out.push(engine.quoteJson(r, { at: workerData.at }));
}
try { engine.quote('{', { at: workerData.at }); } catch (e) { out.push(e.constructor.name + ':' + e.code); }
parentPort.postMessage(out);
`;

function runWorker(rounds) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { pkg: path.resolve(__dirname, '..'), catalog: EXAMPLE_CATALOG, requests: REQUESTS, at: AT, rounds } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('four workers and the main thread quote at once, with the same answers', async () => {
  const rounds = 500;
  const engine = new Engine({ catalog: EXAMPLE_CATALOG });
  const want = REQUESTS.map((r) => engine.quoteJson(r, { at: AT }));
  const workers = [1, 2, 3, 4].map(() => runWorker(rounds));
  for (let i = 0; i < rounds; i++) {
    REQUESTS.forEach((r, j) => assert.equal(engine.quoteJson(r, { at: AT }), want[j]));
  }
  for (const out of await Promise.all(workers)) {
    assert.equal(out.length, rounds * REQUESTS.length + 1);
    out.slice(0, -1).forEach((text, k) => assert.equal(text, want[k % REQUESTS.length]));
    assert.equal(out.at(-1), 'RequestError:invalid_request');
  }
});

test('a worker that exits leaves the main thread working', async () => {
  await runWorker(1);
  await runWorker(1);
  assert.equal(new Engine({ catalog: EXAMPLE_CATALOG }).quote(REQUESTS[0], AT).tax_status, 'calculated');
});
