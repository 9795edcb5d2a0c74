#pragma once
/// @file
/// The browser's localStorage, reached from C++ (wasm/browser_storage.cpp holds the EM_JS side).
///
/// Every call survives a missing or full storage: a read of a missing key is nullopt, a write that the browser
/// refuses (quota, private mode) returns false. Without a `localStorage` global (Node.js tests), nothing is stored.

#include <optional>
#include <string>
#include <vector>

namespace ckp::wasm {

/// The value stored under @p key, or nullopt.
std::optional<std::string> storage_get(const std::string& key);
/// Stores @p value under @p key; false when the browser refused it (quota exceeded, storage disabled).
bool storage_set(const std::string& key, const std::string& value);
/// Removes @p key (no-op when absent).
void storage_remove(const std::string& key);
/// Every stored key that starts with @p prefix.
std::vector<std::string> storage_keys(const std::string& prefix);

}  // namespace ckp::wasm
