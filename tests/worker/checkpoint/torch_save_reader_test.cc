#include "worker/checkpoint/torch_save_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/worker/model/model_test_util.h"
#include "worker/checkpoint/zip_directory.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

// Writes the files the tests read with Python's torch.save (torch 1.13 in this image): a state
// dict with HF-like names covering dtypes, a non-contiguous tensor, views sharing one storage at
// offsets, a Parameter and the `_metadata` attribute that model.state_dict() carries; plus files
// the reader must refuse.
constexpr char kWriterScript[] = R"py(
import collections, sys, torch
out = sys.argv[1]
base = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5
sd = collections.OrderedDict()
sd["bert.embeddings.word_embeddings.weight"] = base
sd["bert.encoder.layer.0.attention.self.query.weight"] = base.t()
sd["bert.encoder.layer.0.attention.self.query.bias"] = base[1]
sd["bert.pooler.dense.bias"] = base.view(-1)[5:9]
sd["classifier.weight"] = torch.nn.Parameter(torch.ones(2, 3) * -1.5)
sd["half"] = torch.tensor([0.5, -2.0, 3.25], dtype=torch.float16)
sd["bf16"] = torch.tensor([1.5, -0.25], dtype=torch.bfloat16)
sd["long"] = torch.arange(-2, 3, dtype=torch.int64)
sd["empty"] = torch.zeros(0, 4)
sd["scalar"] = torch.tensor(7.0)
sd._metadata = collections.OrderedDict([("", {"version": 1})])
torch.save(sd, out + "/state.bin")
torch.save({"a": torch.ones(2)}, out + "/plain_dict.bin")
torch.save(sd, out + "/legacy.bin", _use_new_zipfile_serialization=False)
torch.save([torch.ones(2)], out + "/list.bin")
torch.save({"a": 3}, out + "/int_value.bin")
torch.save({"a": torch.ones(2, dtype=torch.complex64)}, out + "/complex.bin")
open(out + "/garbage.bin", "wb").write(b"not a zip file at all")

# Found by fuzz/torch_save_fuzzer: a pickle whose tensor sizes, strides or offset overflow int64,
# or whose storage numel does not match its 64-byte record.
import io, pickle
class Storage: pass
class Tensor:
    def __init__(self, args): self.args = args
    def __reduce__(self): return (torch._utils._rebuild_tensor_v2, self.args)
def write_archive(name, pickled):
    writer = torch._C.PyTorchFileWriter(out + "/" + name)
    writer.write_record("data.pkl", pickled, len(pickled))
    writer.write_record("data/0", bytes(64), 64)
    writer.write_end_of_file()
def write_pickled(name, numel, size, stride, offset=0):
    storage = Storage()
    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", numel) if obj is storage else None
    data = io.BytesIO()
    args = (storage, offset, size, stride, False, collections.OrderedDict())
    Pickler(data, protocol=2).dump({"w": Tensor(args)})
    write_archive(name, data.getvalue())
write_pickled("stride_overflow.bin", 16, (2**62,), (4,))
write_pickled("offset_overflow.bin", 16, (2,), (1,), 2**63 - 1)
write_pickled("huge_storage.bin", 2**61, (1,), (1,))

# Found by the long fuzz run: reference cycles leaked the reader's shared_ptr graph.
itself = {}
itself["me"] = itself
write_archive("self_cycle.bin", pickle.dumps(itself, protocol=2))
inner = []
outer = {"inner": inner}
inner.append(outer)
write_archive("two_cycle.bin", pickle.dumps(outer, protocol=2))
deep = []
for _ in range(150): deep = [deep]
write_archive("deep.bin", pickle.dumps({"deep": deep}, protocol=2))

# Found by the long fuzz run: a central directory that declares a 4 GiB data.pkl made LibTorch's
# zip reader allocate it.
import struct
raw = bytearray(open(out + "/plain_dict.bin", "rb").read())
entry = raw.find(b"PK\x01\x02")
while entry >= 0:
    name_size = struct.unpack_from("<H", raw, entry + 28)[0]
    if raw[entry + 46:entry + 46 + name_size].endswith(b"/data.pkl"):
        struct.pack_into("<I", raw, entry + 24, 0xFFFFFFF0)
    entry = raw.find(b"PK\x01\x02", entry + 4)
open(out + "/forged_size.bin", "wb").write(raw)
)py";

class TorchSaveReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::HavePythonTorch()) return;
    dir_ = new std::filesystem::path(testing::FreshDir("torch_save"));
    written_ = testing::RunPython(*dir_, kWriterScript, dir_->string());
  }
  void SetUp() override {
    if (!written_) GTEST_SKIP() << "/usr/bin/python3 with torch is not available";
  }
  static std::filesystem::path* dir_;
  static bool written_;
};
std::filesystem::path* TorchSaveReaderTest::dir_ = nullptr;
bool TorchSaveReaderTest::written_ = false;

TEST_F(TorchSaveReaderTest, ReadsOrderedDictStateDict) {
  auto sd = ReadTorchSaveStateDict(*dir_ / "state.bin");
  ASSERT_TRUE(sd.ok()) << sd.status();
  const torch::Tensor base = torch::arange(12, torch::kFloat32).reshape({3, 4}) * 0.5;
  EXPECT_EQ(sd->size(), 10u);
  EXPECT_TRUE(torch::equal(sd->at("bert.embeddings.word_embeddings.weight"), base));
  const torch::Tensor transposed = sd->at("bert.encoder.layer.0.attention.self.query.weight");
  EXPECT_TRUE(transposed.is_contiguous());
  EXPECT_TRUE(torch::equal(transposed, base.t()));
  EXPECT_TRUE(torch::equal(sd->at("bert.encoder.layer.0.attention.self.query.bias"), base[1]));
  EXPECT_TRUE(torch::equal(sd->at("bert.pooler.dense.bias"), base.view(-1).slice(0, 5, 9)));
  EXPECT_TRUE(torch::equal(sd->at("classifier.weight"), torch::full({2, 3}, -1.5)));
  EXPECT_TRUE(torch::equal(sd->at("half"), torch::tensor({0.5, -2.0, 3.25}).to(torch::kFloat16)));
  EXPECT_TRUE(torch::equal(sd->at("bf16"), torch::tensor({1.5, -0.25}).to(torch::kBFloat16)));
  EXPECT_TRUE(torch::equal(sd->at("long"), torch::arange(-2, 3, torch::kLong)));
  EXPECT_EQ(sd->at("empty").sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(sd->at("scalar").dim(), 0);
  EXPECT_EQ(sd->at("scalar").item<float>(), 7.0f);
}

TEST_F(TorchSaveReaderTest, ReadsPlainDict) {
  auto sd = ReadTorchSaveStateDict(*dir_ / "plain_dict.bin");
  ASSERT_TRUE(sd.ok()) << sd.status();
  EXPECT_TRUE(torch::equal(sd->at("a"), torch::ones({2})));
}

TEST_F(TorchSaveReaderTest, ZipDirectoryListsTheArchiveRecords) {
  auto entries = ReadZipDirectory(*dir_ / "plain_dict.bin");
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::vector<std::string> names;
  for (const ZipEntry& entry : *entries) {
    names.push_back(entry.name.substr(entry.name.find('/') + 1));
    EXPECT_LE(entry.uncompressed_size, std::filesystem::file_size(*dir_ / "plain_dict.bin"));
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf({"data.pkl", "data/0"}));
  EXPECT_THAT(std::string(ReadZipDirectory(*dir_ / "garbage.bin").status().message()),
              HasSubstr("not a readable zip archive (too short)"));
}

TEST_F(TorchSaveReaderTest, RefusesWhatItCannotRead) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"legacy.bin", "legacy"},
      {"garbage.bin", "not a zip-format torch.save archive"},
      {"list.bin", "not a dict"},
      {"int_value.bin", "not a str -> tensor pair"},
      {"complex.bin", "storage class torch.ComplexFloatStorage"},
      {"stride_overflow.bin", "tensor size/stride/offset overflows"},
      {"offset_overflow.bin", "tensor size/stride/offset overflows"},
      {"huge_storage.bin", "has 64 bytes, expected 2305843009213693952 elements of 4 bytes"},
      {"self_cycle.bin", "a container that contains itself"},
      {"two_cycle.bin", "a container changed after it was put in another"},
      {"deep.bin", "nesting deeper than 100 levels"},
      {"forged_size.bin", "data.pkl declares 4294967280 bytes in a file of"},
  };
  for (const auto& [file, message] : cases) {
    auto sd = ReadTorchSaveStateDict(*dir_ / file);
    EXPECT_EQ(sd.status().code(), absl::StatusCode::kInvalidArgument) << file;
    EXPECT_THAT(sd.status().message(), HasSubstr(message)) << file;
  }
  EXPECT_EQ(ReadTorchSaveStateDict(*dir_ / "missing.bin").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace nasq
