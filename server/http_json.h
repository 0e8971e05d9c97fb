// server/http_json.h: JSON answers of the HTTP endpoint (docs/dashboard.md "Conventions"):
// application/json with Cache-Control: no-store, errors as {"error": {"code", "message"}}, and
// numbers that JSON cannot hold written as strings.
// Thread-safety: pure functions.
#ifndef NASQ_SERVER_HTTP_JSON_H_
#define NASQ_SERVER_HTTP_JSON_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/http_server.h"

namespace nasq {

// `value` as a JSON number, or the string "NaN", "Infinity" or "-Infinity".
nlohmann::json JsonNumber(double value);
// `us` (microseconds since the Unix epoch), or null when it is 0 (not set).
nlohmann::json JsonTime(int64_t us);

// A 200 (or `status`) answer with `body` serialised (invalid UTF-8 replaced, not thrown).
HttpResponse JsonResponse(const nlohmann::json& body, int status = 200);
// {"error": {"code": status, "message": message}} with that status.
HttpResponse JsonError(int status, absl::string_view message);
// The HTTP status for a failed `status`: 400 INVALID_ARGUMENT and OUT_OF_RANGE, 404 NOT_FOUND,
// 409 FAILED_PRECONDITION, ALREADY_EXISTS and ABORTED, 503 UNAVAILABLE, 500 otherwise.
int HttpStatusOf(const absl::Status& status);
// JsonError(HttpStatusOf(status), status.message()).
HttpResponse JsonError(const absl::Status& status);

}  // namespace nasq

#endif  // NASQ_SERVER_HTTP_JSON_H_
