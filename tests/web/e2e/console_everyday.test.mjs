// The console in a 400 px window, driven as a user would with a token typed in: a refused token marks its field
// invalid; the account's id is shown whole; the skip link does not lose the console's secret (a reload still works);
// errors are in the page's words and a job that a resume could not help is failed — no Resume, here or in the Jobs
// tab; screen readers hear a job's milestones, not its figures four times a second.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  consoleStack,
  emulatorApi,
  emulatorNamespace,
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

const stack = consoleStack(
  [
    "--seed-namespace",
    "T",
    "--seed-keys",
    "3000",
    "--latency",
    "150",
    "--zone",
    "example.com",
    "--account-name",
    "Example Corporation International Holdings",
  ],
  { serverToken: false },
);

const NARROW = { width: 400, height: 800 };

/** Types the token in and connects. */
async function connect(page, token) {
  await page.getByLabel("Cloudflare API token").fill(token);
  await page.getByRole("button", { name: "Connect" }).click();
}

test("a bad token, the account id, the skip link and a reload, at 400 px", async () => {
  const { emulator, server, browser } = stack;
  const { page, errors } = await openConsole(browser, server, { viewport: NARROW });
  // The secret left the address bar on load (it is kept in this tab's session storage).
  assert.equal(new URL(page.url()).hash, "");

  const token = page.getByLabel("Cloudflare API token");
  await connect(page, "not-the-right-token");
  await page.locator("#token-error").waitFor();
  assert.equal(await token.getAttribute("aria-invalid"), "true");
  await screenshot(page, "everyday-1-bad-token-narrow");
  await token.fill("x");
  assert.equal(await token.getAttribute("aria-invalid"), null, "typing clears the mark");

  await connect(page, emulator.info.token);
  await page.waitForFunction(() => document.getElementById("conn-status").textContent.startsWith("Connected"));
  assert.equal(await token.getAttribute("aria-invalid"), null);
  // The account: its name in the select, its whole id below it, inside the window.
  const account = page.getByLabel("Account", { exact: true });
  assert.equal(await account.locator("option:checked").textContent(), "Example Corporation International Holdings");
  const idLine = page.locator("#account-id");
  assert.equal(await idLine.textContent(), `Account ID ${emulator.info.account_id}`);
  assert.ok(await withinWidth(page, idLine));
  assert.ok(await withinWidth(page, account));
  for (const tab of ["Purge cache", "KV browser", "Bulk delete", "Jobs"]) {
    await page.getByRole("tab", { name: tab }).click();
    assert.ok(await fitsWidth(page), `the ${tab} tab fits 400 px`);
  }
  await screenshot(page, "everyday-2-connected-narrow");

  // The skip link moves focus to the console (#main) and keeps the secret: a reload still reaches the server.
  await page.getByRole("link", { name: "Skip to the console" }).focus();
  assert.ok(await page.getByRole("link", { name: "Skip to the console" }).isVisible(), "shown when focused");
  await page.keyboard.press("Enter");
  assert.equal(new URL(page.url()).hash, "#main");
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.ok(await page.locator("#fatal").isHidden(), await page.locator("#fatal").textContent());
  assert.ok(await page.getByLabel("Cloudflare API token").isVisible());
  // The token was in memory only: after the reload it is asked for again, and works.
  await connect(page, emulator.info.token);
  await page.waitForFunction(() => document.getElementById("conn-status").textContent.startsWith("Connected"));
  await screenshot(page, "everyday-3-reloaded-narrow");
  assert.deepEqual(errors, []);
});

