'use strict';
// A checkout service in Express that prices every session with the engine:
//
//   POST /v1/checkout/sessions  (the create-session request as JSON)
//   -> 200 {success, message, data: {session, url}}   the session carries the engine's amounts
//   -> 400 {success: false, message, error: {code, param}}   the engine's refusal
//
// Run it: node examples/express.js   (PORT, default 3000)
//   curl -s localhost:3000/v1/checkout/sessions -H 'content-type: application/json' \
//     -d @../../examples/request.json

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');
const { Engine, RequestError, stringifyJson } = require('..'); // require('checkout-tax') in your service

/** The app, over an engine built once at start-up. */
function createApp(engine) {
  const app = express();
  // Raw bytes: the engine parses them itself (full precision, its own
  // limits and errors), so Express never turns an amount into a float.
  app.use(express.raw({ type: 'application/json', limit: '1mb' }));

  app.post('/v1/checkout/sessions', (req, res) => {
    try {
      const quote = engine.quote(req.body, { at: req.query.at });
      const id = `cs_${crypto.randomBytes(12).toString('hex')}`;
      const session = { id, status: 'open', ...quote, expires_at: Math.floor(Date.now() / 1000) + 24 * 3600 };
      // stringifyJson writes amounts past 2^53 (BigInt) as exact integers.
      res.type('json').send(stringifyJson({
        success: true,
        message: 'Checkout session created',
        data: { session, url: `https://checkout.example.com/c/${id}` },
      }));
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      res.status(400).json({ success: false, message: err.message, error: { code: err.code, param: err.param } });
    }
  });
  return app;
}

module.exports = { createApp };

if (require.main === module) {
  const catalog = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'catalog.json'), 'utf8');
  const engine = new Engine({ catalog, merchant: { merchant_type: 'merchant_of_record' } });
  const port = Number(process.env.PORT ?? 3000);
  const server = createApp(engine).listen(port, '127.0.0.1', () => {
    console.error(`listening on http://127.0.0.1:${server.address().port}`);
  });
}
