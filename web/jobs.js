// The Jobs panel: journals kept in this browser, with Resume for those that did not end and Forget for any.
import { byId, h, num, when } from "./dom.js";

const STATES = {
  running: "interrupted (tab closed or crashed)",
  cancelled: "cancelled",
  failed: "stopped by an error",
  completed: "completed",
  partial: "completed with failures",
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
            : STATES[ended ? journal.end_status : j.status] || j.status;
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
          h("td", {}, j.label),
          h("td", {}, state),
          h("td", {}, `${num(journal.done ?? j.done ?? 0)}${total}`),
          h("td", {}, when(j.created)),
          h("td", {}, h("div", { class: "actions" }, actions)),
        );
      }),
    );
  }
}
