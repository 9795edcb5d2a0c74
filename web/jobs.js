// The Jobs panel: journals kept in this browser, with Resume for those that did not end and Forget for any.
import { byId, h, num, when } from "./dom.js";

/** A job that did not end (it can be resumed), by the status its page last wrote. */
const OPEN_STATES = {
  running: "interrupted (tab closed or crashed)",
  cancelled: "cancelled",
  failed: "stopped by an error that may pass",
};
/** A job that ended, by its journal's end. */
const END_STATES = {
  completed: "completed",
  partial: "completed with failures",
  failed: "failed (resuming would not help)",
  cancelled: "cancelled",
};

export class JobsPanel {
  constructor(api, { resume, isRunning }) {
    this.api = api;
    this.resume = resume;
    this.isRunning = isRunning;
    this.tbody = byId("jobs-table").querySelector("tbody");
  }

  /** The jobs that can be resumed (their journal has no end, and no page is running them). */
  resumable() {
    return this.api
      .jobs()
      .filter((j) => j.journal && !j.journal.error && !j.journal.end_status && !this.isRunning(j.id));
  }

  render() {
    const jobs = this.api.jobs();
    const notice = byId("jobs-notice");
    const open = this.resumable();
    notice.hidden = open.length === 0;
    notice.replaceChildren(
      `${open.length} job${open.length === 1 ? "" : "s"} did not finish and can be resumed: `,
      h(
        "button",
        { type: "button", class: "link", onclick: () => document.getElementById("tab-jobs").click() },
        "see Jobs",
      ),
      ".",
    );
    if (!jobs.length) {
      this.tbody.replaceChildren(h("tr", {}, h("td", { colSpan: 5 }, "No jobs yet.")));
      return;
    }
    this.tbody.replaceChildren(
      ...jobs.map((j) => {
        const journal = j.journal || {};
        const running = this.isRunning(j.id);
        const ended = Boolean(journal.end_status);
        const state = running
          ? "running in this page"
          : journal.error
            ? `unreadable: ${journal.error}`
            : (ended ? END_STATES[journal.end_status] : OPEN_STATES[j.status]) || j.status;
        const total = j.total != null ? ` of ${num(j.total)}` : "";
        const actions = [];
        if (!running && !ended && !journal.error)
          actions.push(
            h(
              "button",
              {
                type: "button",
                class: "primary",
                onclick: () => this.resume(j.id),
                "aria-label": `Resume: ${j.label}`,
              },
              "Resume",
            ),
          );
        if (!running)
          actions.push(
            h(
              "button",
              {
                type: "button",
                onclick: () => {
                  this.api.forgetJob(j.id);
                  this.render();
                },
                "aria-label": `Forget: ${j.label}`,
              },
              "Forget",
            ),
          );
        return h(
          "tr",
          { dataset: { jobId: j.id } },
          // data-label: a narrow window shows each row as a card, each cell under its column's name.
          h("td", { dataset: { label: "Job" } }, j.label),
          h("td", { dataset: { label: "State" } }, state),
          h("td", { dataset: { label: "Done" } }, `${num(journal.done ?? j.done ?? 0)}${total}`),
          h("td", { dataset: { label: "Started" } }, when(j.created)),
          h("td", {}, h("div", { class: "actions" }, actions)),
        );
      }),
    );
  }
}
