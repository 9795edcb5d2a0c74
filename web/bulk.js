// Bulk delete by prefix, metadata field or metadata search. The preview is what the CLI's confirmation shows: the
// same operation as a dry run, cut after the first listed page (one list call, whatever the namespace's size) — its
// matches and samples at once; a full count is optional, streams its progress and can be cancelled. Then a
// confirmation naming the namespace, then the engine's streaming delete with progress, chart, cancel and resume.
// Any change to the form (or the account, or the namespaces) makes a preview stale: it is dropped, and a count
// still running for it is cancelled, so that nothing shown belongs to another selection than the form's.
import { byId, confirmDialog, duration, h, num, show } from "./dom.js";
import { clearError, showError } from "./errors.js";
import { JobView, runInView } from "./jobview.js";

export class BulkPanel {
  constructor(api, scope, { tracker, resume }) {
    this.api = api;
    this.scope = scope;
    this.tracker = tracker; // {started(id), ended(id)}: which jobs this page runs
    this.resumeJob = resume;
    this.form = byId("bulk-form");
    this.error = byId("bulk-error");
    this.previewButton = byId("bulk-preview");
    this.previewCancel = byId("bulk-preview-cancel");
    this.previewWait = byId("bulk-preview-wait");
    this.countButton = byId("bulk-count-all");
    this.deleteButton = byId("bulk-delete");
    this.result = byId("bulk-preview-result");
    this.preview = null; // {spec, key, count, exact, scanned}: the shown preview, for the form as it is now
    this.generation = 0; // bumped by every change: an answer for an older generation is dropped
    this.pending = null; // the preview or count job running, cancelled when the form changes
    this.running = false;
    this.form.addEventListener("change", (e) => {
      if (e.target.name === "bulk-selector") this.#selectorChanged();
      this.#invalidate();
    });
    this.form.addEventListener("input", () => this.#invalidate());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.previewFirstPage();
    });
    scope.on("account", () => this.#invalidate());
    scope.on("namespaces", () => this.#invalidate());
    this.previewCancel.addEventListener("click", () => this.#invalidate());
    this.countButton.addEventListener("click", () => this.countAll());
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

  /** The form changed: the preview (and a count running for it) no longer describe it. */
  #invalidate() {
    ++this.generation;
    this.preview = null;
    if (this.pending) {
      this.pending.cancel();
      this.pending = null;
    }
    this.result.hidden = true;
    byId("bulk-count-job").replaceChildren();
    if (!this.running) this.previewButton.disabled = false;
    this.previewButton.textContent = "Preview (dry run)";
    this.previewCancel.hidden = true;
    this.previewWait.hidden = true;
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

  /**
   * The preview: the delete's own code as a dry run, cut after the first listed page — one list call, its matches
   * and samples. Deletes nothing.
   */
  async previewFirstPage() {
    clearError(this.error);
    this.#invalidate();
    const generation = this.generation;
    const spec = this.#spec();
    if (!spec.namespace_id) return showError(this.error, "Choose a namespace first.");
    this.previewButton.disabled = true;
    this.previewButton.textContent = "Looking…";
    this.previewCancel.hidden = false;
    // One list call — which the rate limits may hold back: say so, rather than "Looking…" for minutes.
    const job = this.api.bulkDelete(
      { ...spec, dry_run: true, max_pages: 1 },
      { progress: (p) => generation === this.generation && this.#previewWaits(p) },
    );
    this.pending = job;
    const r = await job.done;
    if (generation !== this.generation) return; // the form changed meanwhile: this answer is for another selection
    this.pending = null;
    this.previewButton.disabled = this.running;
    this.previewButton.textContent = "Preview (dry run)";
    this.previewCancel.hidden = true;
    this.previewWait.hidden = true;
    if (r.status !== "completed") return showError(this.error, r.error || "The preview failed.");
    this.#show(spec, r, r.complete !== false);
  }

  /** Shows, under the Preview button, how long the rate limits hold the preview's list call back. */
  #previewWaits(p) {
    const wait = Math.max(p.blocked_s || 0, p.rate_wait_s || 0);
    this.previewWait.hidden = wait <= 0.5;
    this.previewWait.textContent =
      wait > 0.5 ? `Waiting for the rate-limit window (${duration(wait)}) before listing the first page…` : "";
  }

  /** The optional full count: a dry run of the whole selection, with its progress, cancellable. */
  countAll() {
    if (!this.preview || this.pending) return;
    const generation = this.generation;
    const { spec } = this.preview;
    this.countButton.disabled = true;
    this.deleteButton.disabled = true;
    const view = new JobView(byId("bulk-count-job"), {
      title: `Counting ${this.#describe(spec)} in “${spec.namespace_title}”`,
      unit: "keys",
      verb: "matched",
      chart: false,
      phase: "Counting",
    });
    const job = this.api.bulkDelete(
      { ...spec, dry_run: true },
      {
        progress: (p) => view.progress(p),
        finished: (r) => {
          if (generation !== this.generation) return;
          view.finished(r);
          this.pending = null;
          if (r.status === "completed") this.#show(spec, r, true);
          else this.#enableActions();
        },
      },
    );
    view.attach(job);
    this.pending = job;
  }

  /** Shows a preview (or a full count) of @p spec from dry-run report @p r; @p exact: the whole listing was seen. */
  #show(spec, r, exact) {
    this.preview = { spec, key: specKey(spec), count: r.done, exact, scanned: r.scanned };
    const where = `in “${spec.namespace_title}”`;
    byId("bulk-count").textContent = exact
      ? `${num(r.done)} of ${num(r.scanned)} keys examined ${where} match: ${this.#describe(spec)}.`
      : `At least ${num(r.done)} keys ${where} match: ${this.#describe(spec)} — among the first ` +
        `${num(r.scanned)} listed; the listing has more. Count them all for the exact number, or delete: the ` +
        "rest are found as the delete goes.";
    byId("bulk-samples").replaceChildren(...r.samples.map((k) => h("li", {}, h("code", {}, k))));
    show(byId("bulk-samples-wrap"), r.samples.length > 0);
    show(this.countButton, !exact);
    this.deleteButton.textContent = exact ? `Delete ${keys(r.done)}…` : "Delete the matching keys…";
    this.#enableActions();
    this.result.hidden = false;
  }

  #enableActions() {
    const p = this.preview;
    this.countButton.disabled = !p || this.running;
    this.deleteButton.disabled = !p || this.running || (p.exact && p.count === 0);
  }

  async confirmAndDelete() {
    if (!this.preview || this.running || this.pending) return;
    const { spec, count, exact, scanned, key } = this.preview;
    // The preview is dropped on every change; this check keeps that promise even if an event were missed.
    if (specKey(this.#spec()) !== key) {
      this.#invalidate();
      return showError(this.error, "The form changed since the preview: preview again.");
    }
    const what = `${this.#describe(spec)}`;
    const ok = await confirmDialog({
      title: exact
        ? `Delete ${keys(count)} from namespace “${spec.namespace_title}”?`
        : `Delete ${what} from namespace “${spec.namespace_title}”?`,
      body: h(
        "div",
        {},
        h("p", {}, "Namespace ", h("strong", {}, spec.namespace_title), ` (${spec.namespace_id}): ${what}.`),
        exact
          ? null
          : h(
              "p",
              {},
              `At least ${num(count)} keys match among the first ${num(scanned)} listed; the rest are found as ` +
                "the delete goes.",
            ),
        h("p", {}, "Deleted keys cannot be restored. The job can be cancelled and resumed at any time."),
      ),
      confirmLabel: exact ? `Delete ${keys(count)}` : "Delete the matching keys",
    });
    if (!ok) return;
    if (specKey(this.#spec()) !== key) {
      // Changed while the dialog was open (the namespaces were reloaded, say): nothing is deleted.
      this.#invalidate();
      return showError(this.error, "The form changed while you were confirming: nothing was deleted; preview again.");
    }
    this.run(
      (handlers) =>
        this.api.bulkDelete({ ...spec, dry_run: false, ...(exact ? { expected_total: count } : {}) }, handlers),
      spec.label,
    );
  }

  /** Runs a delete job (new or resumed) in this panel's job view. */
  run(startJob, title) {
    this.running = true;
    this.deleteButton.disabled = true;
    this.countButton.disabled = true;
    this.previewButton.disabled = true;
    const view = { title, unit: "keys", verb: "deleted", onResume: (id) => this.resumeJob(id) };
    const job = runInView(byId("bulk-job"), view, this.tracker, startJob, () => {
      this.running = false;
      this.previewButton.disabled = false;
      // What was previewed may be gone now: delete again only after a fresh preview.
      this.#invalidate();
    });
    byId("bulk-job").scrollIntoView({ block: "nearest" });
    return job;
  }
}

/** "1 key", "20,000 keys". */
function keys(n) {
  return `${num(n)} key${n === 1 ? "" : "s"}`;
}

/** What identifies a selection (the spec without the page's own fields). */
function specKey(spec) {
  const { namespace_title: _t, label: _l, ...rest } = spec;
  return JSON.stringify(rest);
}
