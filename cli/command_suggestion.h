// cli/command_suggestion.h: "did you mean" for a misspelled command name.
//
// Pure functions; thread-safe.
#ifndef NASQ_CLI_COMMAND_SUGGESTION_H_
#define NASQ_CLI_COMMAND_SUGGESTION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nasq {

// The Damerau-Levenshtein distance of `a` and `b` (optimal string alignment: insertions,
// deletions, substitutions and swaps of two adjacent bytes each cost 1; no substring is edited
// twice): "trails" and "trials" are 1 apart, "stduy" and "study" 1, "tirals" and "trials" 1.
size_t EditDistance(std::string_view a, std::string_view b);

// The name in `names` closest to `word` by EditDistance when at most `max_distance` away (the
// first in `names` on a tie); nullopt when none is that close.
std::optional<std::string> ClosestName(std::string_view word, const std::vector<std::string>& names,
                                       size_t max_distance = 2);

// "unknown command 'trails'; did you mean 'trials'?", or, when no name in `names` is within
// distance 2, "unknown command 'x'; commands: a, b". With a `parent` ("study") both names are
// prefixed by it and a space.
std::string UnknownCommandMessage(const std::string& parent, const std::string& word,
                                  const std::vector<std::string>& names);

}  // namespace nasq

#endif  // NASQ_CLI_COMMAND_SUGGESTION_H_
