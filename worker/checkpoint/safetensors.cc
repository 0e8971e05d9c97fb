#include "worker/checkpoint/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/io/file_io.h"

namespace nasq {
namespace {

// Header JSON above this size is refused (the reference implementation uses 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
    {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
    {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
    {"BOOL", torch::kBool},
};

absl::StatusOr<torch::ScalarType> DtypeFromName(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.type;
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported safetensors dtype '", name, "'"));
}

absl::StatusOr<std::string> NameFromDtype(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (type == d.type) return std::string(d.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("dtype ", c10::toString(type), " cannot be stored in safetensors"));
}

absl::StatusOr<std::vector<int64_t>> ParseShape(const std::string& name,
                                                const nlohmann::json& shape, uint64_t* numel) {
  if (!shape.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': shape is not an array"));
  }
  std::vector<int64_t> dims;
  *numel = 1;
  for (const auto& dim : shape) {
    if (!dim.is_number_unsigned() ||
        dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "': bad dimension ", dim.dump()));
    }
    const uint64_t d = dim.get<uint64_t>();
    if (d != 0 && *numel > std::numeric_limits<uint64_t>::max() / 2 / d) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': shape overflows"));
    }
    *numel *= d;
    dims.push_back(static_cast<int64_t>(d));
  }
  return dims;
}

struct Entry {
  std::string name;
  torch::ScalarType type;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

absl::StatusOr<Entry> ParseEntry(const std::string& name, const nlohmann::json& value,
                                 uint64_t buffer_size) {
  if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") ||
      !value.contains("data_offsets")) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': header entry needs dtype, shape and data_offsets"));
  }
  if (!value["dtype"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': dtype is not a string"));
  }
  Entry entry{name, torch::kFloat32, {}, 0, 0};
  NASQ_ASSIGN_OR_RETURN(entry.type, DtypeFromName(value["dtype"].get<std::string>()));
  uint64_t numel = 0;
  NASQ_ASSIGN_OR_RETURN(entry.shape, ParseShape(name, value["shape"], &numel));
  const auto& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': data_offsets must be two non-negative integers"));
  }
  entry.begin = offsets[0].get<uint64_t>();
  entry.end = offsets[1].get<uint64_t>();
  if (entry.begin > entry.end || entry.end > buffer_size) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': data_offsets [",
                                                   entry.begin, ", ", entry.end, "] outside the ",
                                                   buffer_size, "-byte data buffer"));
  }
  const uint64_t expected = numel * c10::elementSize(entry.type);
  if (entry.end - entry.begin != expected) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': ", entry.end - entry.begin,
                                                   " bytes for a shape needing ", expected));
  }
  return entry;
}

absl::StatusOr<std::map<std::string, std::string>> ParseMetadata(const nlohmann::json& value) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError("safetensors __metadata__ must be an object");
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("safetensors __metadata__ value for '", key, "' is not a string"));
    }
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

}  // namespace

absl::StatusOr<SafetensorsContents> ParseSafetensors(std::string_view bytes) {
  if (bytes.size() < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("safetensors data too short (", bytes.size(), " bytes) for a header"));
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | uint8_t(bytes[i]);
  if (header_size > kMaxHeaderBytes || header_size > bytes.size() - 8) {
    return absl::InvalidArgumentError(absl::StrCat("safetensors header length ", header_size,
                                                   " exceeds the file (", bytes.size(),
                                                   " bytes) or the 100 MB limit"));
  }
  const nlohmann::json header =
      nlohmann::json::parse(bytes.substr(8, header_size), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return absl::InvalidArgumentError("safetensors header is not a JSON object");
  }
  const std::string_view buffer = bytes.substr(8 + header_size);
  SafetensorsContents contents;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      NASQ_ASSIGN_OR_RETURN(contents.metadata, ParseMetadata(value));
      continue;
    }
    NASQ_ASSIGN_OR_RETURN(Entry entry, ParseEntry(name, value, buffer.size()));
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  uint64_t covered = 0;
  for (const Entry& entry : entries) {
    if (entry.begin != covered) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", entry.name, "' starts at byte ", entry.begin, " but the previous tensor ",
          entry.begin < covered ? "overlaps it" : "leaves a gap", " (ends at ", covered, ")"));
    }
    covered = entry.end;
    torch::Tensor tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.type));
    // An empty tensor has no storage: memcpy from or to its null data_ptr() is undefined.
    if (entry.end > entry.begin) {
      std::memcpy(tensor.data_ptr(), buffer.data() + entry.begin, entry.end - entry.begin);
    }
    contents.tensors.emplace(entry.name, std::move(tensor));
  }
  if (covered != buffer.size()) {
    return absl::InvalidArgumentError(absl::StrCat("safetensors data buffer has ",
                                                   buffer.size() - covered,
                                                   " trailing bytes no tensor refers to"));
  }
  return contents;
}

absl::StatusOr<SafetensorsContents> ReadSafetensors(const std::filesystem::path& path) {
  NASQ_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  auto contents = ParseSafetensors(bytes);
  if (!contents.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": ", contents.status().message()));
  }
  return contents;
}

absl::StatusOr<std::string> SerializeSafetensors(const SafetensorsContents& contents) {
  nlohmann::json header = nlohmann::json::object();
  if (!contents.metadata.empty()) header["__metadata__"] = contents.metadata;
  std::vector<torch::Tensor> blobs;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : contents.tensors) {
    if (name == "__metadata__") {
      return absl::InvalidArgumentError("a tensor cannot be named __metadata__");
    }
    NASQ_ASSIGN_OR_RETURN(std::string dtype, NameFromDtype(tensor.scalar_type()));
    torch::Tensor blob = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t size = blob.numel() * blob.element_size();
    header[name] = {
        {"dtype", dtype}, {"shape", blob.sizes().vec()}, {"data_offsets", {offset, offset + size}}};
    offset += size;
    blobs.push_back(std::move(blob));
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string bytes;
  bytes.reserve(8 + json.size() + offset);
  for (int i = 0; i < 8; ++i) bytes.push_back(char((uint64_t(json.size()) >> (8 * i)) & 0xff));
  bytes += json;
  for (const torch::Tensor& blob : blobs) {
    bytes.append(static_cast<const char*>(blob.data_ptr()), blob.numel() * blob.element_size());
  }
  return bytes;
}

absl::Status WriteSafetensors(const std::filesystem::path& path,
                              const SafetensorsContents& contents) {
  NASQ_ASSIGN_OR_RETURN(std::string bytes, SerializeSafetensors(contents));
  return WriteFileAtomically(path, bytes);
}

}  // namespace nasq
