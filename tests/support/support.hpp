#pragma once
// Helpers shared by the unit tests.

#include <string>

#include "ckp/api/http.hpp"

namespace ckp::test {

/// A response as the transport would hand it over.
inline api::Response respond(int status, std::string body, api::Headers headers = {}) {
  api::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

/// A 200 response with @p body.
inline api::Response ok(std::string body, api::Headers headers = {}) {
  return respond(200, std::move(body), std::move(headers));
}

/// The value of query parameter @p name, or "<absent>".
inline std::string query_of(const api::Request& r, const std::string& name) {
  for (const auto& [k, v] : r.query)
    if (k == name) return v;
  return "<absent>";
}

}  // namespace ckp::test
