// Cancel while Cloudflare has the token locked out (a 429): the job stops at once — not when the lockout ends — with
// its journal resumable, its live figures cleared and its bar stopped. A new tab that connects during the lockout
// says so and offers Retry; once the lockout has passed it connects, finds the job, and resumes it to an exact end
// whose report counts the whole job (every run), not only the resumed part.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  consoleStack,
  emulatorKeys,
  emulatorStats,
  fitsWidth,
  jobEnd,
  openConsole,
  previewBulk,
  requireBrowser,
  screenshot,
  withinWidth,
} from "../harness.mjs";

requireBrowser();

// The 14th request locks the token out for 40 s (a 429 with Retry-After), mid-delete.
const LOCKOUT_S = 40;
const stack = consoleStack([
  "--seed-namespace",
  "T",
  "--seed-keys",
  "20000",
  "--latency",
  "20",
  "--fault-lockout-after",
  "14",
  "--lockout",
  String(LOCKOUT_S),
]);

test("cancel during a 429 lockout stops at once; Retry at connect; resume counts the whole job", async () => {
  const { emulator, server, browser } = stack;
  const ns = emulator.info.namespaces.T;
  const first = await openConsole(browser, server);
  const page = first.page;
  await previewBulk(page, { prefix: "key/", batch: 1000 });
  await page.getByRole("button", { name: "Delete the matching keys…" }).click();
  const dialog = page.getByRole("dialog");
  assert.equal(await dialog.getByRole("heading").textContent(), "Delete keys starting with “key/” from namespace “T”?");
  assert.match(await dialog.textContent(), /At least 1,000 keys match among the first 1,000 listed/);
  await dialog.getByRole("button", { name: "Delete the matching keys" }).click();

  // The lockout: the page says so, with the wait.
  const job = page.locator("#bulk-job .job");
  await page.waitForFunction(() => document.querySelector("#bulk-job .job")?.dataset.waiting === "429", null, {
    timeout: 60_000,
  });
  assert.match(
    await job.locator(".job-wait").textContent(),
    /^Rate limited by Cloudflare: waiting \d+ s before sending more/,
  );
  await screenshot(page, "lockout-1-waiting");

  // Cancel stops it at once (the lockout has most of its 40 s to go), nothing in flight is lost.
  const cancelledAt = Date.now();
  await job.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await jobEnd(page, "#bulk-job", 10_000), "cancelled");
  const took = (Date.now() - cancelledAt) / 1000;
  console.log(`# cancelled ${took.toFixed(3)} s after the click, during a ${LOCKOUT_S} s lockout`);
  assert.ok(took < LOCKOUT_S / 2, `the cancel waited ${took} s`);
  const doneAtCancel = Number(await job.getAttribute("data-done"));
  assert.match(
    await job.locator(".job-state").textContent(),
    /^Cancelled after [\d,]+ keys deleted\. The journal holds/,
  );
  // The live figures are gone (no rate, no ETA), the bar is not left spinning, the wait notice is gone.
  const figures = await job.locator(".job-figures").textContent();
  assert.doesNotMatch(figures, /\/s|ETA|in flight/);
  assert.match(figures, /[\d,]+ keys deleted/);
  const bar = job.locator("progress");
  assert.ok((await bar.isHidden()) || (await bar.getAttribute("value")) !== null, "the bar stopped");
  assert.ok(await job.locator(".job-wait").isHidden());
  assert.ok(await job.getByRole("button", { name: "Resume" }).isVisible());
  // (Read from the emulator's own counters: its API would answer this test's token with the lockout too.)
  assert.equal((await emulatorStats(emulator)).stored_keys, 20000 - doneAtCancel);
  await screenshot(page, "lockout-2-cancelled");
  await page.close();

  // A new tab, narrow, while the token is still locked out: the connection says so and offers Retry.
  const second = await openConsole(browser, server, { context: first.context });
  const tab = second.page;
  await tab.setViewportSize({ width: 400, height: 800 });
  const connectError = tab.locator("#connect-error");
  await connectError.waitFor();
  assert.equal(await connectError.getAttribute("data-kind"), "rate_limited");
  assert.match(await connectError.locator("strong").textContent(), /^Rate limited by Cloudflare: wait \d+ s/);
  const retry = connectError.getByRole("button", { name: "Retry" });
  assert.ok(await retry.isVisible());
  assert.ok(await fitsWidth(tab));
  await screenshot(tab, "lockout-3-connect-retry-narrow");
  // Retry until the lockout has passed (each try while it lasts fails at once, with the wait left).
  const deadline = Date.now() + (LOCKOUT_S + 20) * 1000;
  while (!(await tab.locator("#workspace").isVisible())) {
    assert.ok(Date.now() < deadline, "never connected after the lockout");
    await tab.waitForTimeout(3000);
    if (await retry.isVisible()) await retry.click();
    await tab.waitForFunction(() => document.getElementById("conn-status").textContent !== "Connecting…");
    if (await connectError.isVisible()) console.log(`# ${await connectError.locator("strong").textContent()}`);
  }
  assert.match(await tab.locator("#conn-status").textContent(), /^Connected/);

  // The Jobs tab, narrow: the cancelled job, its Resume and Forget within reach.
  await tab.getByRole("tab", { name: "Jobs" }).click();
  const row = tab.locator("#jobs-table tbody tr").first();
  assert.match(await row.textContent(), /cancelled/);
  const resume = row.getByRole("button", { name: /^Resume/ });
  assert.ok(await withinWidth(tab, resume), "Resume is within the window");
  assert.ok(await withinWidth(tab, row.getByRole("button", { name: /^Forget/ })), "Forget is within the window");
  assert.ok(await fitsWidth(tab));
  await screenshot(tab, "lockout-4-jobs-narrow");
  await tab.setViewportSize({ width: 1280, height: 800 });
  await resume.click();

  assert.equal(await jobEnd(tab, "#bulk-job"), "completed");
  const resumed = tab.locator("#bulk-job .job");
  assert.equal(await resumed.getAttribute("data-done"), "20000");
  // The whole job: 20,000 in all, this run's part named, time and requests of every run.
  const text = await resumed.locator(".job-state").textContent();
  // This run's part: what the journal had not yet recorded as settled (keys whose page was still partly in flight
  // at the cancel are done again — a delete of a deleted key is harmless — and counted once in all).
  const resumedAt = Number(await resumed.getAttribute("data-resumed-at"));
  assert.ok(resumedAt > 0 && resumedAt <= doneAtCancel, `resumed at ${resumedAt} after ${doneAtCancel} deleted`);
  const thisRun = 20000 - resumedAt;
  assert.match(
    text,
    new RegExp(
      `^Done: 20,000 keys deleted in all \\(${thisRun.toLocaleString("en-US")} in this run; .+ over every run\\)\\.$`,
    ),
  );
  const sent = (await emulatorStats(emulator)).requests;
  const reported = Number(/([\d,]+) requests? over every run/.exec(text)[1].replaceAll(",", ""));
  // Every request the emulator saw was the job's but the page's own few (zones, namespaces, the preview).
  assert.ok(
    reported <= sent && reported >= sent - 12,
    `the job reports ${reported} requests; the emulator saw ${sent}`,
  );
  assert.doesNotMatch(await resumed.locator(".job-figures").textContent(), /examined/);
  await screenshot(tab, "lockout-5-resumed");
  assert.deepEqual(await emulatorKeys(emulator, ns, "key/"), []);
  // The 429s: the lockout's (calls in flight when it began) and the new tab's first call; none after it.
  console.log(`# 429s seen by the emulator: ${(await emulatorStats(emulator)).rate_limited}`);
  assert.deepEqual([...first.errors, ...second.errors], []);
});
