#include "cli/command_suggestion.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nasq {

size_t EditDistance(std::string_view a, std::string_view b) {
  // d[i][j]: the distance of a's first i bytes and b's first j bytes.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> ClosestName(std::string_view word, const std::vector<std::string>& names,
                                       size_t max_distance) {
  std::optional<std::string> best;
  size_t best_distance = max_distance + 1;
  for (const std::string& name : names) {
    const size_t distance = EditDistance(word, name);
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  return best;
}

std::string UnknownCommandMessage(const std::string& parent, const std::string& word,
                                  const std::vector<std::string>& names) {
  std::string message =
      absl::StrCat("unknown command '", parent.empty() ? "" : parent + " ", word, "'");
  if (std::optional<std::string> close = ClosestName(word, names)) {
    absl::StrAppend(&message, "; did you mean '", parent.empty() ? "" : parent + " ", *close, "'?");
  } else {
    absl::StrAppend(&message, "; commands: ", absl::StrJoin(names, ", "));
  }
  return message;
}

}  // namespace nasq
