// Connecting: the console server's credentials, or a token typed into the page (kept in memory only); then the
// account and zone everything else works in.
import { byId, h, show } from "./dom.js";
import { clearError, showError } from "./errors.js";

const OTHER = "__other";

/** The connection and the chosen account and zone; panels subscribe to changes. */
export class Scope {
  constructor(api, config) {
    this.api = api;
    this.config = config;
    this.zones = [];
    this.namespaces = [];
    this.handlers = { account: [], zone: [], namespaces: [] };
    this.accountSelect = byId("account");
    this.zoneSelect = byId("zone");
    this.accountOther = byId("account-other");
    this.accountSelect.addEventListener("change", () => this.#accountChanged());
    this.accountOther.addEventListener("change", () => this.#accountChanged());
    this.zoneSelect.addEventListener("change", () => this.#emit("zone", this.zone));
  }

  on(event, fn) {
    this.handlers[event].push(fn);
  }
  #emit(event, value) {
    for (const fn of this.handlers[event]) fn(value);
  }

  /** The chosen account id ("" when none). */
  get accountId() {
    const v = this.accountSelect.value;
    return v === OTHER ? this.accountOther.value.trim().toLowerCase() : v;
  }

  /** The chosen zone ({id, name, plan}) or null for "route each URL to its zone". */
  get zone() {
    return this.zones.find((z) => z.id === this.zoneSelect.value) || null;
  }

  /** The namespace with @p id. */
  namespace(id) {
    return this.namespaces.find((n) => n.id === id) || null;
  }

  /**
   * Connects: lists the zones the credentials can see (the check that they work). A token without Zone Read may
   * still reach KV: then the configured or typed account is tried. Shows errors in @p errorEl. @p onConnected runs
   * once connected — also after a Retry: a rate limit (a 429 at connect) shows its wait and a Retry button rather
   * than leaving the page stuck. Resolves to {ok}, with the error when not connected.
   */
  async connect(errorEl, onConnected = () => {}, { retried = false } = {}) {
    clearError(errorEl);
    const status = byId("conn-status");
    status.textContent = "Connecting…";
    status.classList.remove("connected");
    const zones = await this.api.zones("");
    if (!zones.ok) {
      const fallback =
        this.config.account_id && zones.error.kind === "authentication"
          ? await this.api.namespaces(this.config.account_id)
          : null;
      if (!fallback || !fallback.ok) {
        status.textContent = "Not connected";
        const retry =
          zones.error.kind !== "authentication" ? () => this.connect(errorEl, onConnected, { retried: true }) : null;
        showError(errorEl, zones.error, { retry });
        // The Retry pressed is gone with the old message: keyboard focus goes to the new one.
        if (retried && retry) errorEl.querySelector("button.retry").focus();
        return { ok: false, error: zones.error };
      }
      this.zones = [];
    } else {
      this.zones = zones.result;
    }
    this.#fillAccounts();
    status.textContent = this.config.server_credentials
      ? "Connected with the console server's credentials"
      : "Connected with your token (kept in this tab only)";
    status.classList.add("connected");
    show(byId("scope"));
    await this.#accountChanged();
    onConnected();
    return { ok: true };
  }

  #fillAccounts() {
    const accounts = new Map();
    if (this.config.account_id) accounts.set(this.config.account_id, "configured account");
    for (const z of this.zones) if (z.account_id) accounts.set(z.account_id, z.account_name || z.account_id);
    // The name only: a narrow window cuts a long option off, so the id is written out in full below the select.
    const options = [...accounts].map(([id, name]) => h("option", { value: id }, name));
    options.push(h("option", { value: OTHER }, "Other account ID…"));
    this.accountSelect.replaceChildren(...options);
    if (this.config.account_id) this.accountSelect.value = this.config.account_id;
  }

  #fillZones() {
    const account = this.accountId;
    const zones = this.zones.filter((z) => !account || !z.account_id || z.account_id === account);
    const options = zones.map((z) => h("option", { value: z.id }, z.name));
    options.push(h("option", { value: "" }, "(no zone: route each URL by its host)"));
    this.zoneSelect.replaceChildren(...options);
    this.#emit("zone", this.zone);
  }

  async #accountChanged() {
    const other = this.accountSelect.value === OTHER;
    show(byId("account-other-wrap"), other);
    const idLine = byId("account-id");
    idLine.replaceChildren(...(other || !this.accountId ? [] : ["Account ID ", h("code", {}, this.accountId)]));
    this.#fillZones();
    this.#emit("account", this.accountId);
    await this.loadNamespaces();
  }

  /** (Re)loads the account's KV namespaces; errors go to @p errorEl when given. */
  async loadNamespaces(errorEl) {
    const account = this.accountId;
    this.namespaces = [];
    if (account) {
      const r = await this.api.namespaces(account);
      if (r.ok) this.namespaces = r.result;
      else if (errorEl) showError(errorEl, r.error);
      else showError(byId("connect-error"), r.error);
    }
    this.#emit("namespaces", this.namespaces);
  }
}