test("errors in the page's words; a job a resume cannot help is failed, with no Resume", async () => {
  const { emulator, server, browser } = stack;
  const { page, errors } = await openConsole(browser, server, { viewport: NARROW });
  const gone = await emulatorNamespace(emulator, "gone", [{ key: "a/1", value: "v" }]);
  await connect(page, emulator.info.token);
  await page.waitForFunction(() => document.getElementById("conn-status").textContent.startsWith("Connected"));

  // A URL outside the chosen zone: refused before anything is sent, in the page's words (no command-line flag).
  const purge = page.locator("#panel-purge");
  await purge.getByLabel("URLs to purge, one per line").fill("https://www.example.com/a.css\nhttps://elsewhere.test/b");
  await purge.getByRole("button", { name: "Purge", exact: true }).click();
  assert.equal(await jobEnd(page, "#purge-job"), "failed");
  const purgeJob = page.locator("#purge-job .job");
  const said = await purgeJob.textContent();
  assert.match(
    await purgeJob.locator(".job-state").textContent(),
    /^Failed: .*elsewhere\.test.* is not in the given zones/,
  );
  assert.match(said, /Resuming would stop the same way/);
  assert.doesNotMatch(said, /--[a-z]|cache-kv-purger /, "no command-line words in the page");
  assert.ok(await purgeJob.getByRole("button", { name: "Resume" }).isHidden());
  const bar = purgeJob.locator("progress");
  assert.ok((await bar.isHidden()) || (await bar.getAttribute("value")) !== null, "the bar stopped");
  assert.deepEqual((await emulatorStats(emulator)).by_endpoint["cache.purge"], undefined);
  assert.ok(await fitsWidth(page));
  await screenshot(page, "everyday-4-purge-refused-narrow");
  // Refused before doing anything: no job is kept for it.
  await page.getByRole("tab", { name: "Jobs" }).click();
  assert.doesNotMatch(await page.locator("#jobs-table").textContent(), /Purge URLs/);

  // A namespace deleted behind the page's back: the delete fails (not found) and says so; resuming cannot help.
  await previewBulk(page, { namespace: "gone", prefix: "a/" });
  await page.getByRole("button", { name: "Delete 1 key…" }).click();
  await emulatorApi(emulator, `/accounts/${emulator.info.account_id}/storage/kv/namespaces/${gone}`, {
    method: "DELETE",
  });
  await page.getByRole("dialog").getByRole("button", { name: "Delete 1 key" }).click();
  assert.equal(await jobEnd(page, "#bulk-job"), "failed");
  const job = page.locator("#bulk-job .job");
  assert.match(await job.locator(".job-state").textContent(), /^Failed: Not found\./);
  assert.match(await job.textContent(), /Resuming would stop the same way/);
  assert.doesNotMatch(await job.textContent(), /--[a-z]|interrupted/);
  assert.ok(await job.getByRole("button", { name: "Resume" }).isHidden());
  await screenshot(page, "everyday-5-namespace-gone-narrow");
  await page.getByRole("tab", { name: "Jobs" }).click();
  const row = page.locator("#jobs-table tbody tr", { hasText: "from gone" });
  assert.match(await row.textContent(), /failed \(resuming would not help\)/);
  assert.equal(await row.getByRole("button", { name: /^Resume/ }).count(), 0);
  assert.ok(await withinWidth(page, row.getByRole("button", { name: /^Forget/ })));
  assert.ok(await page.locator("#jobs-notice").isHidden(), "no job is offered for resuming");
  assert.ok(await fitsWidth(page));
  await screenshot(page, "everyday-6-jobs-failed-narrow");
  assert.deepEqual(errors, []);
});

test("screen readers hear a job's milestones, not its figures four times a second", async () => {
  const { emulator, server, browser } = stack;
  const { page, errors } = await openConsole(browser, server);
  await connect(page, emulator.info.token);
  await page.waitForFunction(() => document.getElementById("conn-status").textContent.startsWith("Connected"));
  const bulk = await previewBulk(page, { namespace: "T", prefix: "key/", batch: 10 });
  await bulk.getByRole("button", { name: "Count them all" }).click();
  await page.getByRole("button", { name: "Delete 3,000 keys…" }).click();
  // Every change of the page's live regions, and of the job's state line, is recorded.
  await page.evaluate(() => {
    window.changes = { live: [], state: 0 };
    const live = '[aria-live="polite"], [aria-live="assertive"], [role="status"], [role="alert"]';
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target.nodeType === Node.TEXT_NODE ? r.target.parentElement : r.target;
        const region = el.closest(live);
        if (region && region.textContent && !region.closest("[hidden]"))
          window.changes.live.push(`${region.id}: ${region.textContent}`);
        else if (el.closest("#bulk-job .job-state")) ++window.changes.state;
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await page.getByRole("dialog").getByRole("button", { name: "Delete 3,000 keys" }).click();
  assert.equal(await jobEnd(page, "#bulk-job"), "completed");
  const { live, state } = await page.evaluate(() => window.changes);
  console.log(`# the state line changed ${state} times; the live region ${live.length}: ${JSON.stringify(live)}`);
  assert.ok(state >= 8, `the job ran long enough to be heard (${state} updates)`);
  // Started, 25%, 50%, 75%, the end (and a rate-limit wait, if any): a handful, however long the job.
  assert.ok(live.length <= 8, `${live.length} announcements`);
  assert.match(live.at(-1), /^job-announcer: Done: 3,000 keys deleted/);
  assert.match(live[0], /^job-announcer: Delete keys starting with “key\/” from T: started\.$/);
  // The state line itself is not a live region.
  const stateLine = page.locator("#bulk-job .job-state");
  assert.equal(await stateLine.getAttribute("role"), null);
  assert.equal(await stateLine.getAttribute("aria-live"), null);
  assert.deepEqual(errors, []);
});

test("the chart's request rate follows the traffic, not the sampling", async () => {
  const { server, browser } = stack;
  const { page, errors } = await openConsole(browser, server);
  // Six requests a second, answered in ones and twos: snapshots four times a second see +1, +2, +1, +2, …
  const rates = await page.evaluate(async () => {
    const { RateChart } = await import("/chart.js");
    const canvas = document.createElement("canvas");
    document.body.append(canvas);
    const chart = new RateChart(canvas);
    let requests = 0;
    const seen = [];
    for (let i = 1; i <= 40; ++i) {
      requests += i % 2 ? 1 : 2;
      chart.add({ elapsed_s: i / 4, requests, concurrency: 4, inflight: 2 });
      if (i / 4 >= 2.5) seen.push(chart.rate);
    }
    chart.dispose();
    canvas.remove();
    return seen;
  });
  console.log(`# chart rates: ${rates.map((r) => r.toFixed(2)).join(" ")}`);
  // Two-point rates would alternate 4 and 8 requests/s.
  for (const r of rates) assert.ok(r >= 5.5 && r <= 6.5, `a rate of ${r}`);
  assert.deepEqual(errors, []);
});
