// The console server's boundary, over raw HTTP (no browser): requests without the secret, with a wrong one, from a
// foreign Origin or Host, cross-site, or with path traversal are refused — and refused API calls never reach the
// API. The credentials stay in the server.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { emulatorStats, startConsole, startEmulator } from "./harness.mjs";

let emulator, server, port, secret;
before(async () => {
  emulator = await startEmulator(["--zone", "example.com", "--seed-namespace", "T", "--seed-keys", "5"]);
  server = await startConsole(emulator);
  port = server.info.port;
  secret = new URL(server.info.url).hash.replace("#secret=", "");
});
after(async () => {
  await server?.stop();
  await emulator?.stop();
});

/** Sends one request exactly as written (no client-side path normalization) and reads the whole answer. */
function raw(method, target, headers = {}, body = "") {
  const all = { Host: `127.0.0.1:${port}`, Connection: "close", ...headers };
  if (body || method === "POST" || method === "PUT") all["Content-Length"] = Buffer.byteLength(body);
  const text =
    `${method} ${target} HTTP/1.1\r\n` +
    Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("") +
    `\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text)); // the server closes (Connection: close)
    const chunks = [];
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", reject);
    socket.on("end", () => {
      const response = Buffer.concat(chunks).toString("utf8");
      const [head, ...rest] = response.split("\r\n\r\n");
      const status = Number(head.split(" ")[1]);
      resolve({ status, head, body: rest.join("\r\n\r\n") });
    });
  });
}

const withSecret = (extra = {}) => ({ "X-Ckp-Console": secret, ...extra });
const apiCalls = async () => (await emulatorStats(emulator)).requests;

test("the start line gives a loopback URL with a fresh 64-hex-digit secret in its fragment", () => {
  assert.match(server.info.url, /^http:\/\/127\.0\.0\.1:\d+\/#secret=[0-9a-f]{64}$/);
  assert.equal(server.info.server_credentials, true);
  assert.ok(!JSON.stringify(server.info).includes(emulator.info.token));
});

test("API calls need the secret, and refused ones never reach the API", async () => {
  const before = await apiCalls();
  for (const headers of [{}, { "X-Ckp-Console": "0".repeat(64) }, { "X-Ckp-Console": secret.slice(0, 63) }]) {
    const r = await raw("GET", "/client/v4/zones", headers);
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.match(r.body, /console: the console's secret is (missing|wrong)/);
    assert.equal(
      (
        await raw(
          "POST",
          `/client/v4/accounts/${emulator.info.account_id}/storage/kv/namespaces`,
          { ...headers, "Content-Type": "application/json" },
          '{"title":"x"}',
        )
      ).status,
      403,
    );
  }
  assert.equal((await raw("GET", "/console/config")).status, 403);
  assert.equal(await apiCalls(), before);
  const ok = await raw("GET", "/client/v4/zones", withSecret());
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).result[0].name, "example.com");
  assert.equal(await apiCalls(), before + 1);
});

test("a foreign Origin, a cross-site fetch or a foreign Host is refused, even with the secret", async () => {
  const before = await apiCalls();
  const cases = [
    { Origin: "http://evil.example" },
    { Origin: "null" },
    { Origin: `http://127.0.0.1:${port + 1}` },
    { Origin: `https://127.0.0.1:${port}` },
    { "Sec-Fetch-Site": "cross-site" },
    { "Sec-Fetch-Site": "same-site" },
    { Host: `evil.example:${port}` },
    { Host: "127.0.0.1" },
  ];
  for (const extra of cases) {
    const r = await raw("GET", "/client/v4/zones", withSecret(extra));
    assert.equal(r.status, 403, JSON.stringify(extra));
    assert.doesNotMatch(r.head, /Access-Control-Allow-Origin/i);
  }
  // A DNS-rebinding page cannot even read the static files.
  assert.equal((await raw("GET", "/", { Host: `rebound.example:${port}` })).status, 403);
  // A preflight from another page gets nothing that would let it through.
  const preflight = await raw("OPTIONS", "/client/v4/zones", {
    Origin: "http://evil.example",
    "Access-Control-Request-Method": "GET",
  });
  assert.equal(preflight.status, 403);
  assert.equal(await apiCalls(), before);
  // The page's own origin, and localhost, are fine.
  assert.equal(
    (
      await raw(
        "GET",
        "/client/v4/zones",
        withSecret({ Origin: `http://127.0.0.1:${port}`, "Sec-Fetch-Site": "same-origin" }),
      )
    ).status,
    200,
  );
  assert.equal(
    (
      await raw(
        "GET",
        "/client/v4/zones",
        withSecret({ Host: `localhost:${port}`, Origin: `http://localhost:${port}` }),
      )
    ).status,
    200,
  );
});

