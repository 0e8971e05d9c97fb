// server/json_number.h: doubles in the dashboard's JSON (docs/dashboard.md "Conventions"): JSON
// has no NaN or infinities, so they are written as the strings "NaN", "Infinity", "-Infinity".
// Thread-safety: pure function.
#ifndef NASQ_SERVER_JSON_NUMBER_H_
#define NASQ_SERVER_JSON_NUMBER_H_

#include "nlohmann/json.hpp"

namespace nasq {

// `value` as a JSON number when finite, else as the string naming it (see top).
nlohmann::json JsonNumber(double value);

}  // namespace nasq

#endif  // NASQ_SERVER_JSON_NUMBER_H_
