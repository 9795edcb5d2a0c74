// The KV browser against the emulator's store: keys by prefix with cursor paging, a write with metadata and a TTL
// (a multipart body, through the console's proxy), the value and metadata read back, and a delete behind a
// confirmation.
import assert from "node:assert/strict";
import { test } from "node:test";

import { consoleStack, emulatorApi, openConsole, requireBrowser, screenshot } from "../harness.mjs";

requireBrowser();

const stack = consoleStack(["--seed-namespace", "T", "--seed-keys", "250"]);

test("list, page, write, read and delete keys", async () => {
  const { emulator, server, browser } = stack;
  const ns = emulator.info.namespaces.T;
  const keyPath = (k) => `/accounts/${emulator.info.account_id}/storage/kv/namespaces/${ns}/${k}`;
  const { page, errors } = await openConsole(browser, server);
  await page.getByRole("tab", { name: "KV browser" }).click();
  const panel = page.locator("#panel-kv");
  const rows = panel.locator("#kv-keys tbody tr");

  // Paging with the API's cursor: 100, 100, then the last 50.
  await panel.getByRole("textbox", { name: "Key prefix" }).fill("key/");
  await panel.getByRole("button", { name: "List keys" }).click();
  await page.waitForFunction(() => document.getElementById("kv-page").textContent.startsWith("Page 1"));
  assert.equal(await rows.count(), 100);
  assert.equal(await rows.first().locator("td").first().textContent(), "key/0000000");
  await panel.getByRole("button", { name: "Next page" }).click();
  await page.waitForFunction(() => document.getElementById("kv-page").textContent.startsWith("Page 2"));
  assert.equal(await rows.first().locator("td").first().textContent(), "key/0000100");
  await panel.getByRole("button", { name: "Next page" }).click();
  await page.waitForFunction(() => document.getElementById("kv-page").textContent.startsWith("Page 3"));
  assert.equal(await page.locator("#kv-page").textContent(), "Page 3 · 50 keys · last page");
  assert.ok(await panel.getByRole("button", { name: "Next page" }).isDisabled());
  await panel.getByRole("button", { name: "Previous page" }).click();
  await page.waitForFunction(() => document.getElementById("kv-page").textContent.startsWith("Page 2"));
  assert.equal(await rows.first().locator("td").first().textContent(), "key/0000100");

  // A write with metadata and a TTL: a multipart body that must cross the proxy intact.
  await panel.getByRole("textbox", { name: "Key", exact: true }).fill("greetings/hello world");
  await panel.getByLabel("Value").fill("Grüß dich");
  await panel.getByLabel(/^Metadata/).fill('{"type":"greeting","lang":"de"}');
  await panel.getByLabel(/^Expire after/).fill("3600");
  await panel.getByRole("button", { name: "Save key" }).click();
  await page.waitForFunction(() => document.getElementById("put-status").textContent.startsWith("Saved"));
  const meta = await emulatorApi(emulator, keyPath(`metadata/${encodeURIComponent("greetings/hello world")}`));
  assert.deepEqual(meta.result, { type: "greeting", lang: "de" });
  const listed = await emulatorApi(emulator, `${keyPath("keys")}?prefix=greetings%2F`);
  assert.equal(listed.result[0].name, "greetings/hello world");
  assert.ok(listed.result[0].expiration > Date.now() / 1000 + 3500);

  // Read back through the page.
  await panel.getByRole("textbox", { name: "Key prefix" }).fill("greetings/");
  await panel.getByRole("button", { name: "List keys" }).click();
  await panel.getByRole("button", { name: "greetings/hello world" }).click();
  await page.waitForFunction(() => document.getElementById("kv-detail-value").textContent === "Grüß dich");
  assert.deepEqual(JSON.parse(await page.locator("#kv-detail-meta").textContent()), { type: "greeting", lang: "de" });
  assert.notEqual(await page.locator("#kv-detail-exp").textContent(), "never");
  await screenshot(page, "kv-browser-1-key");

  // Delete, behind a confirmation naming the key and the namespace.
  await panel.getByRole("button", { name: "Delete this key" }).click();
  const dialog = page.getByRole("dialog");
  assert.equal(await dialog.getByRole("heading").textContent(), "Delete key “greetings/hello world”?");
  assert.match(await dialog.textContent(), /From namespace T\./);
  await dialog.getByRole("button", { name: "Delete key" }).click();
  await page.waitForFunction(() => document.getElementById("kv-detail-status").textContent.startsWith("Deleted"));
  const gone = await emulatorApi(emulator, `${keyPath("keys")}?prefix=greetings%2F`);
  assert.deepEqual(gone.result, []);
  await screenshot(page, "kv-browser-2-deleted");
  assert.deepEqual(errors, []);
});
