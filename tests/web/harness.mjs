// What the browser tests share: starting the real emulator and the real console server (and always stopping them),
// launching Debian's Chromium through playwright-core, screenshots, and reading the emulator's state directly.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { after, before } from "node:test";

export const BINARY = process.env.CKP_BINARY;
export const CONSOLE_HOST = process.env.CKP_CONSOLE_HOST;
export const WASM_DIR = process.env.CKP_WASM_DIR;
export const CHROMIUM = process.env.CKP_CHROMIUM || "/usr/bin/chromium";
export const SCREENSHOTS = process.env.CKP_SCREENSHOTS || path.resolve("web-screenshots");

const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/** Exits with CTest's "skipped" code when what a browser test needs is missing. */
export function requireBrowser() {
  for (const [what, p] of [
    ["Chromium", CHROMIUM],
    ["cache-kv-purger", BINARY],
    ["the wasm engine", path.join(WASM_DIR || "", "ckp.wasm")],
  ]) {
    if (!p || !fs.existsSync(p)) {
      console.log(`SKIP: ${what} not found (${p}); scripts/install-deps.sh web wasm`);
      process.exit(77);
    }
  }
}

/** A running server started by a test. */
class Server {
  constructor(child, info) {
    this.child = child;
    this.info = info;
  }
  /** Stops it (SIGTERM) and waits for it to exit. */
  async stop() {
    children.delete(this.child);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

/** setpriv(1), when present: a server started through it dies with the test even if the test is SIGKILLed. */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p));

/** Starts `program args` and resolves once it has printed its one-line JSON start information. */
function startServer(program, args, env, name) {
  return new Promise((resolve, reject) => {
    const child = SETPRIV
      ? spawn(SETPRIV, ["--pdeathsig", "KILL", "--", program, ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(program, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const onExit = (code) => reject(new Error(`${name} exited (${code}) before it started: ${stderr}`));
    child.once("exit", onExit);
    readline.createInterface({ input: child.stdout }).once("line", (line) => {
      child.off("exit", onExit);
      try {
        resolve(new Server(child, JSON.parse(line)));
      } catch (e) {
        reject(new Error(`${name} printed no JSON start line: ${line}`));
      }
    });
  });
}

/** The environment without any Cloudflare settings of the user's (tests set their own). */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("CLOUDFLARE_")) env[k] = v;
  // A CLI that reads a config file must not find the user's.
  env.XDG_CONFIG_HOME = fs.mkdtempSync(path.join(os.tmpdir(), "ckp-web-config-"));
  env.HOME = env.XDG_CONFIG_HOME;
  return { ...env, ...extra };
}

/** Starts `cache-kv-purger emulator --port 0 …args`. */
export function startEmulator(args = []) {
  return startServer(BINARY, ["emulator", "--port", "0", ...args], cleanEnv({}), "the emulator");
}

/** The console server program: the CLI when it has the `console` command, else the test host (same server code). */
export function consoleProgram() {
  const help = spawnSync(BINARY, ["--help"], { encoding: "utf8", env: cleanEnv({}) });
  return /^\s+console\s/m.test(help.stdout || "") ? BINARY : CONSOLE_HOST;
}

/**
 * Starts the console server against @p emulator. With @p serverToken the server holds the credentials (the browser
 * never sees them); without, the page must be given a token.
 */
export function startConsole(emulator, { serverToken = true, accountId = false, args = [], env: extra = {} } = {}) {
  const env = cleanEnv({ CLOUDFLARE_API_BASE_URL: emulator.info.base_url, ...extra });
  if (serverToken) env.CLOUDFLARE_API_TOKEN = emulator.info.token;
  if (accountId) env.CLOUDFLARE_ACCOUNT_ID = emulator.info.account_id;
  return startServer(
    consoleProgram(),
    ["console", "--port", "0", "--wasm-dir", WASM_DIR, ...args],
    env,
    "the console server",
  );
}

/**
 * One file's test stack: before its tests, the emulator (with `emulatorArgs`), the console server in front of it
 * (`consoleOptions` as for startConsole) and Chromium; after them, all three stopped. Returns an object whose
 * `emulator`, `server` and `browser` are set once the stack is up.
 */
export function consoleStack(emulatorArgs, consoleOptions) {
  const stack = {};
  before(async () => {
    stack.emulator = await startEmulator(emulatorArgs);
    stack.server = await startConsole(stack.emulator, consoleOptions);
    stack.browser = await launchBrowser();
  });
  after(async () => {
    await stack.browser?.close();
    await stack.server?.stop();
    await stack.emulator?.stop();
  });
  return stack;
}

/** Launches Debian's Chromium (never a downloaded browser). */
export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-gpu",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}

/** A new page at 1280×800 that fails the test on page errors; returns {context, page, errors}. */
export async function openConsole(browser, consoleServer, { context, viewport } = {}) {
  const ctx = context || (await browser.newContext({ viewport: viewport || { width: 1280, height: 800 } }));
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(consoleServer.info.url);
  await page.waitForSelector("body[data-ready=true]");
  return { context: ctx, page, errors };
}

/** Saves a full-page screenshot as SCREENSHOTS/@p name.png. */
export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Calls the emulator's API directly (not through the console), with its token. */
export async function emulatorApi(emulator, apiPath, init = {}) {
  const res = await fetch(emulator.info.base_url + apiPath, {
    ...init,
    headers: { Authorization: `Bearer ${emulator.info.token}`, ...(init.headers || {}) },
  });
  return res.json();
}

/** The emulator's admin counters (/__emulator/stats). */
export async function emulatorStats(emulator) {
  return (await fetch(`${emulator.info.admin_url}/stats`)).json();
}

/** The emulator's purge log (/__emulator/purges). */
export async function emulatorPurges(emulator) {
  return (await fetch(`${emulator.info.admin_url}/purges`)).json();
}

/** Every key of namespace @p ns starting with @p prefix, read from the emulator page by page. */
export async function emulatorKeys(emulator, ns, prefix) {
  const keys = [];
  let cursor = "";
  do {
    const q = new URLSearchParams({ limit: "1000", prefix });
    if (cursor) q.set("cursor", cursor);
    const page = await emulatorApi(
      emulator,
      `/accounts/${emulator.info.account_id}/storage/kv/namespaces/${ns}/keys?${q}`,
    );
    if (!page.success) throw new Error(JSON.stringify(page.errors));
    keys.push(...page.result.map((k) => k.name));
    cursor = page.result_info && page.result_info.cursor ? page.result_info.cursor : "";
  } while (cursor);
  return keys;
}

/** Writes keys straight into the emulator with one bulk write. */
export async function emulatorPut(emulator, ns, pairs) {
  const r = await emulatorApi(emulator, `/accounts/${emulator.info.account_id}/storage/kv/namespaces/${ns}/bulk`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(pairs),
  });
  if (!r.success) throw new Error(JSON.stringify(r.errors));
}

