#pragma once
// Items given in one flag value: "a, b,c".

#include <string>
#include <vector>

namespace ckp::cli {

/// Splits "a,b,c" into items (trimmed of blanks and tabs, empty ones dropped).
std::vector<std::string> split_list(const std::string& text);

}  // namespace ckp::cli
