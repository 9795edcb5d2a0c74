#pragma once
/// @file
/// Cloudflare's documented limits: Workers KV sizes and batch caps, the global API rate limit, and per-plan purge
/// limits. Purge caps have changed over the years (see Cloudflare's cache purge documentation), so they live in a
/// PlanProfile that a user can override, never in constants scattered through the code.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ckp::api {

/// Workers KV limits (developers.cloudflare.com/kv/platform/limits/ and the OpenAPI spec).
namespace kv_limits {
inline constexpr std::size_t max_key_bytes = 512;                   ///< bytes in a key name (UTF-8)
inline constexpr std::size_t max_value_bytes = 25 * 1024 * 1024;    ///< bytes in a value: 25 MiB
inline constexpr std::size_t max_metadata_bytes = 1024;             ///< bytes of a key's metadata, as serialized JSON
inline constexpr std::int64_t min_expiration_ttl = 60;              ///< the shortest `expiration_ttl`, in seconds
inline constexpr std::int64_t min_expiration_ahead = 60;            ///< seconds an absolute expiration must be ahead
inline constexpr std::size_t max_bulk_items = 10'000;               ///< pairs or keys in one bulk write or bulk delete
inline constexpr std::size_t max_bulk_request_bytes = 100'000'000;  ///< bytes of one bulk write request: 100 MB
inline constexpr std::size_t max_bulk_get_keys = 100;               ///< keys in one bulk get
inline constexpr int min_list_limit = 10;                           ///< the smallest `limit` of a key listing
inline constexpr int max_list_limit = 1000;                         ///< the largest `limit` of a key listing
inline constexpr int max_namespaces_per_page = 1000;                ///< the largest `per_page` of a namespace listing
inline constexpr std::size_t max_namespace_title = 512;             ///< bytes in a namespace title
}  // namespace kv_limits

/// Zones API paging limits.
namespace zone_limits {
inline constexpr int min_per_page = 5;   ///< the smallest `per_page` of `GET /zones`
inline constexpr int max_per_page = 50;  ///< the largest `per_page` of `GET /zones`
}  // namespace zone_limits

/// Purge item limits independent of plan.
namespace purge_limits {
inline constexpr std::size_t max_tag_chars = 1024;  ///< characters in a cache tag (legacy error 1100)
inline constexpr std::size_t max_host_chars = 200;  ///< characters in a purged host name (legacy error 1114)
inline constexpr int max_prefix_separators = 31;    ///< path separators in one purged prefix
}  // namespace purge_limits

/// Cloudflare's global client API limit: requests per window per token, and the block that follows going over.
struct GlobalRateLimit {
  std::int64_t quota = 1200;          ///< requests allowed per window
  std::int64_t window_seconds = 300;  ///< the window's length
  /// After the quota is exceeded, every call is refused for this long.
  std::int64_t lockout_seconds = 300;
  /// Requests per second per client IP (a separate, coarser limit).
  std::int64_t per_ip_per_second = 200;

  /// The long-run rate the quota allows: quota / window_seconds.
  double requests_per_second() const { return static_cast<double>(quota) / static_cast<double>(window_seconds); }
};

/// A Cloudflare plan's purge limits. Defaults are the documented values as of 2026 (flex purge for all plans).
struct PlanProfile {
  std::string name;  ///< free, pro, business, enterprise, or a user's own name
  /// Max URLs in one `files` purge request.
  std::size_t max_urls_per_request = 100;
  /// Max tags, hosts or prefixes in one purge request (each type separately).
  std::size_t max_flex_items_per_request = 100;
  /// Flex purge (tags, hosts, prefixes, everything) token bucket: refill per second and bucket size.
  double flex_requests_per_second = 5;
  std::int64_t flex_bucket = 25;  ///< the flex bucket's size (a burst of this many requests)
  /// Single-file purge throughput, URLs per second (a moving average at Cloudflare; a bucket here).
  double urls_per_second = 1500;

  /// The profile named @p name (free, pro, business, enterprise), or nullopt.
  static std::optional<PlanProfile> named(std::string_view name);
  /// Free: 100 URLs per request, 5 flex requests per minute (bucket 25), 800 URLs/s.
  static PlanProfile free() { return {"free", 100, 100, 5.0 / 60.0, 25, 800}; }
  /// Pro: 100 URLs per request, 5 flex requests/s (bucket 25), 1500 URLs/s.
  static PlanProfile pro() { return {"pro", 100, 100, 5, 25, 1500}; }
  /// Business: 100 URLs per request, 10 flex requests/s (bucket 50), 1500 URLs/s.
  static PlanProfile business() { return {"business", 100, 100, 10, 50, 1500}; }
  /// Enterprise: 500 URLs per request, 50 flex requests/s (bucket 500), 3000 URLs/s. The engine's default.
  static PlanProfile enterprise() { return {"enterprise", 500, 100, 50, 500, 3000}; }
};

inline std::optional<PlanProfile> PlanProfile::named(std::string_view name) {
  if (name == "free") return free();
  if (name == "pro") return pro();
  if (name == "business") return business();
  if (name == "enterprise") return enterprise();
  return std::nullopt;
}

}  // namespace ckp::api
