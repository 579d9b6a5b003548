// The admin page in a real headless Chromium against the real
// `checkout-tax serve` binary: each flow clicked and typed at 1280 and
// 390 px, the amounts shown asserted (the data-value hooks of surfaces.md
// section 2) against figures worked out by hand and the CLI's own answer,
// with a screenshot of each flow under target/screenshots/.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CATALOG, WIDTHS, cliQuote, deepLink, launchBrowser, noHorizontalScroll, openPage, settled, shot, shownTotals,
  startServer, totals, value,
} from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer(["--catalog", CATALOG, "--merchant-type", "direct"]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens a page, runs `flow`, then checks the page stayed clean and fits its width. */
async function withPage(width, flow, options) {
  const p = await openPage(browser, server, { width, ...options });
  try {
    await flow(p.page);
    assert.ok(await noHorizontalScroll(p.page), `the page scrolls sideways at ${width} px`);
    assert.deepEqual(p.problems(), [], "console errors or requests outside the origin");
  } finally {
    await p.close();
  }
}

/** Picks an option of a combobox by typing `query` and choosing with the keyboard. */
async function pick(page, input, query, optionText) {
  const box = page.locator(input);
  await box.click();
  await box.fill("");
  await box.pressSequentially(query, { delay: 20 });
  const option = page.locator(`#${await box.getAttribute("aria-controls")} [role=option]`, { hasText: optionText }).first();
  await option.waitFor();
  // Walk down to the option with the arrow keys, as a keyboard user would.
  const options = page.locator(`#${await box.getAttribute("aria-controls")} [role=option]`);
  const texts = await options.allTextContents();
  const index = texts.findIndex((t) => t.includes(optionText));
  assert.ok(index >= 0, `no option ${optionText} for ${query}: ${texts.join(" | ")}`);
  const active = await page.locator(`#${await box.getAttribute("aria-controls")} .active`).count();
  for (let i = active ? 1 : 0; i <= index; i++) await box.press("ArrowDown");
  await box.press("Enter");
}

describe("quote builder", () => {
  for (const width of WIDTHS) {
    test(`a quote built by typing and clicking shows the engine's amounts (${width} px)`, async () => {
      await withPage(width, async (page) => {
        await page.goto(`${server.url}/`);
        await page.locator("body[data-ready]").waitFor({ state: "attached" });
        await page.locator("#at").fill("2025-06-01");
        await pick(page, "#add-item", "desk wid", "9.99 USD");
        await page.locator("#line-0-quantity").fill("3");
        await pick(page, "#buyer_country", "united st", "United States");
        await settled(page);
        // A US buyer without a state: quoted, no tax, and the page says why.
        assert.equal(await value(page, "[data-testid=tax_status]"), "requires_location");
        assert.match(await page.locator("[data-testid=tax_status]").textContent(), /US tax depends on the state: choose one/);
        assert.equal(await value(page, "[data-testid=amount_tax]"), "0");
        await pick(page, "#buyer_region", "calif", "California");
        await settled(page);
        await page.locator("[data-testid=tax_status][data-value=calculated]").waitFor();
        // 3 x 9.99 = 29.97; California 7.25% of 2997 = 217.28 -> 217.
        const shown = await totals(page);
        assert.deepEqual(
          { s: shown.amount_subtotal, t: shown.amount_tax, tot: shown.amount_total, status: shown.tax_status },
          { s: "2997", t: "217", tot: "3214", status: "calculated" },
        );
        assert.deepEqual(shown.lines, [{ amount_subtotal: "2997", amount_tax: "217", amount_total: "3214", taxes: [["7.25", "217"]] }]);
        assert.deepEqual(await shownTotals(page), { amount_subtotal: "29.97 USD", amount_tax: "2.17 USD", amount_total: "32.14 USD" });
        // The same request through the CLI gives the same amounts.
        const request = JSON.parse(new URL(page.url()).searchParams.get("request"));
        assert.deepEqual(request.line_items, [{ price_id: "price_xxx", quantity: 3 }]);
        assert.equal(request.buyer_country, "US");
        assert.equal(request.buyer_region, "CA");
        const cli = cliQuote(request, "2025-06-01", ["--merchant-type", "direct"]);
        assert.equal(String(cli.amount_total), shown.amount_total);
        // The URL is a link to this very quote.
        const again = await browser.newPage();
        await again.goto(page.url());
        await settled(again);
        assert.equal(await value(again, "[data-testid=amount_total]"), "3214");
        await again.close();
        await shot(page, "quote-builder", width);
      });
    });
  }

  test("a zero-decimal currency and a three-decimal ad hoc amount are shown in their own decimals", async () => {
    await withPage(1280, async (page) => {
      await page.goto(deepLink(server, { mode: "payment", line_items: [{ price_id: "price_widget_jpy", quantity: 1 }], buyer_country: "JP" }, "2025-06-01"));
      await settled(page);
      // Japan 10% inclusive: 1500 x 10/110 = 136.36 -> 136 included.
      assert.deepEqual(await shownTotals(page), { amount_subtotal: "1,500 JPY", amount_tax: "136 JPY", amount_total: "1,500 JPY" });
      assert.equal(await value(page, "[data-testid=amount_tax]"), "136");
      await page.locator("#tab-quote").click();
      await page.locator("#reset").click();
      await page.locator("#add-adhoc").click();
      await page.locator("#line-0-ad_hoc_amount").fill("1000");
      await page.locator("#line-0-ad_hoc_currency").fill("KWD");
      await page.locator("#line-0-quantity").fill("2");
      await pick(page, "#buyer_country", "germ", "Germany");
      await settled(page);
      // 2 x 1.000 KWD = 2.000 KWD; Germany 19% inclusive: 2000 x 19/119 = 319.33 -> 319.
      assert.deepEqual(await shownTotals(page), { amount_subtotal: "2.000 KWD", amount_tax: "0.319 KWD", amount_total: "2.000 KWD" });
      assert.equal(await value(page, "[data-testid=amount_tax]"), "319");
      await shot(page, "quote-adhoc-kwd", 1280);
    });
  });
});

describe("deep links", () => {
  for (const width of WIDTHS) {
    test(`a link opens the builder filled in, with two components and document rounding (${width} px)`, async () => {
      const request = { mode: "payment", line_items: [{ price_id: "price_widget_cad", quantity: 3 }], buyer_country: "CA", buyer_region: "QC", client_reference_id: "order_7" };
      await withPage(width, async (page) => {
        await page.goto(deepLink(server, request, "2025-06-01", { merchant_type: "merchant_of_record", rounding_level: "document", rounding_mode: "half_up" }));
        await settled(page);
        assert.equal(await page.locator("#merchant_type").inputValue(), "merchant_of_record");
        assert.equal(await page.locator("#rounding_level").inputValue(), "document");
        assert.equal(await page.locator("#at").inputValue(), "2025-06-01");
        assert.equal(await page.locator("#buyer_country").inputValue(), "Canada (CA)");
        assert.equal(await page.locator("#buyer_region").inputValue(), "Quebec (CA-QC)");
        assert.equal(await page.locator("#line-0-quantity").inputValue(), "3");
        assert.equal(await page.locator("#client_reference_id").inputValue(), "order_7");
        // 3 x 20.00 CAD = 6000; GST 5% = 300; QST 9.975% = 598.5 -> 599.
        const shown = await totals(page);
        assert.deepEqual(shown, {
          tax_status: "calculated", amount_subtotal: "6000", amount_tax: "899", amount_total: "6899",
          lines: [{ amount_subtotal: "6000", amount_tax: "899", amount_total: "6899", taxes: [["5", "300"], ["9.975", "599"]] }],
        });
        const cli = cliQuote(request, "2025-06-01", ["--rounding-level", "document"]);
        assert.deepEqual([cli.amount_subtotal, cli.amount_tax, cli.amount_total].map(String), [shown.amount_subtotal, shown.amount_tax, shown.amount_total]);
        assert.deepEqual(await shownTotals(page), { amount_subtotal: "60.00 CAD", amount_tax: "8.99 CAD", amount_total: "68.99 CAD" });
        // Editing keeps the URL in step.
        await page.locator("#line-0-quantity").fill("1");
        await page.locator("[data-testid=amount_subtotal][data-value='2000']").first().waitFor();
        await page.waitForFunction(() => new URL(location.href).searchParams.get("request")?.includes('"quantity":1'));
        const url = new URL(page.url());
        assert.equal(url.searchParams.get("rounding_level"), "document");
        assert.equal(url.searchParams.get("at"), "2025-06-01");
        await page.locator("#line-0-quantity").fill("3");
        await page.locator("[data-testid=amount_subtotal][data-value='6000']").first().waitFor();
        await shot(page, "deep-link", width);
      });
    });
  }
});

describe("refusals", () => {
  for (const width of WIDTHS) {
    test(`a refusal lands on the field its param names, and goes when fixed (${width} px)`, async () => {
      const request = { mode: "payment", line_items: [{ price_id: "price_xxx", quantity: 2 }, { price_id: "price_xxx", quantity: 0 }], buyer_country: "US", buyer_region: "NY" };
      await withPage(width, async (page) => {
        await page.goto(deepLink(server, request, "2025-06-01"));
        await settled(page, "refused");
        const error = page.locator("[data-testid=error]");
        assert.equal(await error.count(), 1);
        assert.equal(await error.getAttribute("data-code"), "invalid_quantity");
        assert.equal(await error.getAttribute("data-param"), "line_items[1].quantity");
        // Beside the quantity of the second line, which is marked invalid.
        const field = page.locator('[data-param~="line_items[1].quantity"]');
        assert.equal(await field.locator("[data-testid=error]").count(), 1);
        assert.equal(await page.locator("#line-1-quantity").getAttribute("aria-invalid"), "true");
        assert.equal(await page.locator("[data-testid=amount_total]").count(), 0, "no totals for a refused request");
        await shot(page, "refusal", width);
        await page.locator("#line-1-quantity").fill("1");
        await settled(page);
        assert.equal(await page.locator("[data-testid=error]").count(), 0);
        // 3 x 9.99 = 2997 in New York (4%): 80 + 40 = 120 by line.
        const cli = cliQuote({ ...request, line_items: [{ price_id: "price_xxx", quantity: 2 }, { price_id: "price_xxx", quantity: 1 }] }, "2025-06-01", ["--merchant-type", "direct"]);
        assert.equal(await value(page, "[data-testid=amount_total]"), String(cli.amount_total));
        assert.equal(await value(page, "[data-testid=amount_tax]"), "120");
      });
    });
  }

  test("refusals of other fields: a bad region, an ad hoc line for a merchant of record, an unknown field, a bad date", async () => {
    await withPage(1280, async (page) => {
      const cases = [
        [{ mode: "payment", line_items: [{ price_id: "price_xxx", quantity: 1 }], buyer_country: "US", buyer_region: "C@" }, {}, "2025-06-01", "invalid_region", "buyer_region", "#buyer_region"],
        [{ mode: "payment", line_items: [{ ad_hoc_amount: 1000, ad_hoc_currency: "usd", quantity: 1 }], buyer_country: "US", buyer_region: "CA" }, { merchant_type: "merchant_of_record" }, "2025-06-01", "ad_hoc_not_allowed", "line_items[0].ad_hoc_amount", "#line-0-ad_hoc_amount"],
        [{ mode: "payment", line_items: [{ price_id: "price_xxx", quantitiy: 1 }] }, {}, "2025-06-01", "unknown_field", "line_items[0].quantitiy", null],
        [{ mode: "payment", line_items: [{ price_id: "price_xxx", quantity: 1 }] }, {}, "2025-13-01", "invalid_date", "at", "#at"],
      ];
      for (const [request, settings, at, code, param, control] of cases) {
        await page.goto(deepLink(server, request, at, settings));
        await settled(page, "refused");
        const error = page.locator("[data-testid=error]");
        assert.equal(await error.getAttribute("data-code"), code, JSON.stringify(request));
        assert.equal(await error.getAttribute("data-param"), param);
        assert.equal(await page.locator(`[data-param~="${param}"] [data-testid=error]`).count(), 1, `the error sits in the field ${param}`);
        if (control) assert.equal(await page.locator(control).getAttribute("aria-invalid"), "true");
      }
      await shot(page, "refusal-date", 1280);
    });
  });
});

describe("discounts", () => {
  // 3 x 9.99 USD to California (7.25%), a Direct merchant, 2025-06-01.
  const base = { mode: "payment", line_items: [{ price_id: "price_xxx", quantity: 3 }], buyer_country: "US", buyer_region: "CA" };
  const linkRequest = (page) => JSON.parse(new URL(page.url()).searchParams.get("request"));

  /** The session's and line 0's discount, subtotal, tax and total, as the data-value hooks give them. */
  async function discounted(page) {
    return page.evaluate(() => {
      const pick = (root) => Object.fromEntries(["amount_subtotal", "amount_discount", "amount_tax", "amount_total"]
        .map((k) => [k, root?.querySelector(`[data-testid=${k}]`)?.dataset.value ?? null]));
      return { session: pick(document.querySelector(".totals")), line: pick(document.querySelector("[data-testid=line-0]")) };
    });
  }

  for (const width of WIDTHS) {
    test(`a promotion code typed into the builder discounts the quote before tax, and is in the link, the JSON and curl (${width} px)`, async () => {
      await withPage(width, async (page) => {
        await page.goto(deepLink(server, base, "2025-06-01"));
        await settled(page);
        assert.equal(await value(page, ".totals [data-testid=amount_discount]"), "0");
        assert.equal(await page.locator("[data-testid=discount-kind]").inputValue(), "promotion_code");
        const code = page.locator("[data-testid=discount-code]");
        await code.click();
        await code.pressSequentially("summer", { delay: 20 });
        await page.locator(".totals [data-testid=amount_discount][data-value='375']").waitFor();
        await settled(page);
        // SUMMER is co_summer, 12.5% off: 2997 x 12.5% = 374.625 -> 375 (half up);
        // tax 7.25% of 2997 - 375 = 2622 is 190.095 -> 190; total 2622 + 190 = 2812.
        assert.deepEqual(await discounted(page), {
          session: { amount_subtotal: "2997", amount_discount: "375", amount_tax: "190", amount_total: "2812" },
          line: { amount_subtotal: "2997", amount_discount: "375", amount_tax: "190", amount_total: "2812" },
        });
        assert.deepEqual(await shownTotals(page), { amount_subtotal: "29.97 USD", amount_tax: "1.90 USD", amount_total: "28.12 USD" });
        assert.equal(await page.locator(".totals [data-testid=amount_discount]").textContent(), "3.75 USD");
        assert.match(await page.locator("#result-body").textContent(), /Discounts: co_summer \(SUMMER\) 3\.75 USD/);
        // The request the page sends, as the link, the JSON and curl carry it.
        await page.waitForFunction(() => new URL(location.href).searchParams.get("request")?.includes("discounts"));
        const request = linkRequest(page);
        assert.deepEqual(request.discounts, [{ promotion_code: "summer" }]);
        const cli = cliQuote(request, "2025-06-01", ["--merchant-type", "direct"]);
        assert.deepEqual([cli.amount_discount, cli.amount_tax, cli.amount_total], [375, 190, 2812]);
        await page.locator("#copy-json").click();
        await page.locator("#copy-status", { hasText: "Copied request JSON" }).waitFor();
        const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
        assert.deepEqual(copied, { ...base, discounts: [{ promotion_code: "summer" }] });
        await page.locator("#copy-curl").click();
        await page.locator("#copy-status", { hasText: "Copied curl command" }).waitFor();
        const curl = await page.evaluate(() => navigator.clipboard.readText());
        assert.ok(curl.includes('"discounts":[{"promotion_code":"summer"}]'), curl);
        assert.match(curl, /v1\/quote\?at=2025-06-01/);
        await shot(page, "discount-promotion-code", width);
        // Emptied, the field sends no discounts at all.
        await code.fill("");
        await page.locator(".totals [data-testid=amount_discount][data-value='0']").waitFor();
        await page.waitForFunction(() => !new URL(location.href).searchParams.get("request")?.includes("discounts"));
        assert.equal("discounts" in linkRequest(page), false);
        assert.equal(await value(page, ".totals [data-testid=amount_total]"), "3214");
      }, { permissions: ["clipboard-read", "clipboard-write"] });
    });

    test(`a link with a coupon fills the discount field and opens discounted (${width} px)`, async () => {
      const request = { ...base, discounts: [{ coupon: "co_5usd" }] };
      await withPage(width, async (page) => {
        await page.goto(deepLink(server, request, "2025-06-01"));
        await settled(page);
        assert.equal(await page.locator("[data-testid=discount-kind]").inputValue(), "coupon");
        assert.equal(await page.locator("[data-testid=discount-code]").inputValue(), "co_5usd");
        assert.equal(await page.locator("#discount-code-label").textContent(), "Coupon id");
        // co_5usd is 5.00 USD off: 2997 - 500 = 2497; 7.25% of it is 181.03 -> 181; total 2678.
        assert.deepEqual(await discounted(page), {
          session: { amount_subtotal: "2997", amount_discount: "500", amount_tax: "181", amount_total: "2678" },
          line: { amount_subtotal: "2997", amount_discount: "500", amount_tax: "181", amount_total: "2678" },
        });
        assert.deepEqual(await shownTotals(page), { amount_subtotal: "29.97 USD", amount_tax: "1.81 USD", amount_total: "26.78 USD" });
        // The link's discount stays in the URL and in the JSON editor as the builder changes.
        await page.locator("#line-0-quantity").fill("1");
        await page.locator(".totals [data-testid=amount_subtotal][data-value='999']").waitFor();
        await settled(page);
        // 999 - 500 = 499; 7.25% = 36.18 -> 36; total 535.
        assert.deepEqual((await discounted(page)).session, { amount_subtotal: "999", amount_discount: "500", amount_tax: "36", amount_total: "535" });
        await page.waitForFunction(() => new URL(location.href).searchParams.get("request")?.includes('"quantity":1'));
        assert.deepEqual(linkRequest(page).discounts, [{ coupon: "co_5usd" }]);
        assert.deepEqual(JSON.parse(await page.locator("#request-json").inputValue()).discounts, [{ coupon: "co_5usd" }]);
        assert.ok((await page.locator("#curl-text").inputValue()).includes('"discounts":[{"coupon":"co_5usd"}]'));
        await shot(page, "discount-link", width);
      });
    });
  }

  test("a refused discount lands beside the discount field: unknown code, unknown coupon, a setup session, two discounts", async () => {
    await withPage(1280, async (page) => {
      await page.goto(deepLink(server, base, "2025-06-01"));
      await settled(page);
      const error = page.locator("[data-testid=error]");
      const besideField = async (code, param) => {
        await page.locator(`[data-testid=error][data-code=${code}]`).waitFor();
        await settled(page, "refused");
        assert.equal(await error.count(), 1);
        assert.equal(await error.getAttribute("data-param"), param);
        assert.equal(await page.locator("#discount-field [data-testid=error]").count(), 1, `${code} sits in the discount field`);
        assert.equal(await page.locator(`[data-param~="${param}"] [data-testid=error]`).count(), 1);
        assert.equal(await page.locator("[data-testid=discount-code]").getAttribute("aria-invalid"), "true");
        assert.equal(await page.locator("[data-testid=amount_total]").count(), 0, "no totals for a refused request");
      };
      await page.locator("[data-testid=discount-code]").fill("NOPE");
      await besideField("unknown_promotion_code", "discounts[0].promotion_code");
      assert.match(await error.textContent(), /unknown promotion code `NOPE`/);
      await shot(page, "discount-refused", 1280);
      // The same text as a coupon id.
      await page.locator("[data-testid=discount-kind]").selectOption("coupon");
      await besideField("unknown_coupon", "discounts[0].coupon");
      // Fixed, the refusal goes.
      await page.locator("[data-testid=discount-code]").fill("co_5usd");
      await page.locator(".totals [data-testid=amount_total][data-value='2678']").waitFor();
      assert.equal(await error.count(), 0);
      assert.equal(await page.locator("[data-testid=discount-code]").getAttribute("aria-invalid"), null);
      // Refusals at `discounts` itself, from links.
      await page.goto(deepLink(server, { mode: "setup", discounts: [{ coupon: "co_5usd" }] }, "2025-06-01"));
      await besideField("invalid_discount", "discounts");
      await page.goto(deepLink(server, { ...base, discounts: [{ coupon: "co_5usd" }, { promotion_code: "SUMMER" }] }, "2025-06-01"));
      await besideField("invalid_discount", "discounts");
      assert.equal(await page.locator("[data-testid=discount-code]").inputValue(), "co_5usd");
      assert.match(await page.locator("#discount-hint").textContent(), /not one coupon or code/);
    });
  });

  test("the discount field suggests the catalog's codes and coupons when /v1/catalog lists them", async () => {
    const file = JSON.parse(readFileSync(CATALOG, "utf8"));
    await withPage(1280, async (page) => {
      // Today's /v1/catalog lists products and prices only: serve the file's discounts beside them.
      await page.route("**/v1/catalog", async (route) => {
        const listed = await (await route.fetch()).json();
        await route.fulfill({ json: { ...listed, coupons: file.coupons, promotion_codes: file.promotion_codes } });
      });
      await page.goto(`${server.url}/`);
      await page.locator("body[data-ready]").waitFor({ state: "attached" });
      const options = () => page.locator("#discount-options option").evaluateAll((os) => os.map((o) => [o.value, o.label]));
      assert.equal(await page.locator("[data-testid=discount-code]").getAttribute("list"), "discount-options");
      assert.deepEqual(await options(), [
        ["SUMMER", "co_summer: Summer sale · 12.5% off"],
        ["WINTER", "co_summer: Summer sale · 12.5% off · inactive code"],
        ["HALFOFF", "co_retired: 50% off · inactive"],
      ]);
      await page.locator("[data-testid=discount-kind]").selectOption("coupon");
      assert.deepEqual(await options(), [
        ["co_summer", "Summer sale · 12.5% off"],
        ["co_5usd", "5.00 USD off"],
        ["co_ebooks", "20% off on prod_ebook"],
        ["co_retired", "50% off · inactive"],
      ]);
    });
  });
});

describe("verify", () => {
  for (const width of WIDTHS) {
    test(`a tampered response shows each mismatch, expected against actual (${width} px)`, async () => {
      const request = { mode: "payment", line_items: [{ price_id: "price_xxx", quantity: 1 }], buyer_country: "US", buyer_region: "CA" };
      await withPage(width, async (page) => {
        await page.goto(deepLink(server, request, "2025-06-01"));
        await settled(page);
        await page.locator("#tab-verify").click();
        // The engine's own answer matches.
        await page.locator("#verify-fill").click();
        await page.locator("#verify-run").click();
        await page.locator("[data-testid=verify-result]").waitFor();
        assert.equal(await value(page, "[data-testid=verify-result]"), "match");
        // A service that charged 7.5% instead of 7.25%, in the provider's envelope.
        const tampered = { success: true, message: "ok", data: { session: { id: "cs_1", currency: "usd", amount_subtotal: 999, amount_tax: 75, amount_total: 1074 } } };
        await page.locator("#verify-response").fill(JSON.stringify(tampered, null, 2));
        await page.locator("#verify-run").click();
        await page.locator("[data-testid=verify-result][data-value=mismatch]").waitFor();
        const rows = await page.locator("[data-testid^=mismatch-]").evaluateAll((trs) =>
          trs.map((tr) => [tr.dataset.field, tr.querySelector(".expected").dataset.value, tr.querySelector(".actual").dataset.value]));
        assert.deepEqual(rows, [["amount_tax", "72", "75"], ["amount_total", "1071", "1074"]]);
        assert.equal(await page.locator("[data-testid=verify-result]").getAttribute("data-kind"), "amounts");
        // The two wrong fields are marked in the pasted response itself.
        const marked = await page.locator(".json-line.marked").allTextContents();
        assert.equal(marked.length, 2);
        assert.match(marked[0], /"amount_tax": 75/);
        assert.match(marked[1], /"amount_total": 1074/);
        await shot(page, "verify", width);
        // A refusal answered by a quote is an outcome mismatch.
        await page.locator("#verify-response").fill('{"error": {"code": "invalid_quantity"}}');
        await page.locator("#verify-run").click();
        await page.locator("[data-testid=verify-result][data-kind=outcome]").waitFor();
      });
    });
  }
});

describe("rates explorer", () => {
  for (const width of WIDTHS) {
    test(`Finland's VAT on either side of 2024-09-01, with its timeline (${width} px)`, async () => {
      await withPage(width, async (page) => {
        await page.goto(`${server.url}/`);
        await page.locator("body[data-ready]").waitFor({ state: "attached" });
        await page.locator("#tab-rates").click();
        await page.locator("#rates-at").fill("2024-08-31");
        await pick(page, "#rates-add", "finl", "Finland");
        await page.locator("[data-testid=timeline-FI]").waitFor();
        assert.equal(await value(page, "[data-testid='rate-FI-VAT-*']"), "24");
        const changes = await page.locator("[data-testid=timeline-FI] .changes li").allTextContents();
        assert.ok(changes.some((c) => c.includes("2024-09-01") && c.includes("24% → 25.5%")), changes.join(" | "));
        assert.equal(await page.locator("[data-testid=timeline-FI] .tl-seg.current").count(), await page.locator("[data-testid=rates-table] tbody tr").count());
        await shot(page, "rates-2024-08-31", width);
        await page.locator("#rates-at").fill("2024-09-01");
        await page.locator("#rates-body[data-at='2024-09-01']:not([aria-busy])").waitFor({ state: "attached" });
        assert.equal(await value(page, "[data-testid='rate-FI-VAT-*']"), "25.5");
        assert.equal(new URL(page.url()).searchParams.get("j"), "FI");
        assert.equal(new URL(page.url()).searchParams.get("rates_at"), "2024-09-01");
        await shot(page, "rates-2024-09-01", width);
      });
    });
  }
});

describe("api key", () => {
  test("the page asks for a key when the service answers 401, and keeps it for the tab only", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "checkout-tax-keys-"));
    const keys = path.join(dir, "keys.txt");
    writeFileSync(keys, "sk_test_admin_page\n");
    const secured = await startServer(["--catalog", CATALOG, "--api-keys", keys]);
    try {
      const p = await openPage(browser, secured, { width: 1280 });
      const { page } = p;
      await page.goto(deepLink(secured, { mode: "payment", line_items: [{ price_id: "price_xxx", quantity: 1 }], buyer_country: "US", buyer_region: "CA" }, "2025-06-01"));
      const dialog = page.locator("#key-dialog[open]");
      await dialog.waitFor();
      await shot(page, "api-key", 1280);
      await page.locator("#key-input").fill("wrong");
      await page.locator("#key-input").press("Enter");
      await page.locator("#key-why", { hasText: "refused that key" }).waitFor();
      await page.locator("#key-input").fill("sk_test_admin_page");
      await page.locator("#key-ok").click();
      await settled(page);
      assert.equal(await value(page, "[data-testid=amount_total]"), "1071");
      assert.equal(await page.evaluate(() => sessionStorage.getItem("checkout-tax.api-key")), "sk_test_admin_page");
      assert.equal(await page.evaluate(() => localStorage.length), 0);
      assert.ok(!page.url().includes("sk_test"), "the key is not in the URL");
      assert.deepEqual(p.problems(), []);
      await p.close();
    } finally {
      await secured.stop();
    }
  });
});

