#include "server/rpc_util.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "core/limits.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

constexpr int32_t kDefaultPageSize = 100;
constexpr int32_t kMaxPageSize = 1000;
constexpr char kTokenPrefix[] = "o";

}  // namespace

absl::StatusOr<PageRequest> ParsePage(int32_t page_size, const std::string& page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be >= 0, got ", page_size));
  }
  PageRequest page{0, page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize)};
  if (page_token.empty()) return page;
  NASQ_RETURN_IF_ERROR(ValidateText(page_token, "page_token", limits::kMaxTokenBytes));
  const char* begin = page_token.data() + 1;
  const char* end = page_token.data() + page_token.size();
  auto [ptr, error] = std::from_chars(begin, end, page.offset);
  if (page_token[0] != kTokenPrefix[0] || error != std::errc() || ptr != end || page.offset < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: '", page_token, "' is not a token from a previous page"));
  }
  return page;
}

std::string NextPageToken(int64_t next, int64_t total) {
  return next < total ? absl::StrCat(kTokenPrefix, next) : "";
}

}  // namespace nasq
