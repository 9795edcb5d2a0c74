// The console page: connects to the engine (WebAssembly) and the console server, then wires the panels.
import { BulkPanel } from "./bulk.js";
import { Scope } from "./connect.js";
import { byId, h, show } from "./dom.js";
import { Api, loadEngine } from "./engine.js";
import { JobsPanel } from "./jobs.js";
import { KvPanel } from "./kv.js";
import { PurgePanel } from "./purge.js";
import { setupTabs } from "./tabs.js";

function fatal(title, detail) {
  const el = byId("fatal");
  el.replaceChildren(h("strong", {}, title), detail ? h("p", {}, detail) : null);
  el.hidden = false;
  byId("conn-status").textContent = "Not connected";
}

/** The per-launch secret, from the fragment of the URL the console printed (#secret=…). */
function secretFromUrl() {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.get("secret") || "";
}

async function main() {
  const secret = secretFromUrl();
  if (!secret) {
    return fatal(
      "This page needs the link that `cache-kv-purger console` printed.",
      "That link ends in #secret=…: the console server answers only pages that know it, so other web pages " +
        "cannot use it.",
    );
  }
  let config;
  try {
    const res = await fetch("/console/config", { headers: { "X-Ckp-Console": secret } });
    const body = await res.json();
    if (!res.ok) {
      return fatal(
        "The console server refused this page.",
        (body.errors && body.errors[0] && body.errors[0].message) || `HTTP ${res.status}`,
      );
    }
    config = body;
  } catch (e) {
    return fatal("The console server does not answer. Is `cache-kv-purger console` still running?", String(e));
  }

  let engine;
  try {
    engine = await loadEngine();
  } catch (e) {
    return fatal("The engine could not start.", e.message || String(e));
  }
  const api = new Api(engine, { secret, apiBase: config.api_base });
  const scope = new Scope(api, config);
  const running = new Set(); // ids of the jobs this page is running

  const tabs = setupTabs(document.querySelector('[role="tablist"]'), (id) => {
    if (id === "tab-jobs") jobsPanel.render();
  });

  // A resumed job runs in the panel of its kind.
  const resume = (jobId) => {
    const meta = api.jobs().find((j) => j.id === jobId);
    const panel = meta && meta.op === "cache.purge" ? purgePanel : bulkPanel;
    tabs.select(panel === purgePanel ? "tab-purge" : "tab-bulk");
    if (panel.running) return;
    panel.run((handlers) => api.resume(jobId, handlers), `Resume: ${meta ? meta.label : jobId}`);
  };
  const tracker = {
    started: (id) => {
      running.add(id);
      jobsPanel.render();
    },
    ended: (id) => {
      running.delete(id);
      jobsPanel.render();
    },
  };
  const purgePanel = new PurgePanel(api, scope, { tracker, resume });
  const bulkPanel = new BulkPanel(api, scope, { tracker, resume });
  new KvPanel(api, scope);
  const jobsPanel = new JobsPanel(api, { resume, isRunning: (id) => running.has(id) });

  // Namespace pickers follow the account.
  scope.on("namespaces", (list) => {
    for (const select of document.querySelectorAll(".ns-select")) {
      const keep = select.value;
      select.replaceChildren(
        ...(list.length
          ? list.map((n) => h("option", { value: n.id }, n.title))
          : [h("option", { value: "" }, "(no namespaces)")]),
      );
      if (list.some((n) => n.id === keep)) select.value = keep;
    }
  });

  const connected = () => {
    show(byId("workspace"));
    jobsPanel.render();
  };
  jobsPanel.render();
  if (config.server_credentials) {
    show(byId("connect-server"));
    if (await scope.connect(byId("connect-error"))) connected();
  } else {
    const form = byId("token-form");
    show(form);
    byId("conn-status").textContent = "Not connected: enter an API token";
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      api.setToken(byId("token").value.trim());
      if (await scope.connect(byId("token-error"))) connected();
    });
    byId("token").focus();
  }
  document.body.dataset.ready = "true";
}

main().catch((e) => fatal("The console failed to start.", e && e.stack ? e.stack : String(e)));
