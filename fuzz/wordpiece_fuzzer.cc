// fuzz/wordpiece_fuzzer.cc: libFuzzer target for the WordPiece tokenizer and the UTF-8 helpers
// (worker/text/wordpiece_tokenizer.h, utf8.h). The first input byte picks the options
// (bit 0: lower-case, bit 1: CJK splitting, bits 2-7: Encode's max_length 0..63); the rest is
// the text. Checks: UTF-8 decode/encode round-trips, code point offsets cover the text, every
// id is in the vocabulary, and Encode keeps [CLS] ... [SEP] within max_length.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "worker/text/utf8.h"
#include "worker/text/wordpiece_tokenizer.h"

using nasq::fuzz::Check;

namespace {

// A small vocabulary with continuation pieces, accents, CJK, emoji and punctuation.
const std::vector<std::string>& Vocab() {
  static const std::vector<std::string> vocab = {
      "[PAD]", "[UNK]",  "[CLS]",  "[SEP]",  "[MASK]", "the", "quick", "fox", "jump", "##s",
      "##ed",  "##ing",  "un",     "##aff",  "##able", "a",   "##a",   "b",   "##b",  "cafe",
      "café",  "straße", "ελλαδα", "привет", "中",     "国",  "日",    "本",  "😀",    "##😀",
      ".",     ",",      "!",      "'",      "-",      "¿",   "…",     "、",  "1",    "##1"};
  return vocab;
}

// The tokenizer for option bits `bits` (0..3), built once.
const nasq::WordPieceTokenizer& Tokenizer(int bits) {
  static const std::vector<nasq::WordPieceTokenizer>* tokenizers = [] {
    auto* all = new std::vector<nasq::WordPieceTokenizer>;
    for (int b = 0; b < 4; ++b) {
      nasq::WordPieceOptions options;
      options.basic.do_lower_case = b & 1;
      options.basic.tokenize_chinese_chars = b & 2;
      auto tokenizer = nasq::WordPieceTokenizer::FromTokens(Vocab(), options);
      Check(tokenizer.ok(), "the fuzz vocabulary does not load");
      all->push_back(*std::move(tokenizer));
    }
    return all;
  }();
  return (*tokenizers)[bits];
}

void CheckUtf8(std::string_view text) {
  const std::u32string cps = nasq::DecodeUtf8(text);
  const std::string valid = nasq::EncodeUtf8(cps);
  Check(nasq::DecodeUtf8(valid) == cps, "DecodeUtf8(EncodeUtf8(cps)) != cps");
  const std::vector<size_t> offsets = nasq::CodePointOffsets(valid);
  Check(offsets.size() == cps.size() + 1 && offsets.back() == valid.size(),
        "CodePointOffsets does not cover the text");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckUtf8(text);
  const nasq::WordPieceTokenizer& tokenizer = Tokenizer(data[0] & 3);
  (void)nasq::BasicTokenize(text, tokenizer.options().basic);
  for (int32_t id : tokenizer.TokenizeToIds(text)) {
    Check(id >= 0 && id < tokenizer.vocab_size(), "a token id outside the vocabulary");
  }
  const int max_length = data[0] >> 2;
  for (bool pad : {false, true}) {
    auto encoding = tokenizer.Encode(text, max_length, pad);
    if (!encoding.ok()) {
      Check(max_length < 2, "Encode failed with max_length >= 2");
      continue;
    }
    const std::vector<int32_t>& ids = encoding->input_ids;
    const size_t limit = static_cast<size_t>(max_length);
    Check(ids.size() >= 2 && ids.size() <= limit && (!pad || ids.size() == limit) &&
              ids.front() == tokenizer.cls_id() && encoding->attention_mask.size() == ids.size(),
          "Encode broke its [CLS] ... [SEP] / max_length contract");
  }
  return 0;
}
