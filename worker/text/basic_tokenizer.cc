// HF BasicTokenizer: cleaning, CJK spacing, NFC, whitespace split, lower-casing with accent
// stripping, punctuation split. Character classes follow transformers' tokenization_bert.py.
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <string>
#include <string_view>
#include <vector>

#include "worker/text/utf8.h"
#include "worker/text/wordpiece_tokenizer.h"

namespace nasq {
namespace {

bool IsAscii(std::u32string_view cps) {
  for (char32_t cp : cps) {
    if (cp >= 0x80) return false;
  }
  return true;
}

// HF _is_whitespace: space, \t, \n, \r and category Zs.
bool IsWhitespace(char32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  return cp >= 0x80 && u_charType(cp) == U_SPACE_SEPARATOR;
}

// HF _is_control: categories C* except \t, \n, \r.
bool IsControl(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  switch (u_charType(cp)) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

// HF _is_punctuation: the ASCII non-alphanumeric ranges and categories P*.
bool IsPunctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  if (cp < 0x80) return false;
  switch (u_charType(cp)) {
    case U_CONNECTOR_PUNCTUATION:
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

// HF _is_chinese_char: the CJK Unified Ideographs blocks and compatibility ideographs.
bool IsCjkIdeograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Separators of Python's str.split() that survive cleaning: ' ' (all Zs were mapped to it) and
// the line/paragraph separators (Zl, Zp).
bool IsSplitSeparator(char32_t cp) { return cp == ' ' || cp == 0x2028 || cp == 0x2029; }

std::u32string ToU32(const icu::UnicodeString& s) {
  std::u32string out(static_cast<size_t>(s.countChar32()), U'\0');
  UErrorCode status = U_ZERO_ERROR;
  s.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<int32_t>(out.size()), status);
  return out;
}

icu::UnicodeString FromU32(std::u32string_view cps) {
  return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(cps.data()),
                                       static_cast<int32_t>(cps.size()));
}

// Python unicodedata.normalize("NFC", ...) (non-ASCII text only; ASCII is already NFC).
std::u32string Nfc(std::u32string text) {
  if (IsAscii(text)) return text;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return text;
  const icu::UnicodeString source = FromU32(text);
  if (nfc->isNormalized(source, status) && U_SUCCESS(status)) return text;
  status = U_ZERO_ERROR;
  const icu::UnicodeString normalized = nfc->normalize(source, status);
  return U_SUCCESS(status) ? ToU32(normalized) : text;
}

// Python str.lower() followed by HF _run_strip_accents (NFD, drop Mn).
std::u32string LowerAndStripAccents(std::u32string_view word) {
  if (IsAscii(word)) {
    std::u32string out(word);
    for (char32_t& cp : out) {
      if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    }
    return out;
  }
  icu::UnicodeString text = FromU32(word);
  text.toLower(icu::Locale::getRoot());
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString decomposed = nfd->normalize(text, status);
    if (U_SUCCESS(status)) text = decomposed;
  }
  std::u32string out;
  for (char32_t cp : ToU32(text)) {
    if (u_charType(cp) != U_NON_SPACING_MARK) out.push_back(cp);
  }
  return out;
}

// HF _clean_text followed by _tokenize_chinese_chars.
std::u32string CleanText(std::u32string_view text, bool tokenize_chinese_chars) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp == 0 || cp == 0xFFFD || IsControl(cp)) continue;
    if (IsWhitespace(cp)) {
      out.push_back(' ');
    } else if (tokenize_chinese_chars && IsCjkIdeograph(cp)) {
      out.push_back(' ');
      out.push_back(cp);
      out.push_back(' ');
    } else {
      out.push_back(cp);
    }
  }
  return out;
}

// HF _run_split_on_punc: each punctuation character becomes its own word.
void SplitOnPunctuation(std::u32string_view word, std::vector<std::string>& out) {
  std::string current;
  for (char32_t cp : word) {
    if (IsPunctuation(cp)) {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
      std::string punctuation;
      AppendUtf8(cp, punctuation);
      out.push_back(std::move(punctuation));
    } else {
      AppendUtf8(cp, current);
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
}

}  // namespace

std::vector<std::string> BasicTokenize(std::string_view text,
                                       const BasicTokenizerOptions& options) {
  const std::u32string cleaned = Nfc(CleanText(DecodeUtf8(text), options.tokenize_chinese_chars));
  std::vector<std::string> words;
  size_t start = 0;
  while (start < cleaned.size()) {
    while (start < cleaned.size() && IsSplitSeparator(cleaned[start])) ++start;
    size_t end = start;
    while (end < cleaned.size() && !IsSplitSeparator(cleaned[end])) ++end;
    if (end > start) {
      const std::u32string_view word(cleaned.data() + start, end - start);
      if (options.do_lower_case) {
        SplitOnPunctuation(LowerAndStripAccents(word), words);
      } else {
        SplitOnPunctuation(word, words);
      }
    }
    start = end;
  }
  return words;
}

}  // namespace nasq