describe("amount formatting (the page's own module, in the browser)", () => {
  test("amounts are formatted from their digits, exactly, past 2^53", async () => {
    await withPage(1280, async (page) => {
      await page.goto(`${server.url}/`);
      const out = await page.evaluate(async () => {
        const m = await import("/assets/money.js");
        const big = m.parseJson('{"a": 9007199254740993, "b": 12}');
        return {
          usd: m.formatAmount(999, "usd"),
          jpy: m.formatAmount(1500, "JPY"),
          kwd: m.formatAmount(1000, "KWD"),
          small: m.formatAmount(5, "EUR"),
          zero: m.formatAmount(0, "KWD"),
          clf: m.formatAmount(12345, "CLF"),
          big: m.formatAmount(big.a, "USD"),
          bigType: typeof big.a,
          smallType: typeof big.b,
          round: m.stringifyJson(big),
        };
      });
      assert.deepEqual(out, {
        usd: "9.99 USD", jpy: "1,500 JPY", kwd: "1.000 KWD", small: "0.05 EUR", zero: "0.000 KWD", clf: "1.2345 CLF",
        big: "90,071,992,547,409.93 USD", bigType: "bigint", smallType: "number", round: '{"a":9007199254740993,"b":12}',
      });
    });
  });
});

describe("accessibility", () => {
  const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

  /** Runs axe-core's WCAG 2 A and AA rules (contrast included) on the page as it is. */
  async function axe(page) {
    await page.evaluate(axeSource);
    return page.evaluate(async () => {
      const r = await globalThis.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
    });
  }

  for (const width of WIDTHS) {
    test(`every tab passes axe's WCAG AA rules, with a quote, a refusal and a timeline on screen (${width} px)`, async () => {
      // axe is injected as a script: the page's own CSP would refuse it, so this context bypasses it.
      const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      try {
        await page.goto(deepLink(server, { mode: "payment", line_items: [{ price_id: "price_widget_eur", quantity: 2 }, { price_id: "price_widget_eur", quantity: 0 }], buyer_country: "FI" }, "2024-09-01"));
        await settled(page, "refused");
        assert.deepEqual(await axe(page), []);
        await page.goto(deepLink(server, { mode: "payment", line_items: [{ price_id: "price_widget_eur", quantity: 2 }], buyer_country: "FI" }, "2024-09-01"));
        await settled(page);
        assert.deepEqual(await axe(page), []);
        await page.locator("#tab-verify").click();
        await page.locator("#verify-response").fill('{"currency": "eur", "amount_subtotal": 2000, "amount_tax": 1, "amount_total": 2000}');
        await page.locator("#verify-run").click();
        await page.locator("[data-testid=verify-result]").waitFor();
        assert.deepEqual(await axe(page), []);
        await page.locator("#tab-rates").click();
        await pick(page, "#rates-add", "finl", "Finland");
        await page.locator("[data-testid=timeline-FI]").waitFor();
        assert.deepEqual(await axe(page), []);
      } finally {
        await context.close();
      }
    });
  }

  test("a quote can be built with the keyboard alone, focus always visible", async () => {
    await withPage(1280, async (page) => {
      await page.goto(`${server.url}/?at=2025-06-01`);
      await page.locator("body[data-ready]").waitFor({ state: "attached" });
      // Tab from the top of the page to the country picker.
      let focused = "";
      for (let i = 0; i < 30 && focused !== "buyer_country"; i++) {
        await page.keyboard.press("Tab");
        focused = await page.evaluate(() => document.activeElement?.id ?? "");
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        assert.notEqual(outline, "none", `no visible focus on #${focused}`);
      }
      assert.equal(focused, "buyer_country");
      await page.keyboard.type("germ");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Enter");
      // On to the catalog search, then a product by its id.
      for (let i = 0; i < 10 && focused !== "add-item"; i++) {
        await page.keyboard.press("Tab");
        focused = await page.evaluate(() => document.activeElement?.id ?? "");
      }
      assert.equal(focused, "add-item");
      await page.keyboard.type("price_ebook_eur");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Enter");
      await settled(page);
      // Germany, e-books 7% inclusive: 1499 x 7/107 = 98.07 -> 98.
      assert.deepEqual(await shownTotals(page), { amount_subtotal: "14.99 EUR", amount_tax: "0.98 EUR", amount_total: "14.99 EUR" });
      // The tabs answer the arrow keys.
      await page.locator("#tab-quote").focus();
      await page.keyboard.press("ArrowRight");
      assert.equal(await page.evaluate(() => document.activeElement.id), "tab-verify");
      assert.equal(await page.locator("#panel-verify").isVisible(), true);
    });
  });
});
