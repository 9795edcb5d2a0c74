#pragma once
/// @file
/// Routing: which endpoint a method and path (relative to /client/v4, still percent-encoded) address, with the
/// identifiers and the decoded key name taken out of the path. Pure; no state, no I/O.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "ckp/api/http.hpp"
#include "ckp/api/url.hpp"
#include "ckp/api/validate.hpp"

namespace ckp::emu {

/// Every endpoint the emulator serves.
enum class Endpoint {
  none,
  kv_namespaces_list,
  kv_namespace_create,
  kv_namespace_get,
  kv_namespace_rename,
  kv_namespace_delete,
  kv_keys_list,
  kv_value_get,
  kv_value_put,
  kv_value_delete,
  kv_metadata_get,
  kv_bulk_write,
  kv_bulk_delete,         ///< POST …/bulk/delete
  kv_bulk_delete_legacy,  ///< DELETE …/bulk (deprecated, still served)
  kv_bulk_get,
  zones_list,
  zone_get,
  purge,
};

/// The stable name of @p e used in statistics (`by_endpoint`), e.g. "kv.bulk.delete".
constexpr std::string_view endpoint_name(Endpoint e) noexcept {
  switch (e) {
    case Endpoint::none: return "unknown";
    case Endpoint::kv_namespaces_list: return "kv.namespaces.list";
    case Endpoint::kv_namespace_create: return "kv.namespaces.create";
    case Endpoint::kv_namespace_get: return "kv.namespaces.get";
    case Endpoint::kv_namespace_rename: return "kv.namespaces.rename";
    case Endpoint::kv_namespace_delete: return "kv.namespaces.delete";
    case Endpoint::kv_keys_list: return "kv.keys.list";
    case Endpoint::kv_value_get: return "kv.values.get";
    case Endpoint::kv_value_put: return "kv.values.put";
    case Endpoint::kv_value_delete: return "kv.values.delete";
    case Endpoint::kv_metadata_get: return "kv.metadata.get";
    case Endpoint::kv_bulk_write: return "kv.bulk.write";
    case Endpoint::kv_bulk_delete: return "kv.bulk.delete";
    case Endpoint::kv_bulk_delete_legacy: return "kv.bulk.delete_legacy";
    case Endpoint::kv_bulk_get: return "kv.bulk.get";
    case Endpoint::zones_list: return "zones.list";
    case Endpoint::zone_get: return "zones.get";
    case Endpoint::purge: return "purge";
  }
  return "unknown";
}

/// Why a path could not be routed to an endpoint.
enum class RouteProblem {
  none,
  no_route,            ///< 404, code 7000
  method_not_allowed,  ///< 405, code 7001 (the path exists, the method does not)
  bad_identifier,      ///< 400, codes 7003 + 7000: an account, namespace or zone id that is not 32 hex characters
  bad_key_encoding,    ///< 400, code::invalid_key: the key segment has a malformed %-escape
};

/// The result of routing one request.
struct Route {
  Endpoint endpoint = Endpoint::none;             ///< the endpoint matched (none when problem is set)
  RouteProblem problem = RouteProblem::no_route;  ///< why routing failed, or none
  std::string account_id;                         ///< from the path, when it has one
  std::string namespace_id;                       ///< from the path, when it has one
  std::string zone_id;                            ///< from the path, when it has one
  std::string key;                                ///< decoded key name (values/metadata endpoints)
  std::string allow;                              ///< methods the path supports, for a 405's Allow header
};

namespace detail {

/// Splits @p path (no leading slash) at '/', keeping empty segments.
inline std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

/// One row of the routing table: a method allowed on a path shape.
struct MethodRow {
  api::Method method;
  Endpoint endpoint;
};

/// Picks the endpoint for @p method among @p rows (HEAD is served as GET), or sets method_not_allowed.
inline void pick(Route& route, api::Method method, std::initializer_list<MethodRow> rows) {
  if (method == api::Method::head) method = api::Method::get;
  route.allow.clear();
  for (const auto& row : rows) {
    if (!route.allow.empty()) route.allow += ", ";
    route.allow += api::to_string(row.method);
    if (row.method == method) {
      route.endpoint = row.endpoint;
      route.problem = RouteProblem::none;
    }
  }
  if (route.endpoint == Endpoint::none) route.problem = RouteProblem::method_not_allowed;
}

}  // namespace detail

/// Routes @p method and @p path (relative to /client/v4, percent-encoded, no query string).
///
/// Key names are everything after `/values/` or `/metadata/`, percent-decoded (a literal `/` is kept as part of
/// the key). Identifiers are checked last: a wrong method on a known path is a 405 even with a bad id.
inline Route match_route(api::Method method, std::string_view path) {
  using api::Method;
  Route route;
  if (path.empty() || path.front() != '/') return route;
  path.remove_prefix(1);

  // A key segment may hold anything, so take it off before splitting the rest.
  std::string_view key_raw;
  bool has_key = false;
  if (path.substr(0, 9) == "accounts/") {
    auto values_at = path.find("/values/");
    auto metadata_at = path.find("/metadata/");
    auto at = std::min(values_at, metadata_at);  // the first marker is the structural one; later ones are key text
    if (at != std::string_view::npos) {
      std::size_t marker = at == values_at ? 8 : 10;
      key_raw = path.substr(at + marker);
      path = path.substr(0, at + marker - 1);  // keep ".../values"
      has_key = true;
    }
  }
  if (!has_key && path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // tolerate one trailing slash

  auto seg = detail::split_path(path);
  std::vector<std::string_view> ids;  // identifiers to check once the shape and method are known
  if (seg.size() >= 5 && seg[0] == "accounts" && seg[2] == "storage" && seg[3] == "kv" && seg[4] == "namespaces") {
    route.account_id = std::string(seg[1]);
    ids.push_back(seg[1]);
    if (seg.size() == 5) {
      detail::pick(route, method,
                   {{Method::get, Endpoint::kv_namespaces_list}, {Method::post, Endpoint::kv_namespace_create}});
    } else {
      route.namespace_id = std::string(seg[5]);
      ids.push_back(seg[5]);
      if (seg.size() == 6) {
        detail::pick(route, method,
                     {{Method::get, Endpoint::kv_namespace_get},
                      {Method::put, Endpoint::kv_namespace_rename},
                      {Method::del, Endpoint::kv_namespace_delete}});
      } else if (seg.size() == 7 && seg[6] == "keys") {
        detail::pick(route, method, {{Method::get, Endpoint::kv_keys_list}});
      } else if (seg.size() == 7 && seg[6] == "values" && has_key) {
        detail::pick(route, method,
                     {{Method::get, Endpoint::kv_value_get},
                      {Method::put, Endpoint::kv_value_put},
                      {Method::del, Endpoint::kv_value_delete}});
      } else if (seg.size() == 7 && seg[6] == "metadata" && has_key) {
        detail::pick(route, method, {{Method::get, Endpoint::kv_metadata_get}});
      } else if (seg.size() == 7 && seg[6] == "bulk") {
        detail::pick(route, method,
                     {{Method::put, Endpoint::kv_bulk_write}, {Method::del, Endpoint::kv_bulk_delete_legacy}});
      } else if (seg.size() == 8 && seg[6] == "bulk" && seg[7] == "delete") {
        detail::pick(route, method, {{Method::post, Endpoint::kv_bulk_delete}});
      } else if (seg.size() == 8 && seg[6] == "bulk" && seg[7] == "get") {
        detail::pick(route, method, {{Method::post, Endpoint::kv_bulk_get}});
      } else {
        return Route{};
      }
    }
  } else if (!seg.empty() && seg[0] == "zones" && !has_key) {
    if (seg.size() == 1) {
      detail::pick(route, method, {{Method::get, Endpoint::zones_list}});
    } else if (seg.size() == 2) {
      route.zone_id = std::string(seg[1]);
      ids.push_back(seg[1]);
      detail::pick(route, method, {{Method::get, Endpoint::zone_get}});
    } else if (seg.size() == 3 && seg[2] == "purge_cache") {
      route.zone_id = std::string(seg[1]);
      ids.push_back(seg[1]);
      detail::pick(route, method, {{Method::post, Endpoint::purge}});
    } else {
      return Route{};
    }
  } else {
    return Route{};
  }

  if (route.problem != RouteProblem::none) return route;
  for (auto id : ids) {
    if (!api::looks_like_id(id)) {
      route.problem = RouteProblem::bad_identifier;
      return route;
    }
  }
  if (has_key) {
    auto key = api::url_decode(key_raw);
    if (!key) {
      route.problem = RouteProblem::bad_key_encoding;
      return route;
    }
    route.key = std::move(*key);
  }
  return route;
}

}  // namespace ckp::emu
