// Starts the real `checkout-tax serve` binary on port 0 and drives Debian's
// Chromium with playwright-core. Every page opened here records console
// errors, uncaught exceptions and any request that leaves the server's
// origin, so each test can assert there were none.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "../..");
export const BIN = process.env.CHECKOUT_TAX_BIN ?? path.join(ROOT, "target/debug/checkout-tax");
export const CATALOG = path.join(ROOT, "examples/catalog.json");
export const SHOTS = path.join(ROOT, "target/screenshots");
export const WIDTHS = [1280, 390];

/** Starts `checkout-tax serve ARGS --listen 127.0.0.1:0` and waits for its `listening on` line. */
export function startServer(args = []) {
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`serve did not say where it listens within 20 s:\n${log}`)), 20000);
    const fail = (err) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`serve exited with ${code} before listening:\n${log}`)));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      // The whole line: a chunk may end inside the address.
      const m = /listening on (http:\/\/\S+)\r?\n/.exec(log);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({
          url: m[1].replace(/\/$/, ""),
          log: () => log,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once("exit", done);
              child.kill("SIGTERM");
            }),
        });
      }
    });
  });
}

/** Debian's Chromium, headless, with the flags this machine needs (no background network). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A new page of `width` px on the server, with its problems recorded:
 * `problems()` lists console errors, page errors and off-origin requests.
 */
export async function openPage(browser, server, { width = 1280, permissions = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  if (permissions.length) await context.grantPermissions(permissions, { origin: server.url });
  const page = await context.newPage();
  const problems = [];
  const origin = new URL(server.url).origin;
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  context.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith("data:") && new URL(u).origin !== origin) problems.push(`request outside the origin: ${u}`);
  });
  return { page, context, problems: () => problems.slice(), close: () => context.close() };
}

/** Saves a full-page screenshot as target/screenshots/NAME-WIDTH.png. */
export async function shot(page, name, width) {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}-${width}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The page's deep link for a request, a date and optional settings. */
export function deepLink(server, request, at, settings = {}) {
  const q = new URLSearchParams({ request: JSON.stringify(request), at, ...settings });
  return `${server.url}/?${q}`;
}

/** The CLI's own answer (`checkout-tax quote`) for the same inputs, to compare with the page. */
export function cliQuote(request, at, flags = []) {
  const r = spawnSync(BIN, ["quote", "--catalog", CATALOG, "--at", at, ...flags, "-"], { input: JSON.stringify(request) });
  return JSON.parse(r.stdout.toString());
}

/** The data-value of an element, waiting for it to appear. */
export async function value(page, selector) {
  const loc = page.locator(selector).first();
  await loc.waitFor({ state: "attached" });
  return loc.getAttribute("data-value");
}

/** Waits until the quote panel has settled on a quote or a refusal. */
export async function settled(page, state = "quote") {
  await page.locator(`#result[data-state="${state}"]:not([aria-busy])`).waitFor({ state: "attached" });
}

/** The page's session totals and status, as the data-value hooks give them. */
export async function totals(page) {
  return page.evaluate(() => {
    const v = (sel) => document.querySelector(sel)?.getAttribute("data-value") ?? null;
    const lines = [...document.querySelectorAll("[data-testid^=line-]")].map((li) => ({
      amount_subtotal: li.querySelector("[data-testid=amount_subtotal]")?.dataset.value,
      amount_tax: li.querySelector("[data-testid=amount_tax]")?.dataset.value,
      amount_total: li.querySelector("[data-testid=amount_total]")?.dataset.value,
      taxes: [...li.querySelectorAll("[data-testid^=tax-]")].map((t) => [t.dataset.rate, t.dataset.value]),
    }));
    return {
      tax_status: v("[data-testid=tax_status]"),
      amount_subtotal: v("[data-testid=amount_subtotal]"),
      amount_tax: v("[data-testid=amount_tax]"),
      amount_total: v("[data-testid=amount_total]"),
      lines,
    };
  });
}

/** The shown text of the session total, tax and subtotal (formatted amounts). */
export async function shownTotals(page) {
  return page.evaluate(() =>
    Object.fromEntries(["amount_subtotal", "amount_tax", "amount_total"].map((k) => [k, document.querySelector(`.totals [data-testid=${k}]`)?.textContent ?? null])),
  );
}

/** True when the page is no wider than its viewport (no horizontal scrolling). */
export async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}
