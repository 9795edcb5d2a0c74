// The view of one running (or finished) job: a progress bar with ETA, the live figures, a chart of request rate
// and concurrency, Cancel and Resume. The root element carries data-status / data-done / data-total, which is also
// what the browser tests wait on.
import { RateChart } from "./chart.js";
import { duration, h, num } from "./dom.js";
import { describeError } from "./errors.js";

export class JobView {
  /**
   * @p container: where to draw. @p options: {title, unit ("keys"), verb ("deleted"), onResume(jobId)}.
   */
  constructor(container, { title, unit, verb, onResume }) {
    this.unit = unit;
    this.verb = verb;
    this.onResume = onResume;
    this.job = null;
    const uid = `job-${Math.random().toString(36).slice(2, 8)}`;
    this.state = h("p", { class: "job-state", role: "status", id: `${uid}-state` }, "Starting…");
    this.bar = h("progress", { max: 1, "aria-labelledby": `${uid}-h`, "aria-describedby": `${uid}-state` });
    this.figures = h("p", { class: "job-figures", "aria-live": "off" });
    this.blocked = h("p", { class: "error", role: "alert", hidden: true });
    this.canvas = h("canvas", { role: "img", "aria-label": "Chart of request rate and concurrency: waiting for data" });
    this.cancelButton = h("button", { type: "button", onclick: () => this.cancel() }, "Cancel");
    this.resumeButton = h(
      "button",
      { type: "button", class: "primary", hidden: true, onclick: () => this.resume() },
      "Resume",
    );
    this.result = h("div", { class: "job-result" });
    this.root = h(
      "section",
      { class: "job", "aria-labelledby": `${uid}-h`, dataset: { status: "running", done: "0", total: "" } },
      h("h3", { id: `${uid}-h` }, title),
      this.state,
      this.bar,
      this.figures,
      this.blocked,
      h(
        "figure",
        { class: "chart" },
        this.canvas,
        h(
          "figcaption",
          { class: "legend" },
          h("span", {}, h("span", { class: "swatch rate" }), "requests per second (left scale)"),
          h("span", {}, h("span", { class: "swatch conc" }), "concurrency limit (right scale)"),
          h("span", {}, h("span", { class: "swatch inflight" }), "requests in flight (right scale)"),
        ),
      ),
      h("div", { class: "actions" }, this.cancelButton, this.resumeButton),
      this.result,
    );
    container.replaceChildren(this.root);
    this.chart = new RateChart(this.canvas);
  }

  /** Connects the view to @p job (engine.js Job). */
  attach(job) {
    this.job = job;
    this.root.dataset.jobId = job.id;
  }

  cancel() {
    if (!this.job) return;
    this.cancelButton.disabled = true;
    this.cancelButton.textContent = "Cancelling…";
    this.state.textContent = "Cancelling: no new requests; waiting for those in flight, then saving the journal…";
    this.job.cancel();
  }

  resume() {
    if (this.onResume && this.root.dataset.jobId) this.onResume(this.root.dataset.jobId);
  }

