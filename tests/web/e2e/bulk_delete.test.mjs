// A bulk delete of 20,000 keys by prefix, from the page to the emulator's store: preview (count + samples), the
// confirmation naming the namespace (Escape cancels it; nothing is deleted), then the delete to completion.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  cliSpec,
  consoleStack,
  emulatorKeys,
  emulatorPut,
  emulatorStats,
  fitsWidth,
  jobEnd,
  journaledSpecs,
  openConsole,
  previewBulk,
  requireBrowser,
  screenshot,
} from "../harness.mjs";

requireBrowser();

const stack = consoleStack(["--seed-namespace", "T", "--seed-keys", "20000", "--latency", "40"]);

test("bulk delete of 20,000 keys by prefix runs to completion", async () => {
  const { emulator, server, browser } = stack;
  const ns = emulator.info.namespaces.T;
  await emulatorPut(
    emulator,
    ns,
    Array.from({ length: 50 }, (_, i) => ({ key: `keep/${i}`, value: "stays" })),
  );
  const { page, errors } = await openConsole(browser, server);

  const panel = await previewBulk(page, { namespace: "T", prefix: "key/", batch: 2000 });

  // The preview: the first listed page's matches at once (what the CLI's confirmation shows), then the optional full
  // count; nothing deleted.
  await page.locator("#bulk-preview-result").waitFor();
  assert.match(
    await page.locator("#bulk-count").textContent(),
    /^At least 1,000 keys in “T” match: keys starting with “key\/” — among the first 1,000 listed; the listing has more/,
  );
  await screenshot(page, "bulk-delete-0-first-page");
  await panel.getByRole("button", { name: "Count them all" }).click();
  await page.waitForFunction(() => document.getElementById("bulk-count").textContent.startsWith("20,000 of"));
  assert.match(
    await page.locator("#bulk-count").textContent(),
    /^20,000 of 20,000 keys examined in “T” match: keys starting with “key\/”/,
  );
  assert.match(await page.locator("#bulk-count-job .job-state").textContent(), /^Counted: 20,000 keys matched/);
  assert.ok(await panel.getByRole("button", { name: "Count them all" }).isHidden());
  const samples = await page.locator("#bulk-samples li").allTextContents();
  assert.equal(samples.length, 10);
  assert.ok(samples.every((k) => k.startsWith("key/")));
  assert.equal((await emulatorStats(emulator)).stored_keys, 20050);
  await screenshot(page, "bulk-delete-1-preview");

  // The confirmation names the namespace; focus starts on Cancel, and Escape cancels.
  const deleteButton = page.getByRole("button", { name: "Delete 20,000 keys…" });
  await deleteButton.click();
  const dialog = page.getByRole("dialog");
  await dialog.waitFor();
  assert.equal(await dialog.getByRole("heading").textContent(), "Delete 20,000 keys from namespace “T”?");
  assert.equal(await page.evaluate(() => document.activeElement.id), "confirm-cancel");
  await screenshot(page, "bulk-delete-2-confirm");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await emulatorStats(emulator)).by_endpoint["kv.bulk.delete"], undefined);

  await deleteButton.click();
  await dialog.getByRole("button", { name: "Delete 20,000 keys" }).click();
  const job = page.locator("#bulk-job .job");
  await page.waitForFunction(() => Number(document.querySelector("#bulk-job .job")?.dataset.done) >= 4000);
  await screenshot(page, "bulk-delete-3-running");
  assert.equal(await jobEnd(page, "#bulk-job"), "completed");
  assert.equal(await job.getAttribute("data-done"), "20000");
  assert.match(await job.locator(".job-state").textContent(), /^Done: 20,000 keys deleted/);
  await screenshot(page, "bulk-delete-4-done");

  // The page built the very spec the CLI builds for the same request (one engine, one spec, one selection).
  const [journaled] = await journaledSpecs(page);
  assert.equal(journaled.op, "kv.delete");
  const cli = cliSpec(emulator, ["kv", "delete", "--namespace-id", ns, "--prefix", "key/", "--batch-size", "2000"]);
  assert.deepEqual(journaled.spec, { ...cli, dry_run: false });
  assert.deepEqual(journaled.target.account_id, emulator.info.account_id);
  assert.equal(journaled.target.api_base_url, emulator.info.base_url);

  // The emulator's store: every key/ key gone, every keep/ key still there, in 10 bulk calls of 2,000.
  assert.deepEqual(await emulatorKeys(emulator, ns, "key/"), []);
  assert.equal((await emulatorKeys(emulator, ns, "keep/")).length, 50);
  const stats = await emulatorStats(emulator);
  assert.equal(stats.stored_keys, 50);
  assert.equal(stats.by_endpoint["kv.bulk.delete"], 10);
  assert.equal(stats.rate_limited, 0);

  // A narrow window: nothing overflows sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await fitsWidth(page));
  await screenshot(page, "bulk-delete-5-narrow");
  assert.deepEqual(errors, []);
});
