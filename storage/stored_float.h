// storage/stored_float.h: how the durable storages store a float that may be +-inf or NaN
// (objective and intermediate values), as Optuna's RDB storage does: a nullable number column
// plus a type column (FINITE, INF_POS, INF_NEG or NAN), because SQL cannot hold the special
// values portably.
//
// Pure functions; thread-safe.
#ifndef NASQ_STORAGE_STORED_FLOAT_H_
#define NASQ_STORAGE_STORED_FLOAT_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

struct StoredFloat {
  std::optional<double> value;  // NULL unless finite
  const char* type;             // FINITE, INF_POS, INF_NEG or NAN
};

StoredFloat EncodeStoredFloat(double v);

// The float stored as (`value`, `type`); DATA_LOSS naming the type when the pair is not one
// that EncodeStoredFloat writes (an unknown type, or FINITE without a value).
absl::StatusOr<double> DecodeStoredFloat(std::optional<double> value, absl::string_view type);

}  // namespace nasq

#endif  // NASQ_STORAGE_STORED_FLOAT_H_
