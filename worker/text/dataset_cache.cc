#include "worker/text/dataset_cache.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "worker/io/file_io.h"
#include "worker/io/hashing.h"

namespace nasq {
namespace {

constexpr std::string_view kMagic("NASQTOK\0", 8);
constexpr uint32_t kFormatVersion = 1;
// magic, version, key hash, payload size, payload checksum.
constexpr size_t kHeaderSize = 8 + 4 + 8 + 8 + 8;

// Little-endian encoder of the cache format.
class Writer {
 public:
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void Bytes(std::string_view s) { out_.append(s); }
  void String(std::string_view s) {
    U64(s.size());
    Bytes(s);
  }
  std::string& out() { return out_; }

 private:
  void Fixed(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Bounds-checked little-endian decoder; any overrun sets failed().
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint64_t U64() { return Fixed(8); }
  std::string_view Bytes(uint64_t n) {
    if (failed_ || n > data_.size() - pos_) {
      failed_ = true;
      return {};
    }
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::string String() { return std::string(Bytes(U64())); }
  bool failed() const { return failed_; }
  bool at_end() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  uint64_t Fixed(int bytes) {
    std::string_view raw = Bytes(bytes);
    uint64_t v = 0;
    for (int i = 0; i < static_cast<int>(raw.size()); ++i) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(raw[i])) << (8 * i);
    }
    return v;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

std::string SerializePayload(const TokenizedDataset& dataset) {
  Writer w;
  w.U64(static_cast<uint64_t>(dataset.max_length));
  w.U32(static_cast<uint32_t>(dataset.pad_id));
  w.U64(dataset.label_names.size());
  for (const std::string& name : dataset.label_names) w.String(name);
  w.U64(dataset.examples.size());
  for (const TokenizedExample& example : dataset.examples) {
    w.U32(static_cast<uint32_t>(example.label));
    w.U64(example.input_ids.size());
    for (int32_t id : example.input_ids) w.U32(static_cast<uint32_t>(id));
  }
  return std::move(w.out());
}

// Parses a payload; returns a description of the problem on failure.
absl::StatusOr<TokenizedDataset> ParsePayload(std::string_view payload) {
  Reader r(payload);
  TokenizedDataset dataset;
  dataset.max_length = static_cast<int>(r.U64());
  dataset.pad_id = static_cast<int32_t>(r.U32());
  const uint64_t num_labels = r.U64();
  for (uint64_t i = 0; i < num_labels && !r.failed(); ++i) {
    dataset.label_names.push_back(r.String());
  }
  const uint64_t num_examples = r.U64();
  // Each example takes at least 12 bytes; refuse counts the payload cannot hold.
  if (r.failed() || num_examples > r.remaining() / 12) {
    return absl::DataLossError("truncated payload");
  }
  dataset.examples.resize(num_examples);
  for (TokenizedExample& example : dataset.examples) {
    example.label = static_cast<int>(r.U32());
    const uint64_t num_ids = r.U64();
    if (r.failed() || num_ids > r.remaining() / 4) return absl::DataLossError("truncated payload");
    example.input_ids.resize(num_ids);
    for (int32_t& id : example.input_ids) id = static_cast<int32_t>(r.U32());
  }
  if (r.failed() || !r.at_end()) return absl::DataLossError("payload size mismatch");
  return dataset;
}

}  // namespace

uint64_t DatasetCacheKey::Hash() const {
  return Fnv1a64()
      .AddU64(kFormatVersion)
      .AddString(name)
      .AddU64(data_fingerprint)
      .AddU64(tokenizer_fingerprint)
      .AddU64(static_cast<uint64_t>(max_length))
      .AddString(variant)
      .value();
}

DatasetCache::DatasetCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::filesystem::path DatasetCache::EntryPath(const DatasetCacheKey& key) const {
  return dir_ / absl::StrFormat("%016x.tok", key.Hash());
}

absl::StatusOr<TokenizedDataset> DatasetCache::Lookup(const DatasetCacheKey& key) const {
  const std::filesystem::path path = EntryPath(key);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat("no cache entry ", path.string()));
  }
  const absl::StatusOr<std::string> file = ReadWholeFile(path);
  if (!file.ok()) return file.status();
  const std::string& contents = *file;
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("corrupt dataset cache file ", path.string(), ": ", what));
  };
  Reader header(contents);
  if (header.Bytes(kMagic.size()) != kMagic) return corrupt("bad magic");
  if (header.U32() != kFormatVersion) return corrupt("unsupported format version");
  if (header.U64() != key.Hash()) return corrupt("entry belongs to another key");
  const uint64_t payload_size = header.U64();
  const uint64_t checksum = header.U64();
  if (header.failed() || payload_size != header.remaining()) return corrupt("size mismatch");
  const std::string_view payload = std::string_view(contents).substr(kHeaderSize);
  if (Fnv1a64().AddBytes(payload).value() != checksum) return corrupt("checksum mismatch");
  auto dataset = ParsePayload(payload);
  if (!dataset.ok()) return corrupt(dataset.status().message());
  if (dataset->max_length != key.max_length) return corrupt("max_length differs from the key");
  return dataset;
}

absl::Status DatasetCache::Store(const DatasetCacheKey& key,
                                 const TokenizedDataset& dataset) const {
  const std::string payload = SerializePayload(dataset);
  Writer w;
  w.Bytes(kMagic);
  w.U32(kFormatVersion);
  w.U64(key.Hash());
  w.U64(payload.size());
  w.U64(Fnv1a64().AddBytes(payload).value());
  w.Bytes(payload);
  return WriteFileAtomically(EntryPath(key), w.out());
}

absl::StatusOr<DatasetCache::Result> DatasetCache::GetOrBuild(
    const DatasetCacheKey& key,
    const std::function<absl::StatusOr<TokenizedDataset>()>& build) const {
  auto cached = Lookup(key);
  if (cached.ok()) return Result{*std::move(cached), /*hit=*/true};
  if (absl::IsDataLoss(cached.status())) {
    std::error_code ignored;
    std::filesystem::remove(EntryPath(key), ignored);
  } else if (!absl::IsNotFound(cached.status())) {
    return cached.status();
  }
  NASQ_ASSIGN_OR_RETURN(TokenizedDataset built, build());
  NASQ_RETURN_IF_ERROR(Store(key, built));
  return Result{std::move(built), /*hit=*/false};
}

}  // namespace nasq
