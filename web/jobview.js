// The view of one running (or finished) job: a progress bar with ETA, the live figures, a chart of request rate
// and concurrency, Cancel and Resume. The root element carries data-status / data-done / data-total / data-waiting,
// which is also what the browser tests wait on.
//
// Screen readers hear milestones only — started, waiting on the rate limit, sending again, each quarter of a known
// total, the end — through one polite live region; the figures rewritten four times a second are not announced.
import { RateChart } from "./chart.js";
import { byId, duration, h, num } from "./dom.js";
import { describeError } from "./errors.js";

export class JobView {
  /**
   * @p container: where to draw. @p options: {title, unit ("keys"), verb ("deleted"), onResume(jobId), chart (true:
   * draw the request-rate chart), phase (what the state line says the job is doing; default: the engine's phase)}.
   */
  constructor(container, { title, unit, verb, onResume, chart = true, phase = null }) {
    this.unit = unit;
    this.phase = phase;
    this.verb = verb;
    this.onResume = onResume;
    this.job = null;
    this.waiting = "";
    this.quarter = 0;
    const uid = `job-${Math.random().toString(36).slice(2, 8)}`;
    this.state = h("p", { class: "job-state", id: `${uid}-state` }, "Starting…");
    this.announcer = byId("job-announcer");
    this.bar = h("progress", { max: 1, "aria-labelledby": `${uid}-h`, "aria-describedby": `${uid}-state` });
    this.figures = h("p", { class: "job-figures" });
    this.wait = h("p", { class: "job-wait", hidden: true });
    this.canvas = chart
      ? h("canvas", { role: "img", "aria-label": "Chart of request rate and concurrency: waiting for data" })
      : null;
    this.cancelButton = h("button", { type: "button", onclick: () => this.cancel() }, "Cancel");
    this.resumeButton = h(
      "button",
      { type: "button", class: "primary", hidden: true, onclick: () => this.resume() },
      "Resume",
    );
    this.result = h("div", { class: "job-result" });
    this.root = h(
      "section",
      {
        class: "job",
        "aria-labelledby": `${uid}-h`,
        dataset: { status: "running", done: "0", total: "", waiting: "" },
      },
      h("h3", { id: `${uid}-h` }, title),
      this.state,
      this.bar,
      this.figures,
      this.wait,
      chart
        ? h(
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
          )
        : null,
      h("div", { class: "actions" }, this.cancelButton, this.resumeButton),
      this.result,
    );
    container.replaceChildren(this.root);
    this.chart = chart ? new RateChart(this.canvas) : null;
    this.#announce(`${title}: started.`);
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

  /** Says @p text to screen readers (a milestone). */
  #announce(text) {
    this.announcer.textContent = text;
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
    if (this.chart) this.chart.add(p);
    const pace = this.#pace(p);
    const total = p.total;
    const settled = p.done + p.failed;
    this.root.dataset.done = String(p.done);
    this.root.dataset.scanned = String(p.scanned);
    this.root.dataset.total = total == null ? "" : String(total);
    if (total) {
      this.bar.max = total;
      this.bar.value = Math.min(settled, total);
      const quarter = Math.min(3, Math.floor((4 * settled) / total));
      if (quarter > this.quarter) {
        this.quarter = quarter;
        this.#announce(`${quarter * 25}% done: ${num(p.done)} of ${num(total)} ${this.unit} ${this.verb}.`);
      }
    } else {
      this.bar.removeAttribute("value"); // indeterminate until the total is known
    }
    const pct = total ? ` (${Math.floor((100 * settled) / Math.max(total, 1))}%)` : "";
    const of = total != null ? ` of ${num(total)}` : "";
    if (!this.cancelButton.disabled) {
      // Examined keys are this run's (a resumed job's done count is the whole job's): shown for a fresh run only.
      const examined = total == null && !p.resumed_at && p.scanned > p.done ? `, ${num(p.scanned)} examined` : "";
      this.state.textContent = `${this.phase || capitalize(p.phase)}: ${num(p.done)}${of} ${this.unit} ${this.verb}${pct}${examined}`;
    }
    const parts = [
      `${num(pace.rate)} ${this.unit}/s`,
      `ETA ${pace.eta == null ? "—" : duration(pace.eta)}`,
      ...(this.chart ? [`${num(this.chart.rate)} requests/s`] : []),
      `concurrency ${p.concurrency} (${p.inflight} in flight)`,
      `${num(p.requests)} requests`,
      `${num(p.retries)} retries`,
      `${num(p.rate_limited)} rate-limited`,
      `elapsed ${duration(p.elapsed_s)}`,
    ];
    if (p.failed) parts.unshift(`${num(p.failed)} failed`);
    this.figures.replaceChildren(...parts.map((t) => h("span", {}, t)));
    if (this.canvas)
      this.canvas.setAttribute(
        "aria-label",
        `Chart of request rate and concurrency: now ${num(this.chart.rate)} requests per second, concurrency limit ` +
          `${p.concurrency}, ${p.inflight} in flight`,
      );
    this.#showWait(p);
  }

