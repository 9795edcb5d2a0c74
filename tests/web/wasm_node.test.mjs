// The WebAssembly engine under Node.js, against the real emulator: the same module the page loads, its fetch
// transport (over a small XMLHttpRequest for Node), its journal in (a Node stand-in for) localStorage, validation,
// bulk delete with cancel and resume, and a journal long enough to be compacted.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";

import { emulatorKeys, emulatorStats, startEmulator, WASM_DIR } from "./harness.mjs";
import { MemoryStorage, NodeXMLHttpRequest } from "./node_shims.mjs";

globalThis.XMLHttpRequest = NodeXMLHttpRequest;
globalThis.localStorage = new MemoryStorage();

let engine, emulator;
before(async () => {
  const create = createRequire(import.meta.url)(path.join(WASM_DIR, "ckp.js"));
  // Node 20's fetch cannot load a file path: hand the module its bytes.
  engine = await create({ wasmBinary: fs.readFileSync(path.join(WASM_DIR, "ckp.wasm")) });
  emulator = await startEmulator(["--seed-namespace", "T", "--seed-keys", "12000", "--latency", "60"]);
});
after(async () => {
  await emulator?.stop();
});

function session() {
  return new engine.Session(JSON.stringify({ base_url: emulator.info.base_url, token: emulator.info.token }));
}

/** Runs a job to its end; returns {report, progress: [...]}. Calls @p onProgress(p, job) on each progress event. */
function run(start, onProgress) {
  return new Promise((resolve) => {
    const progress = [];
    let job = null; // the first progress event comes before start() has returned the job
    job = start({
      onProgress: (t) => {
        const p = JSON.parse(t);
        progress.push(p);
        onProgress?.(p, job);
      },
      onFinished: (t) => {
        resolve({ report: JSON.parse(t), progress, id: job.id() });
        setTimeout(() => job.delete(), 0);
      },
    });
  });
}

const call = (s, method, ...args) => new Promise((resolve) => s[method](...args, (t) => resolve(JSON.parse(t))));

test("validation speaks the engine's words", () => {
  assert.equal(engine.version(), "0.1.0");
  assert.match(
    JSON.parse(engine.validate("key", "k".repeat(513))).message,
    /513 bytes; Workers KV keys are at most 512 bytes/,
  );
  assert.equal(engine.validate("key", "fine/key"), "");
  assert.equal(JSON.parse(engine.validate("url", "example.com/x")).kind, "invalid_input");
  assert.equal(engine.validate("url", "https://example.com/x"), "");
  assert.match(JSON.parse(engine.validate("metadata", "{nope")).message, /not valid JSON/);
  assert.match(
    JSON.parse(engine.validate("metadata", JSON.stringify({ a: "x".repeat(1100) }))).message,
    /at most 1024 bytes/,
  );
});

test("interactive calls through the fetch transport", async () => {
  const s = session();
  const ns = emulator.info.namespaces.T;
  const acct = emulator.info.account_id;
  const names = await call(s, "namespaces", acct);
  assert.deepEqual(
    names.result.map((n) => n.title),
    ["T"],
  );
  const page = await call(s, "keys", acct, ns, "key/", "", 10);
  assert.equal(page.result.keys.length, 10);
  assert.ok(page.result.cursor);
  const put = await call(
    s,
    "putKey",
    acct,
    ns,
    "a/b c",
    "héllo",
    JSON.stringify({ metadata: '{"type":"page"}', expiration_ttl: 3600 }),
  );
  assert.ok(put.ok, JSON.stringify(put));
  const got = await call(s, "getKey", acct, ns, "a/b c");
  assert.equal(got.result.value, "héllo");
  assert.deepEqual(got.result.metadata, { type: "page" });
  assert.ok(got.result.expiration > Date.now() / 1000);
  assert.ok((await call(s, "deleteKey", acct, ns, "a/b c")).ok);
  const gone = await call(s, "getKey", acct, ns, "a/b c");
  assert.equal(gone.error.kind, "not_found");
  const tooLong = await call(s, "putKey", acct, ns, "k".repeat(600), "v", "{}");
  assert.equal(tooLong.error.kind, "invalid_input");
  const bad = new engine.Session(JSON.stringify({ base_url: emulator.info.base_url, token: "wrong" }));
  assert.equal((await call(bad, "zones", "")).error.kind, "authentication");
  s.delete();
  bad.delete();
});

