// cli/display_width.h: how many terminal columns text takes, and cutting text to a width.
//
// Text is UTF-8: a code point takes one column, except combining marks and zero-width
// characters (none) and East Asian wide or fullwidth characters and emoji (two); a byte that is
// not part of valid UTF-8 counts as one column (terminals show it as one replacement character).
// Control characters count as one column too. Pure functions; thread-safe.
#ifndef NASQ_CLI_DISPLAY_WIDTH_H_
#define NASQ_CLI_DISPLAY_WIDTH_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace nasq {

// The number of terminal columns `text` takes.
size_t DisplayWidth(std::string_view text);

// `text` when it fits in `width` columns; else its longest prefix of whole code points that fits
// in `width` - 1 columns followed by "…" (one column), so the result never exceeds `width`
// columns ("" for width 0).
std::string TruncateToWidth(std::string_view text, size_t width);

}  // namespace nasq

#endif  // NASQ_CLI_DISPLAY_WIDTH_H_