  /**
   * Says when the rate limits hold the job back: a 429 from Cloudflare (blocked_s), or the governor keeping the
   * token under its quota before Cloudflare would have to (rate_wait_s) — never a silent "0 keys/s".
   */
  #showWait(p) {
    let kind = "";
    let text = "";
    if (p.blocked_s > 0.5) {
      kind = "429";
      text =
        `Rate limited by Cloudflare: waiting ${duration(p.blocked_s)} before sending more ` +
        "(the job continues by itself; Cancel stops it now, and it can be resumed).";
    } else if (p.rate_wait_s != null && p.rate_wait_s > 0.5) {
      kind = "window";
      text =
        `Waiting for the rate-limit window (${duration(p.rate_wait_s)}): Cloudflare's limits allow no more requests ` +
        "for the moment; the job continues by itself.";
    }
    this.wait.hidden = !kind;
    this.wait.textContent = text;
    this.root.dataset.waiting = kind;
    if (kind && !this.waiting)
      this.#announce(kind === "429" ? "Rate limited by Cloudflare: waiting." : "Waiting for the rate-limit window.");
    else if (!kind && this.waiting) this.#announce("Sending again.");
    this.waiting = kind;
  }

  /** Renders the end of the job: its outcome and the whole job's figures; the live ones go. */
  finished(r) {
    const status = r.status;
    this.root.dataset.status = status;
    this.root.dataset.done = String(r.done);
    this.root.dataset.scanned = String(r.scanned);
    this.root.dataset.waiting = "";
    this.cancelButton.hidden = true;
    this.wait.hidden = true;
    const total = this.root.dataset.total ? Number(this.root.dataset.total) : null;
    const settled = r.done + r.failed;
    // The bar stops: full when done, where it got to when the total is known, gone when it is not.
    if (status === "completed" || status === "partial") {
      this.bar.max = Math.max(total || settled, 1);
      this.bar.value = this.bar.max;
    } else if (total) {
      this.bar.value = Math.min(settled, total);
    } else {
      this.bar.hidden = true;
    }
    const resumed = (r.job_runs ?? 1) > 1 || r.resumed_at > 0;
    this.root.dataset.resumedAt = String(r.resumed_at);
    const took = duration(r.job_elapsed_s ?? r.elapsed_s);
    const sent = r.job_requests ?? r.requests.sent;
    const reqs = `${num(sent)} request${sent === 1 ? "" : "s"}`;
    const inAll = resumed
      ? ` in all (${num(Math.max(0, settled - r.resumed_at))} in this run; ${took} and ${reqs} over every run)`
      : ` in ${took} (${reqs})`;
    const items = (n) => `${num(n)} ${unitFor(n, this.unit)}`;
    let text;
    const notes = [];
    if (r.dry_run && status === "completed") {
      text = `Counted: ${items(r.done)} ${this.verb} of ${num(r.scanned)} examined.`;
    } else if (r.dry_run && status === "cancelled") {
      text = `Count cancelled: at least ${items(r.done)} ${this.verb} among the ${num(r.scanned)} examined.`;
    } else if (status === "completed") {
      text = `Done: ${items(r.done)} ${this.verb}${inAll}.`;
    } else if (status === "partial") {
      text = `Finished with failures: ${items(r.done)} ${this.verb}, ${num(r.failed)} failed${inAll}.`;
      for (const f of r.failures.slice(0, 20)) notes.push(h("li", {}, h("code", {}, f.item), ` — ${f.reason}`));
    } else if (status === "cancelled") {
      text =
        `Cancelled after ${items(r.done)} ${this.verb}.` +
        (r.resumable ? " The journal holds the progress: Resume continues exactly where it stopped." : "");
    } else {
      const { title, detail, source } = describeError(r.error);
      text = r.done ? `Failed after ${items(r.done)} ${this.verb}: ${title}` : `Failed: ${title}`;
      if (detail) notes.push(h("li", {}, detail));
      if (source && source !== title) notes.push(h("li", {}, source));
      if (r.resumable) notes.push(h("li", {}, "The journal holds the progress: fix the cause, then Resume."));
      else if (r.resume_can_help === false)
        notes.push(h("li", {}, "Resuming would stop the same way: change what the message names, then start again."));
    }
    this.state.textContent = text;
    this.#announce(text);
    if (Array.isArray(r.zones) && r.zones.length && !r.dry_run) {
      for (const z of r.zones)
        notes.push(h("li", {}, `${z.name || z.id}: ${num(z.items)} ${this.unit} in ${num(z.requests)} requests`));
    }
    this.result.replaceChildren(notes.length ? h("ul", {}, notes) : "");
    this.resumeButton.hidden = !r.resumable;
    // The final figures: the whole job's, nothing of the live pace (a rate or an ETA after the end would mislead).
    const figures = [`${num(r.done)} ${this.unit} ${this.verb}`];
    if (r.failed) figures.push(`${num(r.failed)} failed`);
    if (!resumed && r.scanned !== r.done) figures.push(`${num(r.scanned)} examined`);
    figures.push(`${reqs}${resumed ? " (every run)" : ""}`);
    figures.push(`${num(r.requests.retries)} retries`, `${num(r.requests.rate_limited)} rate-limited`);
    figures.push(`elapsed ${took}${resumed ? " (every run)" : ""}`);
    this.figures.replaceChildren(...figures.map((t) => h("span", {}, t)));
    if (r.resumable) this.resumeButton.focus();
  }

  dispose() {
    if (this.chart) this.chart.dispose();
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
