// Bulk delete by prefix, metadata field or metadata search: a dry-run preview (count and samples) first, then a
// confirmation naming the namespace, then the engine's streaming delete with progress, chart, cancel and resume.
import { byId, confirmDialog, h, num, show } from "./dom.js";
import { clearError, showError } from "./errors.js";
import { runInView } from "./jobview.js";

export class BulkPanel {
  constructor(api, scope, { tracker, resume }) {
    this.api = api;
    this.scope = scope;
    this.tracker = tracker; // {started(id), ended(id)}: which jobs this page runs
    this.resumeJob = resume;
    this.form = byId("bulk-form");
    this.error = byId("bulk-error");
    this.previewButton = byId("bulk-preview");
    this.deleteButton = byId("bulk-delete");
    this.preview = null; // {spec, count}
    this.running = false;
    this.form.addEventListener("change", (e) => {
      if (e.target.name === "bulk-selector") this.#selectorChanged();
      this.#invalidate();
    });
    this.form.addEventListener("input", () => this.#invalidate());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.dryRun();
    });
    this.deleteButton.addEventListener("click", () => this.confirmAndDelete());
    this.#selectorChanged();
  }

  get selector() {
    return this.form.querySelector('input[name="bulk-selector"]:checked').value;
  }

  #selectorChanged() {
    const s = this.selector;
    show(byId("bulk-meta"), s === "metadata");
    show(byId("bulk-search-wrap"), s === "search");
    show(byId("bulk-all-wrap"), s === "prefix");
    byId("bulk-prefix-label").textContent = s === "prefix" ? "Key prefix" : "Only keys starting with (optional)";
  }

  /** A changed form makes the preview stale: deleting needs a fresh one. */
  #invalidate() {
    this.preview = null;
    byId("bulk-preview-result").hidden = true;
  }

  /**
   * The engine's KvDeleteSpec — the same JSON the CLI builds for the same selection — plus the page's own
   * namespace_title and label. Only the fields of the chosen way of selecting are sent: a value typed under another
   * choice and then hidden never narrows (or widens) the selection unseen. The engine checks the whole spec and
   * refuses an empty selection: every key needs the box ticked.
   */
  #spec() {
    const nsId = byId("bulk-ns").value;
    const ns = this.scope.namespace(nsId);
    const s = this.selector;
    const spec = {
      account_id: this.scope.accountId,
      namespace_id: nsId,
      source: "listing",
      all_keys: s === "prefix" && byId("bulk-all-keys").checked,
      prefix: byId("bulk-prefix").value,
      pattern: "",
      search: s === "search" ? byId("bulk-search").value : "",
      field: s === "metadata" ? byId("bulk-field").value : "",
      value: s === "metadata" ? byId("bulk-value").value : "",
      batch_size: Number(byId("bulk-batch").value) || 10000,
    };
    spec.namespace_title = ns ? ns.title : nsId;
    spec.label = `Delete ${this.#describe(spec)} from ${spec.namespace_title}`;
    return spec;
  }

  #describe(spec) {
    if (spec.all_keys) return "every key";
    const parts = [];
    if (spec.prefix) parts.push(`starting with “${spec.prefix}”`);
    if (spec.field) parts.push(`whose metadata “${spec.field}” is ${spec.value ? `“${spec.value}”` : "set"}`);
    if (spec.search) parts.push(`whose metadata mentions “${spec.search}”`);
    return parts.length ? `keys ${parts.join(" and ")}` : "no keys (nothing is selected)";
  }

  /** The dry run: lists and filters exactly as the delete will, deletes nothing. */
  async dryRun() {
    clearError(this.error);
    this.#invalidate();
    const spec = this.#spec();
    if (!spec.namespace_id) return showError(this.error, "Choose a namespace first.");
    this.previewButton.disabled = true;
    this.previewButton.textContent = "Counting…";
    const job = this.api.bulkDelete({ ...spec, dry_run: true }, {});
    const r = await job.done;
    this.previewButton.disabled = false;
    this.previewButton.textContent = "Preview (dry run)";
    if (r.status !== "completed") return showError(this.error, r.error || "The preview failed.");
    this.preview = { spec, count: r.done };
    byId("bulk-count").textContent =
      `${num(r.done)} of ${num(r.scanned)} keys examined in “${spec.namespace_title}” match: ${this.#describe(spec)}.`;
    byId("bulk-samples").replaceChildren(...r.samples.map((k) => h("li", {}, h("code", {}, k))));
    this.deleteButton.textContent = `Delete ${num(r.done)} keys…`;
    this.deleteButton.disabled = r.done === 0 || this.running;
    byId("bulk-preview-result").hidden = false;
  }

  async confirmAndDelete() {
    if (!this.preview || this.running) return;
    const { spec, count } = this.preview;
    const ok = await confirmDialog({
      title: `Delete ${num(count)} keys from namespace “${spec.namespace_title}”?`,
      body: h(
        "div",
        {},
        h(
          "p",
          {},
          "Namespace ",
          h("strong", {}, spec.namespace_title),
          ` (${spec.namespace_id}): ${this.#describe(spec)}.`,
        ),
        h("p", {}, "Deleted keys cannot be restored. The job can be cancelled and resumed at any time."),
      ),
      confirmLabel: `Delete ${num(count)} keys`,
    });
    if (!ok) return;
    this.run(
      (handlers) => this.api.bulkDelete({ ...spec, dry_run: false, expected_total: count }, handlers),
      spec.label,
    );
  }

  /** Runs a delete job (new or resumed) in this panel's job view. */
  run(startJob, title) {
    this.running = true;
    this.deleteButton.disabled = true;
    this.previewButton.disabled = true;
    const view = { title, unit: "keys", verb: "deleted", onResume: (id) => this.resumeJob(id) };
    const job = runInView(byId("bulk-job"), view, this.tracker, startJob, () => {
      this.running = false;
      this.previewButton.disabled = false;
    });
    byId("bulk-job").scrollIntoView({ block: "nearest" });
    return job;
  }
}
