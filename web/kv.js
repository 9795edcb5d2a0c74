// The KV browser: namespaces, keys by prefix with cursor paging, one key's value and metadata, write, delete.
import { byId, confirmDialog, h, num, when } from "./dom.js";
import { clearError, showError } from "./errors.js";

export class KvPanel {
  constructor(api, scope) {
    this.api = api;
    this.scope = scope;
    this.ns = byId("kv-ns");
    this.error = byId("kv-error");
    this.tbody = byId("kv-keys").querySelector("tbody");
    this.cursors = [""]; // cursor of each page seen so far; the last one is the page shown
    this.nextCursor = "";
    this.current = null; // the key shown in the detail view
    byId("kv-list-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.cursors = [""];
      this.list();
    });
    byId("kv-next").addEventListener("click", () => {
      this.cursors.push(this.nextCursor);
      this.list();
    });
    byId("kv-prev").addEventListener("click", () => {
      if (this.cursors.length > 1) this.cursors.pop();
      this.list();
    });
    byId("kv-ns-refresh").addEventListener("click", () => scope.loadNamespaces(this.error));
    this.ns.addEventListener("change", () => {
      this.cursors = [""];
      this.tbody.replaceChildren();
      byId("kv-detail").hidden = true;
    });
    byId("kv-put-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.put();
    });
    byId("put-key").addEventListener("input", () => this.#checkField("key", byId("put-key"), byId("put-key-error")));
    byId("put-meta").addEventListener("input", () =>
      this.#checkField("metadata", byId("put-meta"), byId("put-meta-error")),
    );
    byId("kv-edit").addEventListener("click", () => this.#editCurrent());
    byId("kv-delete").addEventListener("click", () => this.deleteCurrent());
  }

  get namespaceId() {
    return this.ns.value;
  }

  /** Checks one field with the engine's own validation as the user types; the message appears under the field. */
  #checkField(kind, input, errorEl) {
    const err = input.value ? this.api.validate(kind, input.value) : null;
    if (err) {
      showError(errorEl, err);
      input.setAttribute("aria-invalid", "true");
    } else {
      clearError(errorEl);
      input.removeAttribute("aria-invalid");
    }
    return !err;
  }

  async list() {
    clearError(this.error);
    if (!this.namespaceId) return showError(this.error, "Choose a namespace first.");
    const prefix = byId("kv-prefix").value;
    const limit = Number(byId("kv-limit").value);
    const cursor = this.cursors[this.cursors.length - 1];
    byId("kv-caption").textContent = "Keys (loading…)";
    const r = await this.api.keys(this.scope.accountId, this.namespaceId, prefix, cursor, limit);
    if (!r.ok) {
      byId("kv-caption").textContent = "Keys";
      return showError(this.error, r.error);
    }
    const { keys, cursor: next } = r.result;
    this.nextCursor = next;
    const ns = this.scope.namespace(this.namespaceId);
    byId("kv-caption").textContent =
      `Keys in ${ns ? ns.title : this.namespaceId}${prefix ? ` starting with “${prefix}”` : ""}`;
    this.tbody.replaceChildren(
      ...keys.map((k) =>
        h(
          "tr",
          {},
          h(
            "td",
            {},
            h("button", { type: "button", class: "link", onclick: () => this.show(k.name) }, h("code", {}, k.name)),
          ),
          h("td", {}, k.expiration ? when(k.expiration) : "never"),
          h("td", {}, k.metadata == null ? "—" : h("code", {}, JSON.stringify(k.metadata))),
        ),
      ),
    );
    if (!keys.length) this.tbody.replaceChildren(h("tr", {}, h("td", { colSpan: 3 }, "No keys.")));
    const page = this.cursors.length;
    byId("kv-page").textContent = `Page ${page} · ${num(keys.length)} keys${next ? "" : " · last page"}`;
    byId("kv-prev").disabled = page <= 1;
    byId("kv-next").disabled = !next;
  }

  /** Shows one key's value and metadata. */
  async show(key) {
    const detail = byId("kv-detail");
    const errorEl = byId("kv-detail-error");
    clearError(errorEl);
    byId("kv-detail-status").textContent = "";
    detail.hidden = false;
    byId("kv-detail-h").textContent = `Key ${key}`;
    byId("kv-detail-value").textContent = "loading…";
    byId("kv-detail-meta").textContent = "";
    byId("kv-detail-exp").textContent = "";
    const r = await this.api.getKey(this.scope.accountId, this.namespaceId, key);
    if (!r.ok) {
      byId("kv-detail-value").textContent = "";
      return showError(errorEl, r.error);
    }
    this.current = { key, ...r.result };
    byId("kv-detail-value").textContent =
      r.result.encoding === "utf-8"
        ? r.result.value
        : `(binary, ${num(r.result.bytes)} bytes, base64) ${r.result.value}`;
    byId("kv-detail-meta").textContent =
      r.result.metadata == null ? "none" : JSON.stringify(r.result.metadata, null, 2);
    byId("kv-detail-exp").textContent = r.result.expiration ? when(r.result.expiration) : "never";
    byId("kv-detail-h").focus();
  }

  #editCurrent() {
    if (!this.current) return;
    byId("put-key").value = this.current.key;
    byId("put-value").value = this.current.encoding === "utf-8" ? this.current.value : "";
    byId("put-meta").value = this.current.metadata == null ? "" : JSON.stringify(this.current.metadata);
    byId("put-key").focus();
  }

  async put() {
    const errorEl = byId("put-error");
    clearError(errorEl);
    byId("put-status").textContent = "";
    if (!this.namespaceId) return showError(errorEl, "Choose a namespace first.");
    const key = byId("put-key").value;
    if (!key) return showError(errorEl, "Enter a key name.");
    const ttl = byId("put-ttl").value;
    const options = { metadata: byId("put-meta").value || null, expiration_ttl: ttl ? Number(ttl) : null };
    const r = await this.api.putKey(this.scope.accountId, this.namespaceId, key, byId("put-value").value, options);
    if (!r.ok) return showError(errorEl, r.error);
    byId("put-status").textContent = `Saved “${key}”.`;
  }

  async deleteCurrent() {
    if (!this.current) return;
    const key = this.current.key;
    const ns = this.scope.namespace(this.namespaceId);
    const ok = await confirmDialog({
      title: `Delete key “${key}”?`,
      body: h(
        "p",
        {},
        "From namespace ",
        h("strong", {}, ns ? ns.title : this.namespaceId),
        ". This cannot be undone.",
      ),
      confirmLabel: "Delete key",
    });
    if (!ok) return;
    const r = await this.api.deleteKey(this.scope.accountId, this.namespaceId, key);
    if (!r.ok) return showError(byId("kv-detail-error"), r.error);
    byId("kv-detail-status").textContent = `Deleted “${key}”.`;
    this.current = null;
  }
}
