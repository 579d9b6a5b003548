// Type declarations for checkout-tax (the Rust engine as a Node.js addon).

/** An amount of minor units: a number when it is a safe integer, else a BigInt. */
export type Amount = number | bigint;

/** A JSON value as this package reads and writes it (BigInt for big integers). */
export type JsonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** The date whose rates apply: `YYYY-MM-DD` text or a Date (its UTC day); default today in UTC. */
export type At = string | Date;

export interface CallOptions {
  at?: At;
}

/** One line of a create-session request. */
export interface LineItemRequest {
  price_id?: string;
  product_id?: string;
  ad_hoc_amount?: Amount;
  ad_hoc_currency?: string;
  quantity?: number;
  description?: string;
  [field: string]: unknown;
}

/** The create-session request, as `checkout-tax quote` reads it. */
export interface SessionRequest {
  mode?: 'payment' | 'subscription' | 'setup' | (string & {});
  presentation?: 'iframe' | 'link' | (string & {});
  line_items?: LineItemRequest[];
  customer_email?: string;
  success_url?: string;
  cancel_url?: string;
  buyer_country?: string;
  buyer_region?: string;
  client_reference_id?: string;
  [field: string]: unknown;
}

/** A request given as an object, JSON text, or JSON bytes. */
export type RequestInput = SessionRequest | string | Uint8Array;

/** One tax component of a quoted line. */
export interface TaxComponent {
  name: string;
  jurisdiction: string;
  /** The rate in percent, as decimal text (`"7.25"`). */
  rate: string;
  amount: Amount;
  /** Spec v2: the base the rate applies to. */
  taxable_amount?: Amount;
  /** Spec v2: `standard_rated`, `reduced_rated`, `zero_rated`, ... */
  taxability_reason?: string;
}

/** One quoted line. */
export interface QuoteLine {
  price_id?: string | null;
  product_id?: string | null;
  tax_category?: string | null;
  unit_amount: Amount;
  quantity: number;
  amount_subtotal: Amount;
  amount_tax: Amount;
  amount_total: Amount;
  taxes: TaxComponent[];
  description?: string | null;
  taxability_reason?: string;
}

export type TaxStatus = 'calculated' | 'requires_location' | 'not_collecting' | 'no_tax_data';

/** The engine's quote: the same JSON value as `checkout-tax quote --format json`. */
export interface Quote {
  mode: string;
  /** Upper-case ISO 4217 code; null for a setup session. */
  currency: string | null;
  amount_subtotal: Amount;
  amount_tax: Amount;
  amount_total: Amount;
  tax_status: TaxStatus;
  tax_jurisdiction?: string | null;
  tax_regime?: 'exclusive' | 'inclusive' | null;
  client_reference_id?: string | null;
  line_items: QuoteLine[];
  /** Spec v2: the date whose rates were used. */
  tax_date?: string;
  /** Spec v2: which tax data answered. */
  tax_data_version?: JsonValue;
  taxability_reason?: string;
}

/** The spec's error object. */
export interface ErrorBody {
  code: string;
  message: string;
  param: string | null;
}

/** A refusal in the results of `quoteMany`. */
export interface Refusal {
  error: ErrorBody;
}

/** One difference found by `verify`. */
export interface Mismatch {
  /** `amount_tax`, `line_items[1].amount_total`, `error.code`, `response`. */
  field: string;
  expected: JsonValue;
  actual: JsonValue;
}

/** What `verify` found. */
export interface VerifyReport {
  match: boolean;
  kind?: 'amounts' | 'outcome' | 'error_code' | 'response';
  mismatches: Mismatch[];
  /** The engine's refusal, when it refused the request. */
  error?: ErrorBody;
  /** The engine's quote, when it quoted the request. */
  quote?: Quote;
}

/** One row of the tax table. */
export interface RateRow {
  jurisdiction: string;
  regime: 'exclusive' | 'inclusive';
  tax_name: string;
  category: string;
  rate: string;
  valid_from: string | null;
  valid_to: string | null;
  source: string;
}

/** The rates in force, as `checkout-tax rates --format json` prints them. */
export interface RatesAnswer {
  at: string;
  rates: RateRow[];
}

export interface RatesOptions extends CallOptions {
  /** `DE`, `US-CA`, ...; a country also selects its regions; all when empty. */
  jurisdictions?: string[];
}

/** The merchant's settings (every field has a default). */
export interface MerchantSettings {
  merchant_type?: 'merchant_of_record' | 'mor' | 'direct';
  tax_registrations?: string[];
  rounding_level?: 'line' | 'document';
  rounding_mode?: 'half_up' | 'half_even';
  [field: string]: unknown;
}

export interface EngineOptions {
  /** The catalog (`{products, prices}`) as an object or JSON text; default empty. */
  catalog?: { [key: string]: JsonValue } | string;
  /** Default: Merchant of Record, registered everywhere, line rounding half up. */
  merchant?: MerchantSettings | string;
  /** The tax table as CSV text; default the embedded table. */
  taxData?: string | Uint8Array;
}

/** Quotes checkout sessions; built once (parsing catalog and table), then reused. */
export class Engine {
  /** @throws {DataError} for a malformed catalog, merchant or tax table */
  constructor(options?: EngineOptions);
  /** @throws {RequestError} when the engine refuses the request */
  quote(request: RequestInput, options?: CallOptions | At): Quote;
  /** The quote as compact JSON text (full precision). @throws {RequestError} */
  quoteJson(text: string | Uint8Array, options?: CallOptions | At): string;
  /** Never throws for a refusal; only `invalid_date` for a bad `at`. */
  verify(request: RequestInput, response: unknown, options?: CallOptions | At): VerifyReport;
  /** A quote or `{error}` per request, in order; throws only for a bad `at`. */
  quoteMany(requests: Iterable<RequestInput>, options?: CallOptions | At): Array<Quote | Refusal>;
  /** @throws {RequestError} `invalid_date` or `invalid_request` for a bad jurisdiction */
  rates(options?: RatesOptions): RatesAnswer;
}

/** A refused request. */
export class RequestError extends Error {
  constructor(code: string, message: string, param?: string | null);
  readonly name: 'RequestError';
  /** The spec's snake_case code (`unknown_price`). */
  code: string;
  /** The path of the offending input (`line_items[1].price_id`), or null. */
  param: string | null;
  toJSON(): Refusal;
}

/** A malformed catalog, merchant or tax table. */
export class DataError extends Error {
  constructor(code: string, message: string, param?: string | null, line?: number | null);
  readonly name: 'DataError';
  /** `invalid_tax_data` or `invalid_configuration`. */
  code: string;
  /** The input (`catalog`, `merchant`) or the field, when known. */
  param: string | null;
  /** The 1-based line of the tax file, for tax data. */
  line: number | null;
}

/** Every error code the engine can give, in the spec's order. */
export const ERROR_CODES: readonly string[];

/** JSON.parse with integers outside the safe range as BigInt. */
export function parseJson(text: string): JsonValue;

/** JSON.stringify that writes BigInt as exact integers. */
export function stringifyJson(value: unknown): string | undefined;