  /**
   * Items per second over the last few seconds of snapshots, and the time left at that pace. Measured here from
   * the snapshots themselves, so that a resumed job's restored count is not mistaken for instant throughput.
   */
  #pace(p) {
    this.samples = (this.samples || []).filter((s) => p.elapsed_s - s.t <= 5);
    this.samples.push({ t: p.elapsed_s, settled: p.done + p.failed });
    const first = this.samples[0];
    const dt = p.elapsed_s - first.t;
    const rate = dt > 0 ? (p.done + p.failed - first.settled) / dt : 0;
    const left = p.total != null ? Math.max(0, p.total - p.done - p.failed) : null;
    return { rate, eta: left != null && rate > 0 ? left / rate : left === 0 ? 0 : null };
  }

  /** Renders a progress snapshot. */
  progress(p) {
    if (this.root.dataset.status !== "running") return;
    this.chart.add(p);
    const pace = this.#pace(p);
    const total = p.total;
    const settled = p.done + p.failed;
    this.root.dataset.done = String(p.done);
    this.root.dataset.total = total == null ? "" : String(total);
    if (total) {
      this.bar.max = total;
      this.bar.value = Math.min(settled, total);
    } else {
      this.bar.removeAttribute("value"); // indeterminate until the total is known
    }
    const pct = total ? ` (${Math.floor((100 * settled) / Math.max(total, 1))}%)` : "";
    const of = total != null ? ` of ${num(total)}` : "";
    if (!this.cancelButton.disabled) {
      this.state.textContent = `${capitalize(p.phase)}: ${num(p.done)}${of} ${this.unit} ${this.verb}${pct}`;
    }
    const parts = [
      `${num(pace.rate)} ${this.unit}/s`,
      `ETA ${pace.eta == null ? "—" : duration(pace.eta)}`,
      `${num(this.chart.rate)} requests/s`,
      `concurrency ${p.concurrency} (${p.inflight} in flight)`,
      `${num(p.requests)} requests`,
      `${num(p.retries)} retries`,
      `${num(p.rate_limited)} rate-limited`,
      `elapsed ${duration(p.elapsed_s)}`,
    ];
    if (p.failed) parts.unshift(`${num(p.failed)} failed`);
    if (p.scanned && p.scanned !== p.done) parts.push(`${num(p.scanned)} examined`);
    this.figures.replaceChildren(...parts.map((t) => h("span", {}, t)));
    this.canvas.setAttribute(
      "aria-label",
      `Chart of request rate and concurrency: now ${num(this.chart.rate)} requests per second, concurrency limit ` +
        `${p.concurrency}, ${p.inflight} in flight`,
    );
    if (p.blocked_s > 0.5) {
      this.blocked.hidden = false;
      this.blocked.textContent =
        `Rate limited by Cloudflare: waiting ${duration(p.blocked_s)} before sending more ` +
        "(the job continues by itself).";
    } else {
      this.blocked.hidden = true;
    }
  }

  /** Renders the end of the job. */
  finished(r) {
    const status = r.status;
    this.root.dataset.status = status;
    this.root.dataset.done = String(r.done);
    this.root.dataset.scanned = String(r.scanned);
    this.cancelButton.hidden = true;
    this.blocked.hidden = true;
    const total = this.root.dataset.total ? Number(this.root.dataset.total) : null;
    if (status === "completed" && total) this.bar.value = this.bar.max;
    const took = duration(r.elapsed_s);
    const reqs = `${num(r.requests.sent)} request${r.requests.sent === 1 ? "" : "s"}`;
    let text;
    const notes = [];
    if (r.dry_run) {
      text = `Dry run: ${num(r.done)} ${unitFor(r.done, this.unit)} would be ${this.verb}.`;
    } else if (status === "completed") {
      text = `Done: ${num(r.done)} ${unitFor(r.done, this.unit)} ${this.verb} in ${took} (${reqs}).`;
    } else if (status === "partial") {
      text = `Finished with failures: ${num(r.done)} ${unitFor(r.done, this.unit)} ${this.verb}, ${num(r.failed)} failed (${reqs}).`;
      for (const f of r.failures.slice(0, 20)) notes.push(h("li", {}, h("code", {}, f.item), ` — ${f.reason}`));
    } else if (status === "cancelled") {
      text =
        `Cancelled after ${num(r.done)} ${unitFor(r.done, this.unit)} ${this.verb}.` +
        (r.resumable ? " The journal holds the progress: Resume continues exactly where it stopped." : "");
    } else {
      const { title, detail, source } = describeError(r.error);
      text = `Stopped: ${title}`;
      if (detail) notes.push(h("li", {}, detail));
      if (source && source !== title) notes.push(h("li", {}, source));
      if (r.resumable) notes.push(h("li", {}, "The journal holds the progress: fix the cause, then Resume."));
    }
    this.state.textContent = text;
    if (Array.isArray(r.zones) && r.zones.length && !r.dry_run) {
      for (const z of r.zones)
        notes.push(h("li", {}, `${z.name || z.id}: ${num(z.items)} ${this.unit} in ${num(z.requests)} requests`));
    }
    this.result.replaceChildren(notes.length ? h("ul", {}, notes) : "");
    this.resumeButton.hidden = !r.resumable;
    this.figures.prepend(h("span", {}, `${num(r.done)} ${this.unit} ${this.verb}`));
    if (r.resumable) this.resumeButton.focus();
  }

  dispose() {
    this.chart.dispose();
  }
}

/** "keys" for 2, "key" for 1. */
function unitFor(n, unit) {
  if (n !== 1) return unit;
  return unit === "prefixes" ? "prefix" : unit.replace(/s$/, "");
}

function capitalize(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/**
 * Starts a job shown in a new JobView in @p container (@p viewOptions as for JobView): progress goes to the view;
 * when the job finishes the view shows its result, @p onFinished runs and @p tracker ({started(id), ended(id)})
 * hears that it ended. Returns the job.
 */
export function runInView(container, viewOptions, tracker, startJob, onFinished) {
  const view = new JobView(container, viewOptions);
  const job = startJob({
    progress: (p) => view.progress(p),
    finished: (r) => {
      view.finished(r);
      onFinished();
      tracker.ended(job.id);
    },
  });
  view.attach(job);
  tracker.started(job.id);
  return job;
}
