// A purge by URLs from the page: 250 URLs with a cache-key header on a Pro zone (100 URLs per request) arrive at the
// emulator as exactly 3 purge requests holding exactly those URLs.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  cliSpec,
  consoleStack,
  emulatorPurges,
  jobEnd,
  journaledSpecs,
  openConsole,
  requireBrowser,
  screenshot,
} from "../harness.mjs";

requireBrowser();

const stack = consoleStack(["--zone", "example.com", "--plan", "pro"]);

test("purge 250 URLs with a cache-key header", async () => {
  const { emulator, server, browser } = stack;
  const { page, errors } = await openConsole(browser, server);
  const panel = page.locator("#panel-purge");
  assert.equal(await page.getByLabel("Zone", { exact: true }).inputValue(), emulator.info.zones[0].id);
  // The engine reads the zone's plan (Pro) from its zone object: it sets how many URLs go in one request. The
  // select only overrides it.
  assert.equal(await panel.getByLabel("Plan of the zone").inputValue(), "auto");

  const urls = Array.from({ length: 250 }, (_, i) => `https://www.example.com/assets/file-${i}.css`);
  await panel.getByLabel("URLs to purge, one per line").fill(urls.join("\n"));
  await panel.getByLabel(/Cache-key headers/).fill("CF-Device-Type: mobile");
  // The engine checks the list (a dry run, nothing sent) and says what the purge will take.
  await page.waitForFunction(() =>
    document.getElementById("purge-summary").textContent.startsWith("250 URLs → 3 requests"),
  );
  assert.match(await page.locator("#purge-summary").textContent(), /on pro plan limits/);
  await screenshot(page, "purge-1-ready");
  assert.deepEqual(await emulatorPurges(emulator), []);

  await panel.getByRole("button", { name: "Purge", exact: true }).click();
  assert.equal(await jobEnd(page, "#purge-job", 60_000), "completed");
  const job = page.locator("#purge-job .job");
  assert.match(await job.locator(".job-state").textContent(), /^Done: 250 URLs purged/);
  await screenshot(page, "purge-2-done");

  // The page built the spec the CLI builds for the same purge; only the input's name and size differ (a typed list
  // and a JSON array of flags).
  const [journaled] = await journaledSpecs(page);
  assert.equal(journaled.op, "cache.purge");
  const cli = cliSpec(emulator, [
    "cache",
    "purge",
    "files",
    ...urls,
    "--zone",
    emulator.info.zones[0].id,
    "--header",
    "CF-Device-Type: mobile",
  ]);
  const withoutInput = ({ input, input_size, ...rest }) => rest;
  assert.deepEqual(withoutInput(journaled.spec), withoutInput({ ...cli, dry_run: false }));

  const log = await emulatorPurges(emulator);
  assert.equal(log.length, 3);
  assert.ok(log.every((p) => p.type === "files" && p.zone === "example.com"));
  assert.deepEqual(
    log.map((p) => p.count).sort((a, b) => a - b),
    [50, 100, 100],
  );
  const purged = log.flatMap((p) => p.items);
  assert.deepEqual(purged.map((f) => f.url).sort(), [...urls].sort());
  assert.ok(purged.every((f) => f.headers && f.headers["CF-Device-Type"] === "mobile"));
  assert.deepEqual(errors, []);
});

test("a URL outside the zone is refused before anything is sent", async () => {
  const { emulator, server, browser } = stack;
  const before = (await emulatorPurges(emulator)).length;
  const { page } = await openConsole(browser, server);
  const panel = page.locator("#panel-purge");
  await panel.getByLabel("URLs to purge, one per line").fill("https://www.example.com/a\nhttps://elsewhere.org/b");
  await panel.getByRole("button", { name: "Purge", exact: true }).click();
  await page.waitForFunction(() => document.querySelector("#purge-job .job")?.dataset.status === "failed");
  const state = await page.locator("#purge-job .job-state").textContent();
  assert.match(state, /elsewhere\.org\/b.*is not in the given zones \(example\.com\)/);
  assert.equal((await emulatorPurges(emulator)).length, before);
  await screenshot(page, "purge-3-refused");
});
