#include "core/limits.h"

#include <algorithm>

namespace nasq {

namespace {

// The length of the well-formed UTF-8 sequence that starts text[i], or 0 when it is not one.
// The first continuation byte's range (Unicode 15, table 3-7) excludes overlong forms,
// surrogates and code points above U+10FFFF.
size_t SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t length = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string FitText(absl::string_view text, size_t max_bytes) {
  constexpr absl::string_view kCut = "...";
  std::string clean;
  clean.reserve(std::min(text.size(), max_bytes + 4));
  size_t i = 0;
  while (i < text.size() && clean.size() <= max_bytes) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) {
      clean += '?';
      ++i;
    } else {
      clean.append(text.data() + i, length);
      i += length;
    }
  }
  if (i == text.size() && clean.size() <= max_bytes) return clean;
  size_t end = max_bytes - kCut.size();  // `clean` is longer than max_bytes here
  while (end > 0 && (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(absl::string_view(clean).substr(0, end), kCut);
}

absl::Status ValidateText(absl::string_view value, absl::string_view field, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be at most ", max_bytes, " bytes (got ", value.size(), ")"));
  }
  if (!IsValidUtf8(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCount(size_t count, int64_t max, absl::string_view field,
                           absl::string_view what) {
  if (count <= static_cast<size_t>(max)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": at most ", max, " ", what, " (got ", count, ")"));
}

}  // namespace nasq
