// storage/stored_float.cc: see stored_float.h.
#include "storage/stored_float.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace nasq {

StoredFloat EncodeStoredFloat(double v) {
  if (std::isnan(v)) return {std::nullopt, "NAN"};
  if (std::isinf(v)) return {std::nullopt, v > 0 ? "INF_POS" : "INF_NEG"};
  return {v, "FINITE"};
}

absl::StatusOr<double> DecodeStoredFloat(std::optional<double> value, absl::string_view type) {
  if (type == "FINITE" && value) return *value;
  if (type == "INF_POS") return std::numeric_limits<double>::infinity();
  if (type == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (type == "NAN") return std::numeric_limits<double>::quiet_NaN();
  return absl::DataLossError(absl::StrCat("corrupt float column: type \"", type, "\""));
}

}  // namespace nasq
