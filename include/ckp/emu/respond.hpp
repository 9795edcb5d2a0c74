#pragma once
/// @file
/// Building Cloudflare v4 responses: the JSON envelope (`success`, `errors`, `messages`, `result`, `result_info`)
/// and the error codes the emulator sends. Codes marked "own" are the emulator's: Cloudflare's public material gives
/// no code for that error (docs/architecture.md, "Error codes", lists them in one table with their sources).

#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "ckp/api/http.hpp"

namespace ckp::emu {

/// The JSON type of request and response bodies (nlohmann::json).
using json = nlohmann::json;

/// Error codes sent in `errors[].code`.
namespace code {
// Common (Cloudflare-wide)
inline constexpr int rate_limited = 971;              ///< global limit: "Please wait and consider throttling…"
inline constexpr int invalid_request_headers = 6003;  ///< with an error_chain naming the header
inline constexpr int malformed_json = 6007;           ///< "Malformed JSON in request body"
inline constexpr int invalid_content_type = 6105;     ///< in the error_chain of 6003
inline constexpr int invalid_authorization = 6111;    ///< in the error_chain of 6003
inline constexpr int no_route = 7000;                 ///< "No route for that URI"
inline constexpr int method_not_allowed = 7001;       ///< own: "Method not allowed for this route" (HTTP 405)
inline constexpr int bad_identifier = 7003;   ///< "Could not route to …, perhaps your object identifier is invalid?"
inline constexpr int authentication = 10000;  ///< "Authentication error" (HTTP 403)
inline constexpr int internal_error = 10001;  ///< own: injected 500
inline constexpr int unavailable = 10002;     ///< own: injected 503
// Workers KV
inline constexpr int key_not_found = 10009;  ///< "key not found" (HTTP 404)
/// own: empty, ".", "..", not UTF-8, bad %-escape. (Was 10011, a namespace-error code at Cloudflare.)
inline constexpr int invalid_key = 10050;
/// own: a body of the wrong shape (multipart, bulk items). (Was 10012, a namespace-error code at Cloudflare.)
inline constexpr int invalid_body = 10051;
inline constexpr int namespace_not_found = 10013;      ///< "namespace not found" (HTTP 404)
inline constexpr int namespace_title_exists = 10014;   ///< a namespace with this title exists (HTTP 400)
inline constexpr int namespace_title_invalid = 10019;  ///< missing, empty or over 512 bytes
inline constexpr int invalid_list_param = 10020;       ///< own: limit/per_page/page/order/cursor out of range
/// own: expiration / expiration_ttl rejected. (Was 10021, a legacy-namespace code at Cloudflare.)
inline constexpr int invalid_expiration = 10052;
inline constexpr int value_too_large = 10022;     ///< a Cloudflare "limit error" code (which limit: unconfirmed); 413
inline constexpr int body_too_large = 10023;      ///< own: request body over 100 MB, HTTP 413
inline constexpr int metadata_too_large = 10024;  ///< a Cloudflare "limit error" code (which limit: unconfirmed); 413
inline constexpr int too_many_items = 10025;      ///< own: bulk > 10,000 items or bulk get > 100 keys
inline constexpr int key_too_long = 10030;        ///< a Cloudflare "limit error" code (which limit: unconfirmed); 414
// Zones
inline constexpr int invalid_zone_query = 1000;  ///< own: per_page/page/order/direction out of range
// Purge (legacy codes)
inline constexpr int purge_missing_type = 1012;         ///< none of the purge types, or two of them mixed
inline constexpr int purge_everything_not_true = 1013;  ///< `purge_everything` is not `true`
inline constexpr int purge_not_array = 1014;            ///< a purge type's value is not an array
inline constexpr int purge_unable = 1015;               ///< a file entry that is not a usable URL
inline constexpr int purge_url_rate_limited = 1083;     ///< URL-per-second bucket empty (HTTP 429)
inline constexpr int purge_everything_mixed = 1092;     ///< `purge_everything` together with another type
inline constexpr int purge_too_many_files = 1094;       ///< more URLs than the plan allows per request
inline constexpr int purge_tag_too_long = 1100;         ///< a tag over 1024 characters
inline constexpr int purge_too_many_tags = 1101;        ///< also used for prefixes (no legacy code of their own)
inline constexpr int purge_flex_rate_limited = 1102;    ///< flex bucket empty for tags, prefixes, everything (429)
inline constexpr int purge_too_many_hosts = 1111;       ///< more hosts than the plan allows per request
inline constexpr int purge_host_rate_limited = 1113;    ///< flex bucket empty for a hosts purge (429)
inline constexpr int purge_host_too_long = 1114;        ///< a host over 200 characters
inline constexpr int purge_invalid_host = 1115;         ///< also used for an invalid prefix
}  // namespace code

/// What an endpoint handler produced, plus what the server needs for statistics and latency.
struct Handled {
  api::Response response;        ///< what to answer
  std::size_t items = 0;         ///< items in a bulk or purge request (LatencyModel::per_item applies to each)
  bool wrote = false;            ///< a mutating request that was accepted
  std::uint64_t key_faults = 0;  ///< keys of a bulk request failed on purpose (partial_bulk, poison_prefix)
};

/// Serializes JSON for the wire. Invalid UTF-8 (raw value bytes in a bulk get) is replaced, never thrown.
inline std::string dump_json(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

/// One `errors[]` item.
inline json error_item(int error_code, std::string message) {
  return json{{"code", error_code}, {"message", std::move(message)}};
}

/// A response with a JSON body.
inline api::Response json_response(int status, const json& body) {
  api::Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = dump_json(body);
  return r;
}

/// A success envelope. `result_info` is left out when null.
inline api::Response success(json result, json result_info = nullptr, int status = 200) {
  json body{{"success", true}, {"errors", json::array()}, {"messages", json::array()}, {"result", std::move(result)}};
  if (!result_info.is_null()) body["result_info"] = std::move(result_info);
  return json_response(status, body);
}

/// A failure envelope with the given `errors` array; `result` is null, as every 4XX schema of the spec requires.
inline api::Response failure(int status, json errors) {
  return json_response(status, json{{"success", false},
                                    {"errors", std::move(errors)},
                                    {"messages", json::array()},
                                    {"result", nullptr}});
}

/// A failure envelope with one error.
inline api::Response failure(int status, int error_code, std::string message) {
  return failure(status, json::array({error_item(error_code, std::move(message))}));
}

/// 403 code 10000, what Cloudflare answers for a missing or wrong token and for another account's resources.
inline api::Response authentication_error() { return failure(403, code::authentication, "Authentication error"); }

/// 400 code 6003 with an error_chain naming what is wrong with a header.
inline api::Response invalid_header(int chain_code, std::string message) {
  json item = error_item(code::invalid_request_headers, "Invalid request headers");
  item["error_chain"] = json::array({error_item(chain_code, std::move(message))});
  return failure(400, json::array({std::move(item)}));
}

/// 400 code 6007.
inline api::Response malformed_json() { return failure(400, code::malformed_json, "Malformed JSON in request body"); }

/// 404 code 7000.
inline api::Response no_route() { return failure(404, code::no_route, "No route for that URI"); }

/// 7003 + 7000 for an identifier that routes nowhere (HTTP 400 when malformed, 404 when unknown).
inline api::Response bad_identifier(int status, std::string_view path) {
  return failure(status,
                 json::array({error_item(code::bad_identifier, "Could not route to " + std::string(path) +
                                                                   ", perhaps your object identifier is invalid?"),
                              error_item(code::no_route, "No route for that URI")}));
}

}  // namespace ckp::emu
