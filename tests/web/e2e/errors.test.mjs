// Errors shown where the user is looking, in words: a bad token (at the token field), a key over 512 bytes (at the
// key field, before anything is sent), and a rate limit with its wait (at the list of keys). The console server has
// no credentials here: the page asks for a token and keeps it in memory only.
import assert from "node:assert/strict";
import { test } from "node:test";

import { consoleStack, emulatorStats, openConsole, requireBrowser, screenshot } from "../harness.mjs";

requireBrowser();

// A token allowed only 8 calls per 5 minutes, so that the rate limit is reached within the test.
const stack = consoleStack(["--seed-namespace", "T", "--seed-keys", "30", "--rate-limit", "8/300"], {
  serverToken: false,
});

test("bad token, key too long, rate limited: each in words, where the user is", async () => {
  const { emulator, server, browser } = stack;
  const { page, errors } = await openConsole(browser, server);
  assert.equal(await page.locator("#conn-status").textContent(), "Not connected: enter an API token");
  assert.equal(await page.evaluate(() => document.activeElement.id), "token");

  // A bad token: refused, said at the token field, and nothing else opens.
  await page.getByLabel("Cloudflare API token").fill("not-the-right-token");
  await page.keyboard.press("Enter");
  const tokenError = page.locator("#token-error");
  await tokenError.waitFor();
  assert.equal(await tokenError.getAttribute("data-kind"), "authentication");
  assert.match(await tokenError.locator("strong").textContent(), /^The API token was refused\./);
  assert.match(await tokenError.textContent(), /Workers KV Storage: Edit/);
  assert.ok(await page.locator("#workspace").isHidden());
  await screenshot(page, "errors-1-bad-token");

  // The right token connects; it lives in memory only.
  await page.getByLabel("Cloudflare API token").fill(emulator.info.token);
  await page.getByRole("button", { name: "Connect" }).click();
  await page.waitForFunction(() => document.getElementById("conn-status").textContent.startsWith("Connected"));
  assert.ok(await tokenError.isHidden());
  const stored = await page.evaluate(
    () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie,
  );
  assert.ok(!stored.includes(emulator.info.token), "the token must not be stored by the page");

  // The tabs work from the keyboard (arrow keys move between them).
  await page.getByRole("tab", { name: "Purge cache" }).focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getByRole("tab", { name: "KV browser" }).getAttribute("aria-selected"), "true");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tab-kv");
  assert.ok(await page.locator("#panel-kv").isVisible());
  assert.ok(await page.locator("#panel-purge").isHidden());

  // A key over 512 bytes: said under the key field as it is typed, and again on Save; nothing is sent.
  const writesBefore = (await emulatorStats(emulator)).writes;
  await page.getByRole("textbox", { name: "Key", exact: true }).fill("k".repeat(600));
  const keyError = page.locator("#put-key-error");
  await keyError.waitFor();
  assert.match(await keyError.textContent(), /is 600 bytes; Workers KV keys are at most 512 bytes/);
  assert.equal(await page.getByRole("textbox", { name: "Key", exact: true }).getAttribute("aria-invalid"), "true");
  await page.getByRole("button", { name: "Save key" }).click();
  await page.locator("#put-error").waitFor();
  assert.match(await page.locator("#put-error").textContent(), /is 600 bytes; Workers KV keys are at most 512 bytes/);
  assert.equal((await emulatorStats(emulator)).writes, writesBefore);
  await screenshot(page, "errors-2-key-too-long");

  // Listing keys until the token's quota for the window is used up: the engine learned the quota from the
  // Ratelimit-Policy headers, holds the next call back instead of earning a 429, and the page says how long to wait.
  const kvError = page.locator("#kv-error");
  let limited = false;
  for (let i = 0; i < 12 && !limited; ++i) {
    await page.getByRole("button", { name: "List keys" }).click();
    await page.waitForFunction(
      () =>
        !document.getElementById("kv-error").hidden ||
        document.getElementById("kv-caption").textContent.startsWith("Keys in"),
    );
    limited = await kvError.isVisible();
    if (!limited) await page.evaluate(() => (document.getElementById("kv-caption").textContent = "Keys"));
  }
  assert.ok(limited, "the rate limit was never reached");
  assert.equal(await kvError.getAttribute("data-kind"), "rate_limited");
  assert.match(
    await kvError.locator("strong").textContent(),
    /^Rate limited by Cloudflare: wait [1-5] min \d+ s \(until .+\) before trying again\.$/,
  );
  assert.equal((await emulatorStats(emulator)).rate_limited, 0, "the client paced itself: no 429 was needed");
  await screenshot(page, "errors-3-rate-limited");
  assert.deepEqual(errors, []);
});