test("static files: the page is served, path traversal is not", async () => {
  const page = await raw("GET", "/");
  assert.equal(page.status, 200);
  assert.match(page.head, /Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'/i);
  assert.match(page.head, /X-Content-Type-Options: nosniff/i);
  assert.match(page.body, /<title>cache-kv-purger console<\/title>/);
  assert.equal((await raw("GET", "/wasm/ckp.wasm")).status, 200);
  for (const target of [
    "/../CMakeLists.txt",
    "/%2e%2e/CMakeLists.txt",
    "/%2E%2E%2FCMakeLists.txt",
    "/..%2fCMakeLists.txt",
    "/wasm/../../CMakeLists.txt",
    "/wasm/%2e%2e/%2e%2e/README.md",
    "/web/../README.md",
    "//etc/passwd",
    "/..\\..\\README.md",
    "/.gitignore",
    "/wasm/.%2e/CMakeLists.txt",
    "/index.html%00.js",
    "/%2fetc%2fpasswd",
    "/../../../../../../etc/passwd",
    "/wasm/obj/bindings.o",
  ]) {
    const r = await raw("GET", target);
    assert.ok(r.status === 404 || r.status === 400 || r.status === 403, `${target}: ${r.status}`);
    assert.doesNotMatch(r.body, /cmake_minimum_required|root:x:0|cache-kv-purger\n/, target);
  }
});

test("API paths that would climb out of /client/v4 are refused before the API sees them", async () => {
  const before = await apiCalls();
  const stats = await emulatorStats(emulator);
  for (const target of [
    "/client/v4/../__emulator/stats",
    "/client/v4/%2e%2e/__emulator/stats",
    "/client/v4/zones/%2E%2E/%2e%2e/__emulator/reset",
    "/client/v4/./zones",
    "/client/v4/zones/..\\..\\x",
  ]) {
    for (const method of ["GET", "POST"]) {
      const r = await raw(method, target, withSecret());
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${target}: ${r.status}`);
    }
  }
  assert.equal(await apiCalls(), before);
  assert.equal((await emulatorStats(emulator)).stored_keys, stats.stored_keys);
});

test("the credentials stay in the server: the page's Authorization is replaced, never echoed", async () => {
  const config = await raw("GET", "/console/config", withSecret());
  assert.equal(config.status, 200);
  assert.equal(JSON.parse(config.body).server_credentials, true);
  assert.ok(!config.body.includes(emulator.info.token));
  const r = await raw("GET", "/client/v4/zones", withSecret({ Authorization: "Bearer something-else" }));
  assert.equal(r.status, 200);
  assert.ok(!r.head.includes(emulator.info.token) && !r.body.includes(emulator.info.token));
});

test("the server listens on loopback only", async () => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal);
  if (!external) return; // no other address on this machine to try
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = net.connect(port, external.address, () => {
        s.destroy();
        resolve();
      });
      s.on("error", reject);
    }),
    /ECONNREFUSED/,
  );
});

test("--open hands the URL with its secret to the browser ($BROWSER), without a shell", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ckp-open-"));
  const seen = path.join(dir, "opened");
  const browser = path.join(dir, "browser");
  fs.writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${seen}.tmp' && mv '${seen}.tmp' '${seen}'\n`, {
    mode: 0o755,
  });
  const watcher = fs.watch(dir);
  const opened = new Promise((resolve) => watcher.on("change", (_, name) => name === "opened" && resolve()));
  const other = await startConsole(emulator, { args: ["--open"], env: { BROWSER: browser } });
  try {
    await opened;
    assert.equal(fs.readFileSync(seen, "utf8"), other.info.url);
    assert.notEqual(other.info.url, server.info.url); // a fresh secret per launch
  } finally {
    watcher.close();
    await other.stop();
  }
});

test("an https upstream is used with certificate verification on: a self-signed API is refused", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ckp-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
  } catch {
    t.skip("openssl is not installed");
    return;
  }
  let answered = 0;
  const api = https.createServer(
    { key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) },
    (req, res) => {
      ++answered;
      res.setHeader("Content-Type", "application/json");
      res.end('{"success":true,"errors":[],"messages":[],"result":[]}');
    },
  );
  await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
  const fake = { info: { base_url: `https://127.0.0.1:${api.address().port}/client/v4`, token: "t" } };
  const tls = await startConsole(fake);
  try {
    const tlsSecret = new URL(tls.info.url).hash.replace("#secret=", "");
    const r = await new Promise((resolve, reject) => {
      const socket = net.connect(tls.info.port, "127.0.0.1", () =>
        socket.write(
          `GET /client/v4/zones HTTP/1.1\r\nHost: 127.0.0.1:${tls.info.port}\r\nX-Ckp-Console: ${tlsSecret}\r\nConnection: close\r\n\r\n`,
        ),
      );
      const chunks = [];
      socket.on("data", (d) => chunks.push(d));
      socket.on("error", reject);
      socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
    assert.match(r, /^HTTP\/1\.1 502/);
    assert.match(r, /could not reach https:\/\/127\.0\.0\.1: its TLS certificate could not be verified/);
    assert.equal(answered, 0, "no request may pass an unverified TLS connection");
  } finally {
    await tls.stop();
    api.close();
  }
});
