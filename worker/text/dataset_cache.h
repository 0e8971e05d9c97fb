// worker/text/dataset_cache.h: on-disk cache of tokenised datasets, so repeated trials on the
// same data and tokenizer skip loading and tokenisation.
//
// A cache entry is one file `<dir>/<key hash hex>.tok` holding a header (magic "NASQTOK", format
// version, the full key hash, payload size, payload FNV-1a checksum) and the serialised
// TokenizedDataset. Writes are atomic (unique temp file in the same folder, then rename), so
// readers never see a partial file. A file with a wrong magic/version/key/size/checksum is
// reported as corrupt; GetOrBuild deletes and rebuilds it.
// Thread-safety: a DatasetCache has no mutable state; concurrent use from several threads or
// processes on the same folder is safe (last rename wins, both contents are equal).
#ifndef NASQ_WORKER_TEXT_DATASET_CACHE_H_
#define NASQ_WORKER_TEXT_DATASET_CACHE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/text/tokenized_dataset.h"

namespace nasq {

// Everything that determines a tokenised dataset's contents.
struct DatasetCacheKey {
  // Which dataset and view, e.g. "spam-assassin/train" (free text, part of the hash).
  std::string name;
  // Identity of the source data: FingerprintFiles (paths, sizes, mtimes) or FingerprintDataset.
  uint64_t data_fingerprint = 0;
  // WordPieceTokenizer::Fingerprint (vocab and options).
  uint64_t tokenizer_fingerprint = 0;
  int max_length = 0;
  // Anything else that changes the contents (split seed and fraction, ...), free text.
  std::string variant;

  // Stable 64-bit hash of all fields; the entry's file name.
  uint64_t Hash() const;
};

// How a Lookup ended when it did not return a dataset.
//   NotFound: no entry for the key.   DataLoss: the entry exists but is corrupt (message names
//   the file and what is wrong).
class DatasetCache {
 public:
  // `dir` is created on first Store when missing.
  explicit DatasetCache(std::filesystem::path dir);

  // The cached dataset for `key`; NotFound / DataLoss as above.
  absl::StatusOr<TokenizedDataset> Lookup(const DatasetCacheKey& key) const;
  // Writes the entry atomically; Internal naming the path on I/O failure.
  absl::Status Store(const DatasetCacheKey& key, const TokenizedDataset& dataset) const;

  struct Result {
    TokenizedDataset dataset;
    // True when served from the cache, false when `build` ran.
    bool hit = false;
  };
  // Lookup; on NotFound or DataLoss (the corrupt file is removed) runs `build`, stores its
  // result and returns it. Errors from `build` and Store are returned.
  absl::StatusOr<Result> GetOrBuild(
      const DatasetCacheKey& key,
      const std::function<absl::StatusOr<TokenizedDataset>()>& build) const;

  // Path of the entry for `key` (it may not exist).
  std::filesystem::path EntryPath(const DatasetCacheKey& key) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_DATASET_CACHE_H_