test("bulk delete: dry run, cancel, resume from the journal in storage", async () => {
  const s = session();
  const spec = {
    account_id: emulator.info.account_id,
    namespace_id: emulator.info.namespaces.T,
    source: "listing",
    prefix: "key/",
    batch_size: 500,
    label: "node test",
  };
  const dry = await run((cbs) => s.bulkDelete(JSON.stringify({ ...spec, dry_run: true }), cbs));
  assert.equal(dry.report.status, "completed");
  assert.equal(dry.report.done, 12000);
  assert.equal(dry.report.samples.length, 10);
  assert.equal((await emulatorStats(emulator)).stored_keys, 12000);
  assert.deepEqual(JSON.parse(engine.listJobs()), []); // a dry run keeps no journal

  let cancelled = false;
  const first = await run(
    (cbs) => s.bulkDelete(JSON.stringify({ ...spec, expected_total: 12000 }), cbs),
    (p, job) => {
      if (!cancelled && job && p.done > 0) {
        cancelled = true;
        job.cancel();
      }
    },
  );
  assert.equal(first.report.status, "cancelled");
  assert.equal(first.report.resumable, true);
  assert.equal(
    (await emulatorStats(emulator)).stored_keys,
    12000 - first.report.done,
    JSON.stringify({ ...first.report, failures: first.report.failures.slice(0, 3) }),
  );
  assert.ok(first.progress.every((p) => p.total === 12000));
  const jobs = JSON.parse(engine.listJobs());
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].status, "cancelled");
  assert.equal(jobs[0].journal.end_status, null);
  const journalText = localStorage
    .keys()
    .map((k) => localStorage.getItem(k))
    .join("\n");
  assert.ok(!journalText.includes(emulator.info.token), "no credential in the journal");

  // A console started against another API refuses to resume it — and leaves it as it was: not ended, its counts
  // kept, resumable from the right console (a refused resume is not a failure of the job).
  const elsewhere = new engine.Session(
    JSON.stringify({ base_url: emulator.info.base_url, token: emulator.info.token, api_base: "https://other.test" }),
  );
  const refused = await run((cbs) => elsewhere.resume(first.id, cbs));
  assert.equal(refused.report.status, "failed");
  assert.equal(refused.report.error.kind, "journal");
  assert.equal(refused.report.resumable, false);
  const kept = JSON.parse(engine.listJobs())[0];
  assert.equal(kept.journal.end_status, null);
  assert.equal(kept.journal.done, jobs[0].journal.done);
  elsewhere.delete();

  // A new session (a new tab) resumes it.
  const s2 = session();
  const second = await run((cbs) => s2.resume(first.id, cbs));
  assert.equal(second.report.status, "completed");
  assert.equal(second.report.done, 12000);
  // The whole job: both runs (and the refused one, which sent nothing).
  assert.equal(second.report.job_runs, 3);
  assert.equal(second.report.job_requests, first.report.requests.sent + second.report.requests.sent);
  assert.ok(second.report.job_elapsed_s >= second.report.elapsed_s + first.report.elapsed_s - 0.01);
  assert.ok(second.report.scanned < 12000, `resumed from the watermark (listed ${second.report.scanned})`);
  assert.deepEqual(await emulatorKeys(emulator, spec.namespace_id, "key/"), []);
  assert.equal(JSON.parse(engine.listJobs())[0].journal.end_status, "completed");
  const again = await run((cbs) => s2.resume(first.id, cbs));
  assert.equal(again.report.status, "failed");
  assert.match(again.report.error.message, /already ended/);
  engine.forgetJob(first.id);
  assert.deepEqual(localStorage.keys(), []);
  s.delete();
  s2.delete();
});

