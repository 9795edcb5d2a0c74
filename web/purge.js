// The Purge panel: URLs (with optional cache-key headers), tags, hosts, prefixes or everything, batched by the
// engine across the plan's per-request caps and paced by its rate governor.
import { byId, confirmDialog, h, num, show } from "./dom.js";
import { clearError, showError } from "./errors.js";
import { runInView } from "./jobview.js";

const KINDS = {
  files: {
    label: "URLs to purge, one per line",
    help: "e.g. https://www.example.com/styles.css — or a JSON array.",
    unit: "URLs",
  },
  tags: {
    label: "Cache tags to purge, one per line",
    help: "The values your origin sends in Cache-Tag headers.",
    unit: "tags",
  },
  hosts: {
    label: "Host names to purge, one per line",
    help: "e.g. images.example.com (no scheme, no path).",
    unit: "hosts",
  },
  prefixes: {
    label: "URL prefixes to purge, one per line",
    help: "host/path without a scheme, e.g. www.example.com/blog",
    unit: "prefixes",
  },
  purge_everything: { label: "", help: "", unit: "zones" },
};

export class PurgePanel {
  constructor(api, scope, { tracker, resume }) {
    this.api = api;
    this.scope = scope;
    this.tracker = tracker; // {started(id), ended(id)}: which jobs this page runs
    this.resumeJob = resume;
    this.form = byId("purge-form");
    this.items = byId("purge-items");
    this.headers = byId("purge-headers");
    this.plan = byId("purge-plan");
    this.summary = byId("purge-summary");
    this.error = byId("purge-error");
    this.submit = byId("purge-submit");
    this.running = false;
    this.previewTimer = null;
    this.previewSeq = 0;
    this.form.addEventListener("change", (e) => {
      if (e.target.name === "purge-kind") this.#kindChanged();
      this.#schedulePreview();
    });
    this.items.addEventListener("input", () => this.#schedulePreview());
    this.headers.addEventListener("input", () => this.#schedulePreview());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.start();
    });
    // The engine reads each zone's plan from its zone object; the select only overrides it.
    scope.on("zone", () => this.#schedulePreview());
    this.#kindChanged();
  }

  get kind() {
    return this.form.querySelector('input[name="purge-kind"]:checked').value;
  }

  #kindChanged() {
    const k = KINDS[this.kind];
    const everything = this.kind === "purge_everything";
    show(byId("purge-items-wrap"), !everything);
    show(byId("purge-headers-wrap"), this.kind === "files");
    byId("purge-items-label").textContent = k.label;
    byId("purge-items-help").textContent = k.help;
    this.submit.textContent = everything ? "Purge everything…" : "Purge";
  }

  /** The cache-key headers typed in, as {name: value}, or an error message. */
  #headers() {
    const out = {};
    for (const [i, line] of this.headers.value.split("\n").entries()) {
      if (!line.trim()) continue;
      const colon = line.indexOf(":");
      if (colon <= 0) return { error: `Header line ${i + 1} must look like "Name: value".` };
      out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    return { headers: out };
  }

  #spec(dryRun) {
    const zone = this.scope.zone;
    const { headers, error } = this.#headers();
    if (error) return { error };
    if (!zone && (this.kind === "tags" || this.kind === "purge_everything"))
      return { error: "Choose a zone: tags and everything are purged per zone." };
    const k = KINDS[this.kind];
    return {
      spec: {
        kind: this.kind,
        account_id: this.scope.accountId,
        zones: zone ? [{ id: zone.id, name: zone.name }] : [],
        headers: this.kind === "files" ? headers : {},
        plan: this.plan.value,
        dry_run: dryRun,
        label:
          this.kind === "purge_everything"
            ? `Purge everything in ${zone.name}`
            : `Purge ${k.unit}${zone ? ` in ${zone.name}` : ""}`,
      },
    };
  }

  #schedulePreview() {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.preview(), 400);
  }

  /** Validates the input with the engine (a dry run: nothing is sent) and says how many requests it takes. */
  async preview() {
    const seq = ++this.previewSeq;
    if (this.kind !== "purge_everything" && !this.items.value.trim()) {
      this.summary.textContent = "";
      return;
    }
    const { spec, error } = this.#spec(true);
    if (error) {
      this.summary.textContent = error;
      return;
    }
    const job = this.api.purge(spec, this.items.value, {});
    const r = await job.done;
    if (seq !== this.previewSeq) return;
    if (r.status !== "completed") {
      this.summary.textContent = r.error ? r.error.message : "The list has a problem.";
      return;
    }
    const unit = KINDS[this.kind].unit;
    const requests = (r.zones || []).reduce((n, z) => n + z.requests, 0);
    const zones = (r.zones || []).map((z) => z.name || z.id).join(", ");
    this.summary.textContent =
      `${num(r.done)} ${unit} → ${num(requests)} request${requests === 1 ? "" : "s"}` +
      (zones ? ` (${zones})` : "") +
      (this.plan.value === "auto"
        ? ` on ${[...new Set((r.zones || []).map((z) => z.plan).filter(Boolean))].join(" and ") || "each zone's"} plan limits.`
        : ` on the ${this.plan.value} plan's limits.`);
  }

  async start() {
    clearError(this.error);
    if (this.running) return;
    const { spec, error } = this.#spec(false);
    if (error) return showError(this.error, error);
    if (this.kind !== "purge_everything" && !this.items.value.trim())
      return showError(this.error, `Enter at least one ${KINDS[this.kind].unit.replace(/s$/, "")}.`);
    if (this.kind === "purge_everything") {
      const ok = await confirmDialog({
        title: `Purge everything in ${this.scope.zone.name}?`,
        body: h(
          "p",
          {},
          "Every cached file of the zone ",
          h("strong", {}, this.scope.zone.name),
          " is dropped; the next requests go to your origin.",
        ),
        confirmLabel: "Purge everything",
      });
      if (!ok) return;
    }
    this.run((handlers) => this.api.purge(spec, this.items.value, handlers), spec.label, KINDS[this.kind].unit);
  }

  /** Runs a purge job (new or resumed) in this panel's job view. */
  run(startJob, title, unit = "items") {
    this.running = true;
    this.submit.disabled = true;
    const view = { title, unit, verb: "purged", onResume: (id) => this.resumeJob(id) };
    return runInView(byId("purge-job"), view, this.tracker, startJob, () => {
      this.running = false;
      this.submit.disabled = false;
    });
  }
}
