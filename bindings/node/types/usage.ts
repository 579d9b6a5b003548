// Compiled with `tsc --strict --noEmit` against index.d.ts (test/types.test.js):
// the declarations must let a strict TypeScript service use the package.
import { Engine, RequestError, DataError, ERROR_CODES, parseJson } from '..';
import type { Quote, Refusal, VerifyReport, RatesAnswer, Amount, SessionRequest } from '..';

const engine: Engine = new Engine({
  catalog: { products: [], prices: [] },
  merchant: { merchant_type: 'direct', rounding_level: 'document', rounding_mode: 'half_even', tax_registrations: ['DE'] },
  taxData: 'jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n',
});
new Engine();
new Engine({ catalog: '{"products": [], "prices": []}' });

const request: SessionRequest = {
  mode: 'payment',
  line_items: [{ ad_hoc_amount: 2n ** 60n, ad_hoc_currency: 'usd', quantity: 1 }],
  buyer_country: 'US',
  buyer_region: 'CA',
};

function toCents(a: Amount): bigint {
  return typeof a === 'bigint' ? a : BigInt(a);
}

try {
  const quote: Quote = engine.quote(request, { at: '2025-06-01' });
  const total: bigint = toCents(quote.amount_total) + toCents(quote.line_items[0].taxes[0]?.amount ?? 0);
  const status: 'calculated' | 'requires_location' | 'not_collecting' | 'no_tax_data' = quote.tax_status;
  console.log(total, status, quote.currency?.toLowerCase());
} catch (e) {
  if (e instanceof RequestError) {
    const code: string = e.code;
    const param: string | null = e.param;
    console.log(code, param, e.message, e.toJSON().error.code);
  } else if (e instanceof DataError) {
    const line: number | null = e.line;
    console.log(line);
  }
}

const text: string = engine.quoteJson(JSON.stringify(request), '2025-06-01');
engine.quoteJson(new Uint8Array([123, 125]), { at: new Date() });

const report: VerifyReport = engine.verify(request, { success: true, data: { session: { amount_total: 1079n } } });
if (!report.match) {
  for (const m of report.mismatches) console.log(m.field, m.expected, m.actual);
  console.log(report.kind, report.error?.code, report.quote?.amount_tax);
}

const many: Array<Quote | Refusal> = engine.quoteMany([request, text, new Uint8Array()], { at: '2025-06-01' });
for (const answer of many) {
  if ('error' in answer) console.log(answer.error.code, answer.error.param);
  else console.log(answer.amount_total);
}

const rates: RatesAnswer = engine.rates({ jurisdictions: ['DE'], at: '2025-06-01' });
console.log(rates.at, rates.rates.map((r) => `${r.jurisdiction} ${r.tax_name} ${r.rate}%`));
const codes: readonly string[] = ERROR_CODES;
console.log(codes.length, parseJson('{"a": 1}'));

// Misuse the declarations must reject.
// @ts-expect-error: the engine takes an options object, not a path
new Engine('catalog.json');
// @ts-expect-error: quoteJson returns text, not a quote
const wrong: Quote = engine.quoteJson('{}');
// @ts-expect-error: `at` is text or a Date
engine.quote(request, { at: 20250601 });
console.log(wrong);
