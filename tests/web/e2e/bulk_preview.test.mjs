// The bulk delete's preview on a 1,000,000-key namespace under a tight rate limit: the first page's matches and
// samples at once, for one list call; the full count is optional, streams its progress, says when it waits for the
// rate-limit window, and stops at once on Cancel; any change to the form drops the preview (and a count still running
// for it), so that a result for one namespace never shows — or is acted on — under another.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  consoleStack,
  emulatorKeys,
  emulatorNamespace,
  emulatorStats,
  fitsWidth,
  jobEnd,
  openConsole,
  previewBulk,
  requireBrowser,
  screenshot,
} from "../harness.mjs";

requireBrowser();

// 1,000,000 keys; a token allowed 60 calls per 15 s, so that a full count (1,000 list calls) waits for the window.
const stack = consoleStack(["--seed-namespace", "T", "--seed-keys", "1000000", "--rate-limit", "60/15"]);

const lists = async (emulator) => (await emulatorStats(emulator)).by_endpoint["kv.keys.list"] || 0;

test("preview a 1,000,000-key namespace: one list call, an optional count, nothing stale", async () => {
  const { emulator, server, browser } = stack;
  const other = await emulatorNamespace(
    emulator,
    "other",
    Array.from({ length: 30 }, (_, i) => ({ key: `key/${i}`, value: "v" })),
  );
  const { page, errors } = await openConsole(browser, server);

  // The preview: the first page's matches and samples, for one list call.
  const listsBefore = await lists(emulator);
  const clicked = Date.now();
  const panel = await previewBulk(page, { namespace: "T", prefix: "key/" });
  await page.locator("#bulk-preview-result").waitFor();
  const seconds = (Date.now() - clicked) / 1000;
  console.log(`# preview of a 1,000,000-key namespace: first result after ${seconds.toFixed(3)} s`);
  assert.equal((await lists(emulator)) - listsBefore, 1, "the preview costs one list call");
  assert.match(
    await page.locator("#bulk-count").textContent(),
    /^At least 1,000 keys in “T” match: keys starting with “key\/” — among the first 1,000 listed; the listing has more\./,
  );
  assert.equal(await page.locator("#bulk-samples li").count(), 10);
  assert.ok(await panel.getByRole("button", { name: "Count them all" }).isVisible());
  assert.ok(await panel.getByRole("button", { name: "Delete the matching keys…" }).isEnabled());
  await screenshot(page, "preview-1-first-page");
  await page.setViewportSize({ width: 400, height: 800 });
  assert.ok(await fitsWidth(page), "the preview fits a 400 px window");
  await screenshot(page, "preview-1-first-page-narrow");
  await page.setViewportSize({ width: 1280, height: 800 });

  // The full count streams its progress and says when the rate limit holds it back.
  await panel.getByRole("button", { name: "Count them all" }).click();
  const count = page.locator("#bulk-count-job .job");
  await count.waitFor();
  await page.waitForFunction(() => document.querySelector("#bulk-count-job .job")?.dataset.waiting === "window", null, {
    timeout: 60_000,
  });
  assert.match(
    await count.locator(".job-wait").textContent(),
    /^Waiting for the rate-limit window \(\d+ s\): Cloudflare's limits allow no more requests for the moment/,
  );
  assert.match(await count.locator(".job-state").textContent(), /^Counting: [\d,]+ keys matched/);
  const examined = Number(await count.getAttribute("data-scanned"));
  assert.ok(examined >= 1000 && examined < 1_000_000, `${examined} examined while waiting`);
  assert.ok(await panel.getByRole("button", { name: "Delete the matching keys…" }).isDisabled());
  await screenshot(page, "preview-2-counting-waits");
  await page.setViewportSize({ width: 400, height: 800 });
  assert.ok(await fitsWidth(page));
  await screenshot(page, "preview-2-counting-waits-narrow");
  await page.setViewportSize({ width: 1280, height: 800 });

  // Cancel stops it at once, not when the window lets the queued calls go; no list call after the end.
  const cancelled = Date.now();
  await count.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await jobEnd(page, "#bulk-count-job", 5_000), "cancelled");
  console.log(`# the count stopped ${((Date.now() - cancelled) / 1000).toFixed(3)} s after Cancel`);
  assert.match(
    await count.locator(".job-state").textContent(),
    /^Count cancelled: at least [\d,]+ keys matched among the [\d,]+ examined\.$/,
  );
  assert.doesNotMatch(await count.locator(".job-figures").textContent(), /\/s|ETA/);
  const listsAfterCancel = await lists(emulator);
  await page.waitForTimeout(1500);
  assert.equal(await lists(emulator), listsAfterCancel, "nothing is listed after the count stopped");
  // The first page's preview stays: Delete (of what it describes) is offered again.
  assert.ok(await panel.getByRole("button", { name: "Delete the matching keys…" }).isEnabled());
  await screenshot(page, "preview-3-count-cancelled");

  // A stale preview: count T, switch to "other" while it runs. The count is cancelled and nothing of T's shows.
  await panel.getByRole("button", { name: "Count them all" }).click();
  await count.waitFor();
  await page.waitForFunction(() => Number(document.querySelector("#bulk-count-job .job")?.dataset.scanned) > 0, null, {
    timeout: 60_000,
  });
  await panel.getByLabel("Namespace").selectOption({ label: "other" });
  assert.ok(await page.locator("#bulk-preview-result").isHidden());
  assert.equal(await page.locator("#bulk-count-job").innerHTML(), "");
  const listsAfterSwitch = await lists(emulator);
  await page.waitForTimeout(2000);
  assert.ok((await lists(emulator)) - listsAfterSwitch <= 4, "the count for T stopped (calls in flight may land)");
  assert.ok(await page.locator("#bulk-preview-result").isHidden(), "no result for T appears under other");
  await screenshot(page, "preview-4-switched");

  // The preview of "other" is complete (30 keys: one page), exact, and Delete acts on "other" only.
  await panel.getByRole("button", { name: "Preview (dry run)" }).click();
  await page.waitForFunction(() => document.getElementById("bulk-count").textContent.includes("“other”"), null, {
    timeout: 60_000,
  });
  assert.match(
    await page.locator("#bulk-count").textContent(),
    /^30 of 30 keys examined in “other” match: keys starting with “key\/”\.$/,
  );
  assert.ok(await panel.getByRole("button", { name: "Count them all" }).isHidden());
  // Typing in the form drops the preview; the Delete button goes with it.
  await panel.getByRole("textbox", { name: "Key prefix" }).fill("key/1");
  assert.ok(await page.locator("#bulk-preview-result").isHidden());
  await panel.getByRole("textbox", { name: "Key prefix" }).fill("key/");
  await panel.getByRole("button", { name: "Preview (dry run)" }).click();
  await page.getByRole("button", { name: "Delete 30 keys…" }).click();
  const dialog = page.getByRole("dialog");
  assert.equal(await dialog.getByRole("heading").textContent(), "Delete 30 keys from namespace “other”?");
  await dialog.getByRole("button", { name: "Delete 30 keys" }).click();
  assert.equal(await jobEnd(page, "#bulk-job", 60_000), "completed");
  assert.deepEqual(await emulatorKeys(emulator, other, ""), []);
  assert.equal((await emulatorStats(emulator)).stored_keys, 1_000_000, "T is untouched");
  await screenshot(page, "preview-5-other-deleted");
  assert.deepEqual(errors, []);
});
