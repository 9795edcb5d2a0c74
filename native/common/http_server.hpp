#pragma once
/// @file
/// Pieces the two local servers (`emulator` and `console`) share: reading a request's whole body through httplib's
/// content reader, and blocking the stop signals so one thread can wait for them.

#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "ckp/api/multipart.hpp"

namespace ckp::native {

/// A request body as read by read_request_body().
struct RequestBody {
  bool ok = false;    ///< false: the body could not be read (httplib sets 413 on res when it was too large)
  std::string bytes;  ///< the body; multipart bodies re-encoded
  std::optional<std::string> multipart_type;  ///< the Content-Type for a re-encoded multipart body, else empty
};

/// Reads the whole body. httplib would otherwise parse a multipart body into parts and leave req.body empty; its
/// parts are encoded again, under a fresh boundary, so that what is served or forwarded is one well-formed body.
inline RequestBody read_request_body(const httplib::Request& req, const httplib::ContentReader& reader) {
  RequestBody out;
  if (req.is_multipart_form_data()) {
    std::vector<api::FormPart> parts;
    out.ok = reader(
        [&](const httplib::MultipartFormData& f) {
          parts.push_back({f.name, "", f.filename, f.content_type});
          return true;
        },
        [&](const char* data, std::size_t n) {
          if (!parts.empty()) parts.back().content.append(data, n);
          return true;
        });
    const std::string boundary = api::choose_boundary(parts);
    out.bytes = api::encode_multipart(parts, boundary);
    out.multipart_type = "multipart/form-data; boundary=" + boundary;
  } else {
    out.ok = reader([&](const char* data, std::size_t n) {
      out.bytes.append(data, n);
      return true;
    });
  }
  return out;
}

/// Blocks SIGINT and SIGTERM in this thread and every thread started after it; a waiter thread takes them with
/// sigwait() on the returned set.
inline sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace ckp::native
