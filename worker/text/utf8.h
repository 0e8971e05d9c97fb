// worker/text/utf8.h: UTF-8 <-> code point conversion used by the tokenizer and vocab builder.
//
// Thread-safety: pure functions.
#ifndef NASQ_WORKER_TEXT_UTF8_H_
#define NASQ_WORKER_TEXT_UTF8_H_

#include <string>
#include <string_view>
#include <vector>

namespace nasq {

// Decodes UTF-8; every invalid or truncated sequence, overlong form, surrogate or value above
// U+10FFFF becomes one U+FFFD.
std::u32string DecodeUtf8(std::string_view bytes);

// Appends the UTF-8 encoding of `cp` (a valid scalar value) to `out`.
void AppendUtf8(char32_t cp, std::string& out);

// Byte offsets where each code point of valid UTF-8 `text` starts, plus text.size() at the end
// (so code point k spans [offsets[k], offsets[k + 1])).
std::vector<size_t> CodePointOffsets(std::string_view text);

// UTF-8 encoding of `cps`.
std::string EncodeUtf8(std::u32string_view cps);

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_UTF8_H_
