#pragma once
// "Did you mean …?": the closest of a few known words (commands, flags) to one the user mistyped.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace ckp::cli {

/// The number of single-character edits (insert, delete, substitute, or swap two neighbours) that turn @p a into
/// @p b (optimal string alignment distance). edit_distance("lst", "list") == 1, edit_distance("lsit", "list") == 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to @p word, or "" when none is close enough to be what the user meant: at most 1 edit
/// for words of up to 4 characters, 2 up to 8, 3 beyond; or @p word is a prefix (of 2 characters or more) of the
/// candidate. On a tie, the first candidate in order wins. Leading dashes count like any other character, so pass
/// flags with their dashes on both sides ("--namespce" against "--namespace").
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// "unknown command 'lst' for 'kv'. Did you mean 'list'? Commands: list, get, …": @p word is not a visible
/// subcommand of @p parent, whose command path (without the program name; "" for the root) is @p path.
std::string unknown_command_message(const CLI::App& parent, const std::string& path, const std::string& word);

/// A usage error explained for people, from @p root after its parse() threw @p e: an unknown command or flag with
/// the closest valid one ("Did you mean …?"), a command that needs a subcommand with the valid ones, a repeated
/// --zone pointing to --zones. "" when @p e is none of these (then CLI11's own message stands).
std::string explain_parse_error(const CLI::App& root, const CLI::ParseError& e);

}  // namespace ckp::cli
