// core/name_table.h: internal helper for enum <-> name tables (trial states, study directions,
// sampler kinds, study states). Not part of the public API of core/.
//
// Thread-safety: pure functions over constant tables.
#ifndef NASQ_CORE_NAME_TABLE_H_
#define NASQ_CORE_NAME_TABLE_H_

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace nasq::internal {

template <class Enum>
using NameEntry = std::pair<Enum, const char*>;

// The name of `value` in `table`, or "UNKNOWN" when the table does not list it.
template <class Enum, size_t N>
const char* NameOf(const NameEntry<Enum> (&table)[N], Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "UNKNOWN";
}

// True when `table` lists `value` (guards against out-of-range casts into the enum).
template <class Enum, size_t N>
bool Lists(const NameEntry<Enum> (&table)[N], Enum value) {
  for (const auto& entry : table) {
    if (entry.first == value) return true;
  }
  return false;
}

// The enum whose name equals `name` ignoring ASCII case; nullopt when none does.
template <class Enum, size_t N>
std::optional<Enum> ParseName(const NameEntry<Enum> (&table)[N], absl::string_view name) {
  for (const auto& [e, entry_name] : table) {
    if (absl::EqualsIgnoreCase(name, entry_name)) return e;
  }
  return std::nullopt;
}

}  // namespace nasq::internal

#endif  // NASQ_CORE_NAME_TABLE_H_
