// Cancel and resume across a closed tab: a delete cancelled mid-run stops with the store exactly as its report says;
// the tab is closed; a new tab finds the job in browser storage and resumes it from its journal's watermark (without
// listing the namespace again from the start) to an exact end.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  consoleStack,
  emulatorKeys,
  emulatorStats,
  jobEnd,
  openConsole,
  previewBulk,
  requireBrowser,
  screenshot,
} from "../harness.mjs";

requireBrowser();

// 100 ms per call: listing 20 pages takes 2 s at least, so a cancel after 3,000 keys lands mid-run.
const stack = consoleStack(["--seed-namespace", "T", "--seed-keys", "20000", "--latency", "100"]);

test("cancel a bulk delete, close the tab, resume it in a new tab", async () => {
  const { emulator, server, browser } = stack;
  const ns = emulator.info.namespaces.T;
  const first = await openConsole(browser, server);
  const page = first.page;
  const panel = await previewBulk(page, { prefix: "key/", batch: 1000 });
  await page.locator("#bulk-preview-result").waitFor();
  await panel.getByRole("button", { name: "Count them all" }).click();
  await page.getByRole("button", { name: "Delete 20,000 keys…" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete 20,000 keys" }).click();

  await page.waitForFunction(() => Number(document.querySelector("#bulk-job .job")?.dataset.done) >= 3000);
  await page.locator("#bulk-job").getByRole("button", { name: "Cancel" }).click();
  assert.equal(await jobEnd(page, "#bulk-job", 30_000), "cancelled");
  const job = page.locator("#bulk-job .job");
  const doneAtCancel = Number(await job.getAttribute("data-done"));
  assert.ok(doneAtCancel >= 3000 && doneAtCancel < 20000, `cancelled after ${doneAtCancel}`);
  assert.match(
    await job.locator(".job-state").textContent(),
    /^Cancelled after [\d,]+ keys deleted\. The journal holds/,
  );
  assert.ok(await page.locator("#bulk-job").getByRole("button", { name: "Resume" }).isVisible());
  await screenshot(page, "cancel-resume-1-cancelled");

  // Exactly what the report says is gone, and nothing else; no call is still in flight.
  const left = await emulatorKeys(emulator, ns, "key/");
  assert.equal(left.length, 20000 - doneAtCancel);
  assert.equal((await emulatorStats(emulator)).stored_keys, 20000 - doneAtCancel);

  // Close the tab. A new one (same browser profile) finds the job in localStorage.
  const listsBefore = (await emulatorStats(emulator)).by_endpoint["kv.keys.list"];
  await page.close();
  const second = await openConsole(browser, server, { context: first.context });
  const tab = second.page;
  const notice = tab.locator("#jobs-notice");
  await notice.waitFor();
  assert.match(await notice.textContent(), /^1 job did not finish and can be resumed/);
  await tab.getByRole("tab", { name: "Jobs" }).click();
  const row = tab.locator("#jobs-table tbody tr").first();
  assert.match(await row.textContent(), /Delete keys starting with “key\/” from T.*cancelled/);
  await screenshot(tab, "cancel-resume-2-jobs");
  await row.getByRole("button", { name: /^Resume/ }).click();

  assert.equal(await jobEnd(tab, "#bulk-job"), "completed");
  const resumed = tab.locator("#bulk-job .job");
  assert.equal(await resumed.getAttribute("data-done"), "20000");
  // Resumed from the watermark: the keys before it were not listed again.
  const scanned = Number(await resumed.getAttribute("data-scanned"));
  assert.ok(scanned <= 20000 - 1000, `the resumed run listed ${scanned} keys`);
  const lists = (await emulatorStats(emulator)).by_endpoint["kv.keys.list"] - listsBefore;
  assert.ok(lists <= 19, `the resumed run made ${lists} list calls`);
  await screenshot(tab, "cancel-resume-3-resumed");

  assert.deepEqual(await emulatorKeys(emulator, ns, "key/"), []);
  assert.equal((await emulatorStats(emulator)).stored_keys, 0);
  // The journal now says the job ended: nothing left to resume.
  await tab.getByRole("tab", { name: "Jobs" }).click();
  assert.match(await tab.locator("#jobs-table tbody tr").first().textContent(), /completed/);
  assert.ok(await tab.locator("#jobs-notice").isHidden());
  assert.deepEqual([...first.errors, ...second.errors], []);
});
