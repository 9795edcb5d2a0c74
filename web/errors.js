// Errors in words: what happened and what to do, shown next to the control the user just used.
import { duration, h } from "./dom.js";

/**
 * What to show for an engine error ({kind, message, http_status, code, retry_after_s}): a headline, what to do
 * (detail), and the engine's own words (source).
 */
export function describeError(error) {
  if (!error) return { title: "Something went wrong.", detail: "" };
  const full = error.message || "";
  // The engine's message, without advice written for the command line (a flag, a command) or that the page gives
  // in its own words (the rate limit's): the engine names the page's fields in the page's words already.
  const message = capitalize(
    full
      .split("; ")
      .filter(
        (part, i) => i === 0 || !/(^|\s)--[a-z]|cache-kv-purger |^Cloudflare blocks|^check the API token/.test(part),
      )
      .join("; "),
  );
  const result = describeKind(error, full, message);
  if (result.detail === undefined) result.detail = "";
  return result;
}

function describeKind(error, full, message) {
  if (/console: /.test(full)) {
    return {
      title: "The console server refused this page.",
      detail: "Open the link that `cache-kv-purger console` printed (it carries this session's secret).",
      source: message,
    };
  }
  switch (error.kind) {
    case "authentication":
      return {
        title: "The API token was refused.",
        detail:
          "Check that the token is correct, has not expired or been revoked, and has the permissions this needs " +
          "(Workers KV Storage: Edit, Cache Purge: Purge, Zone: Read) on this account.",
        source: message,
      };
    case "rate_limited": {
      const wait = error.retry_after_s;
      const until = wait ? new Date(Date.now() + wait * 1000).toLocaleTimeString() : null;
      return {
        title: wait
          ? `Rate limited by Cloudflare: wait ${duration(wait)} (until ${until}) before trying again.`
          : "Rate limited by Cloudflare: wait a few minutes before trying again.",
        detail:
          "Cloudflare allows each token a fixed number of API requests per 5 minutes and blocks it for a while " +
          "when it goes over; other tools using the same token count too.",
        source: message,
      };
    }
    case "invalid_input":
      return { title: message };
    case "too_large":
      return { title: "Too large for Cloudflare.", source: message };
    case "not_found":
      return { title: "Not found.", source: message };
    case "conflict":
      return { title: "That already exists.", source: message };
    case "transport":
    case "timeout":
      return {
        title: "Could not reach the API.",
        detail: "Is `cache-kv-purger console` still running, and can it reach Cloudflare?",
        source: message,
      };
    case "tls":
      return { title: "The TLS connection to the API failed.", source: message };
    case "server":
    case "malformed_response":
      return {
        title: "Cloudflare (or a proxy) failed to answer properly; this is usually temporary.",
        source: message,
      };
    case "cancelled":
      return { title: "Cancelled.", source: message };
    case "journal":
      return { title: "This job cannot be resumed.", source: message };
    default:
      return { title: message || "The request failed." };
  }
}

function capitalize(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/**
 * Shows @p error (an engine error or a plain message) in the alert element @p el; with @p retry, a Retry button
 * that runs it.
 */
export function showError(el, error, { retry = null } = {}) {
  const { title, detail, source } = typeof error === "string" ? { title: error } : describeError(error);
  el.replaceChildren(
    ...[
      h("strong", {}, title),
      detail ? h("span", { class: "error-detail" }, detail) : null,
      source ? h("span", { class: "error-source" }, source) : null,
      retry ? h("button", { type: "button", class: "retry", onclick: () => retry() }, "Retry") : null,
    ].filter(Boolean),
  );
  el.dataset.kind = typeof error === "string" ? "message" : error.kind || "";
  el.hidden = false;
}

/** Hides the alert element @p el. */
export function clearError(el) {
  el.hidden = true;
  el.replaceChildren();
  delete el.dataset.kind;
}
