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

const SECRET_KEY = "ckp.console.secret";

/**
 * The per-launch secret. The printed URL carries it in its fragment (#secret=…); on load it moves into this tab's
 * session storage and out of the address bar, so that in-page links (the skip link's #main) and reloads keep it, and
 * the address bar no longer shows it. Session storage is this tab's and this origin's only.
 */
function takeSecret() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("secret");
  if (fromUrl) {
    sessionStorage.setItem(SECRET_KEY, fromUrl);
    history.replaceState(null, "", location.pathname + location.search);
    return { secret: fromUrl, kept: false };
  }
  return { secret: sessionStorage.getItem(SECRET_KEY) || "", kept: true };
}

const NEEDS_THE_LINK = [
  "This page needs the link that `cache-kv-purger console` printed.",
  "That link ends in #secret=…: the console server answers only pages that know it, so other web pages " +
    "cannot use it.",
];

async function main() {
  const { secret, kept } = takeSecret();
  if (!secret) return fatal(...NEEDS_THE_LINK);
  let config;
  try {
    const res = await fetch("/console/config", { headers: { "X-Ckp-Console": secret } });
    const body = await res.json();
    if (!res.ok) {
      // A secret kept from an earlier launch of the console (on the same port) is not this one's.
      if (kept && (res.status === 401 || res.status === 403)) {
        sessionStorage.removeItem(SECRET_KEY);
        return fatal(...NEEDS_THE_LINK);
      }
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
    await scope.connect(byId("connect-error"), connected);
  } else {
    const form = byId("token-form");
    const token = byId("token");
    show(form);
    byId("conn-status").textContent = "Not connected: enter an API token";
    token.addEventListener("input", () => token.removeAttribute("aria-invalid"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      api.setToken(token.value.trim());
      const r = await scope.connect(byId("token-error"), connected);
      // A refused token marks the field (the error beside it says why); any other failure is not the token's.
      if (!r.ok && r.error.kind === "authentication") token.setAttribute("aria-invalid", "true");
      else token.removeAttribute("aria-invalid");
    });
    token.focus();
  }
  document.body.dataset.ready = "true";
}

main().catch((e) => fatal("The console failed to start.", e && e.stack ? e.stack : String(e)));
