// fuzz/torch_save_fuzzer.cc: libFuzzer target for the torch.save (pytorch_model.bin) reader
// (worker/checkpoint/torch_save_reader.h). The first input byte picks what the rest is:
//   even: a whole file (zip container and pickle both mutated);
//   odd:  the pickle only, stored as data.pkl in a valid archive beside the storage records
//         data/0 (64 bytes), data/1 (32 bytes) and data/2 (8 bytes), so that mutations reach
//         the pickle interpreter instead of dying in the zip reader.
// Any input must give a state dict or an error status.
#include <caffe2/serialize/inline_container.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/scratch_file.h"
#include "worker/checkpoint/torch_save_reader.h"

namespace {

// A torch.save-style archive (as written by LibTorch's own writer) with `pickle` as data.pkl.
std::string ArchiveAround(const uint8_t* pickle, size_t size) {
  std::string archive;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
    archive.append(static_cast<const char*>(bytes), n);
    return n;
  });
  writer.writeRecord("data.pkl", pickle, size);
  const std::string storage(64, '\x3f');
  writer.writeRecord("data/0", storage.data(), 64);
  writer.writeRecord("data/1", storage.data(), 32);
  writer.writeRecord("data/2", storage.data(), 8);
  writer.writeEndOfFile();
  return archive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::filesystem::path path;
  if (data[0] % 2 == 0) {
    path = nasq::fuzz::WriteScratchFile(data + 1, size - 1, ".bin");
  } else {
    const std::string archive = ArchiveAround(data + 1, size - 1);
    path = nasq::fuzz::WriteScratchFile(reinterpret_cast<const uint8_t*>(archive.data()),
                                        archive.size(), ".bin");
  }
  (void)nasq::ReadTorchSaveStateDict(path);
  return 0;
}
