// Talks to the service that served the page (same origin, relative URLs) and
// asks for an API key when the service answers 401. The key is kept in
// sessionStorage only: it lives as long as the tab.

import { parseJson } from "./money.js";

const KEY_NAME = "checkout-tax.api-key";
let askForKey = null;
let pendingKey = null;

/** Sets the function that asks the person for a key (resolves to a key or null). */
export function onKeyNeeded(ask) {
  askForKey = ask;
}

/** The key of this tab, if one was given. */
export function apiKey() {
  try {
    return sessionStorage.getItem(KEY_NAME);
  } catch {
    return null;
  }
}

function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_NAME, key);
    else sessionStorage.removeItem(KEY_NAME);
  } catch {
    // storage disabled: the key is asked again on the next 401
  }
}

/** Forgets the key of this tab. */
export function forgetKey() {
  storeKey(null);
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of query ?? []) {
    if (value !== undefined && value !== null && value !== "") params.append(name, value);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

let worker = null;
let nextId = 0;
const waiting = new Map();

/** The worker that makes the calls (null where workers are unavailable). */
function fetcher() {
  if (worker === null) {
    try {
      worker = new Worker(new URL("fetcher.js", import.meta.url));
      worker.onmessage = ({ data }) => {
        const done = waiting.get(data.id);
        waiting.delete(data.id);
        done?.(data);
      };
    } catch {
      worker = false;
    }
  }
  return worker || null;
}

/** One HTTP exchange: {status, text}, status 0 when the service is unreachable. */
async function exchange(target, init, signal) {
  const w = fetcher();
  if (!w) {
    try {
      const response = await fetch(target, { ...init, signal });
      return { status: response.status, text: await response.text() };
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      return { status: 0, text: "" };
    }
  }
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    waiting.set(id, (answer) => (answer.aborted ? reject(new DOMException("aborted", "AbortError")) : resolve(answer)));
    signal?.addEventListener("abort", () => w.postMessage({ abort: id }), { once: true });
    w.postMessage({ id, url: target, ...init });
  });
}

/**
 * Calls the service: `path` is relative (`v1/quote`), `query` a list of
 * [name, value] pairs, `body` a string sent as JSON. Resolves to
 * `{status, data}` with the body parsed exactly (BigInt past 2^53), or
 * `{status: 0, data: null, failure}` when the service cannot be reached.
 * Rejects with an AbortError when `signal` aborts.
 */
export async function call(path, { method = "GET", query, body, signal } = {}) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const key = apiKey();
    if (key) headers["X-API-Key"] = key;
    const target = new URL(url(path, query), document.baseURI).href;
    const { status, text } = await exchange(target, { method, headers, body }, signal);
    if (status === 0) return { status: 0, data: null, failure: "The service could not be reached." };
    let data = null;
    try {
      data = text ? parseJson(text) : null;
    } catch {
      data = null;
    }
    if (status === 401 && askForKey) {
      if (!pendingKey) {
        pendingKey = askForKey(Boolean(key)).finally(() => {
          pendingKey = null;
        });
      }
      const given = await pendingKey;
      if (!given) return { status: 401, data };
      storeKey(given);
      continue;
    }
    return { status, data };
  }
  return { status: 401, data: null };
}