test("dry runs by metadata field and by metadata search select what the engine selects", async () => {
  const s = session();
  const ns = emulator.info.namespaces.T;
  const pairs = Array.from({ length: 30 }, (_, i) => ({
    key: `m/${i}`,
    value: "v",
    metadata: { type: i % 3 === 0 ? "image" : "page", info: { tags: [i % 5 === 0 ? "Blue-Sky" : "grey"] } },
  }));
  const put = await fetch(
    `${emulator.info.base_url}/accounts/${emulator.info.account_id}/storage/kv/namespaces/${ns}/bulk`,
    {
      method: "PUT",
      headers: { Authorization: `Bearer ${emulator.info.token}`, "Content-Type": "application/json" },
      body: JSON.stringify(pairs),
    },
  );
  assert.ok((await put.json()).success);
  const base = {
    account_id: emulator.info.account_id,
    namespace_id: ns,
    source: "listing",
    prefix: "m/",
    dry_run: true,
  };
  const byField = await run((cbs) => s.bulkDelete(JSON.stringify({ ...base, field: "type", value: "image" }), cbs));
  assert.equal(byField.report.done, 10);
  assert.equal(byField.report.scanned, 30);
  const bySearch = await run((cbs) => s.bulkDelete(JSON.stringify({ ...base, search: "blue" }), cbs));
  assert.equal(bySearch.report.done, 6);
  // Both filters at once: every filter given must match (the CLI's rule, from the same engine code).
  const both = await run((cbs) =>
    s.bulkDelete(JSON.stringify({ ...base, field: "type", value: "image", search: "blue" }), cbs),
  );
  assert.equal(both.report.done, bySearch.report.samples.filter((k) => byField.report.samples.includes(k)).length);
  const valueOnly = await run((cbs) => s.bulkDelete(JSON.stringify({ ...base, value: "image" }), cbs));
  assert.equal(valueOnly.report.status, "failed");
  assert.match(valueOnly.report.error.message, /“Value” needs “Metadata field”/);
  const nothing = await run((cbs) => s.bulkDelete(JSON.stringify({ ...base, prefix: "" }), cbs));
  assert.equal(nothing.report.status, "failed");
  assert.match(nothing.report.error.message, /no keys selected: .*“Every key”/);
  assert.equal((await emulatorKeys(emulator, ns, "m/")).length, 30); // dry runs delete nothing
  await run((cbs) => s.bulkDelete(JSON.stringify({ ...base, dry_run: false }), cbs));
  s.delete();
});

test("a long journal is compacted and still reads back whole", async () => {
  const s = session();
  const ns = emulator.info.namespaces.T;
  // 66 pages of 1,000 keys, each deleted in one request: 66 checkpoints, more than the 64 chunks a journal keeps
  // before it is rewritten as one.
  for (let start = 0; start < 66000; start += 10000) {
    const pairs = Array.from({ length: Math.min(10000, 66000 - start) }, (_, i) => ({
      key: `c/${String(start + i).padStart(6, "0")}`,
      value: "v",
    }));
    const put = await fetch(
      `${emulator.info.base_url}/accounts/${emulator.info.account_id}/storage/kv/namespaces/${ns}/bulk`,
      {
        method: "PUT",
        headers: { Authorization: `Bearer ${emulator.info.token}`, "Content-Type": "application/json" },
        body: JSON.stringify(pairs),
      },
    );
    assert.ok((await put.json()).success);
  }
  const r = await run((cbs) =>
    s.bulkDelete(
      JSON.stringify({
        account_id: emulator.info.account_id,
        namespace_id: ns,
        source: "listing",
        prefix: "c/",
        batch_size: 1000,
      }),
      cbs,
    ),
  );
  assert.equal(r.report.status, "completed");
  assert.equal(r.report.done, 66000);
  // This job's chunks (an earlier test's job may still keep its own journal).
  const chunks = localStorage.keys().filter((k) => k.includes(`.${r.id}.`) && /\.g\d+\.\d+$/.test(k));
  assert.ok(chunks.length < 64, `${chunks.length} chunks`);
  assert.ok(
    chunks.some((k) => /\.g[1-9]\d*\.\d+$/.test(k)),
    "the journal was compacted into a new generation",
  );
  const job = JSON.parse(engine.listJobs()).find((j) => j.id === r.id);
  assert.equal(job.journal.end_status, "completed");
  assert.equal(job.journal.done, 66000);
  assert.equal((await emulatorStats(emulator)).stored_keys, 0);
  s.delete();
});

test("the console's engine lists a large prefix in parallel (4 listings at once), exactly", async () => {
  // UUID-like names at 60 ms a call: the chain would be 40 round trips; the shared lister splits the prefix.
  const uuids = await startEmulator([
    "--seed-namespace",
    "U",
    "--seed-keys",
    "40000",
    "--seed-prefix",
    "u/",
    "--seed-shape",
    "uuid",
    "--latency",
    "60",
  ]);
  try {
    const s = new engine.Session(JSON.stringify({ base_url: uuids.info.base_url, token: uuids.info.token }));
    const r = await run((cbs) =>
      s.bulkDelete(
        JSON.stringify({
          account_id: uuids.info.account_id,
          namespace_id: uuids.info.namespaces.U,
          source: "listing",
          prefix: "u/",
        }),
        cbs,
      ),
    );
    assert.equal(r.report.status, "completed", JSON.stringify(r.report.error));
    assert.equal(r.report.done, 40000);
    assert.ok(r.report.listing.splits >= 1, JSON.stringify(r.report.listing));
    assert.ok(r.report.listing.max_shards > 4, JSON.stringify(r.report.listing));
    assert.equal((await emulatorStats(uuids)).stored_keys, 0);
    s.delete();
  } finally {
    await uuids.stop();
  }
});