/**
 * The spec the CLI builds for `args` (a command and its flags, e.g. ["kv", "delete", "--prefix", "key/"]): runs it
 * against @p emulator as a dry run with --json and returns the report's `spec` — to compare with the spec the page
 * builds for the same request.
 */
export function cliSpec(emulator, args) {
  const env = cleanEnv({
    CLOUDFLARE_API_BASE_URL: emulator.info.base_url,
    CLOUDFLARE_API_TOKEN: emulator.info.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.info.account_id,
    XDG_STATE_HOME: fs.mkdtempSync(path.join(os.tmpdir(), "ckp-web-state-")),
  });
  const r = spawnSync(BINARY, [...args, "--dry-run", "--json", "--yes", "--progress", "none"], {
    encoding: "utf8",
    env,
  });
  if (r.status !== 0) throw new Error(`cache-kv-purger ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout).spec;
}

/** The specs of the jobs the page journaled in its browser storage (each journal's `spec` line). */
export async function journaledSpecs(page) {
  const lines = await page.evaluate(() => {
    const out = [];
    for (let i = 0; i < localStorage.length; ++i) {
      const key = localStorage.key(i);
      if (/^ckp\.job\..*\.g\d+\.\d+$/.test(key)) out.push(...localStorage.getItem(key).split("\n"));
    }
    return out;
  });
  return lines
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((j) => j.t === "spec");
}

/** Creates namespace @p title in the emulator (with @p pairs written into it); returns its id. */
export async function emulatorNamespace(emulator, title, pairs = []) {
  const r = await emulatorApi(emulator, `/accounts/${emulator.info.account_id}/storage/kv/namespaces`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ title }),
  });
  if (!r.success) throw new Error(JSON.stringify(r.errors));
  if (pairs.length) await emulatorPut(emulator, r.result.id, pairs);
  return r.result.id;
}

/** Waits until the job view in @p container (a selector) has stopped running; returns its status. */
export async function jobEnd(page, container, timeout = 120_000) {
  await page.waitForFunction(
    (sel) => {
      const status = document.querySelector(`${sel} .job`)?.dataset.status;
      return status && status !== "running";
    },
    container,
    { timeout },
  );
  return page.locator(`${container} .job`).getAttribute("data-status");
}

/** Whether the page fits its window's width (nothing makes it scroll sideways). */
export function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

/** Whether @p locator's box lies within the window's width. */
export async function withinWidth(page, locator) {
  const box = await locator.boundingBox();
  const width = page.viewportSize().width;
  return box !== null && box.x >= 0 && box.x + box.width <= width + 1;
}

/**
 * Asks for a bulk delete's preview as a user would: the Bulk delete tab, the namespace (by title, when given), the
 * key prefix, the keys per bulk request (when given, under Advanced), then Preview. Returns the panel.
 */
export async function previewBulk(page, { namespace, prefix, batch }) {
  await page.getByRole("tab", { name: "Bulk delete" }).click();
  const panel = page.locator("#panel-bulk");
  if (namespace) await panel.getByLabel("Namespace").selectOption({ label: namespace });
  await panel.getByRole("textbox", { name: "Key prefix" }).fill(prefix);
  if (batch) {
    await panel.locator("summary").click();
    await panel.getByLabel("Keys per bulk request (1–10000)").fill(String(batch));
  }
  await panel.getByRole("button", { name: "Preview (dry run)" }).click();
  return panel;
}
