#include "server/json_number.h"

#include <cmath>

namespace nasq {

nlohmann::json JsonNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

}  // namespace nasq
