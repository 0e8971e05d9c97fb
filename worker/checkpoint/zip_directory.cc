#include "worker/checkpoint/zip_directory.h"

#include <algorithm>
#include <fstream>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr size_t kEndOfDirectorySize = 22;
constexpr size_t kMaxCommentSize = 0xffff;

// Little-endian unsigned integer of `n` bytes at `at`; the caller checked the bounds.
uint64_t Le(std::string_view bytes, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

absl::Status Malformed(const std::filesystem::path& path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path.string(), ": not a readable zip archive (", what, ")"));
}

// Reads `size` bytes at `offset`; false when the file is shorter.
bool ReadAt(std::ifstream& in, uint64_t offset, uint64_t size, std::string& out) {
  out.resize(size);
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(out.data(), static_cast<std::streamsize>(size));
  return static_cast<uint64_t>(in.gcount()) == size;
}

// Replaces the 0xffff... placeholders of `entry` (and `offset`) from a zip64 extra field.
void ApplyZip64Extra(std::string_view extra, ZipEntry& entry) {
  for (size_t at = 0; at + 4 <= extra.size();) {
    const uint64_t id = Le(extra, at, 2);
    const uint64_t size = Le(extra, at + 2, 2);
    if (at + 4 + size > extra.size()) return;
    if (id == kZip64ExtraId) {
      size_t field = at + 4;
      auto take = [&](uint64_t& value) {
        if (value != 0xffffffff || field + 8 > at + 4 + size) return;
        value = Le(extra, field, 8);
        field += 8;
      };
      take(entry.uncompressed_size);
      take(entry.compressed_size);
      return;
    }
    at += 4 + size;
  }
}

}  // namespace

absl::StatusOr<std::vector<ZipEntry>> ReadZipDirectory(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  if (file_size < kEndOfDirectorySize) return Malformed(path, "too short");

  // The end-of-central-directory record ends the file, followed only by its comment.
  const uint64_t tail_size = std::min<uint64_t>(file_size, kEndOfDirectorySize + kMaxCommentSize);
  std::string tail;
  if (!ReadAt(in, file_size - tail_size, tail_size, tail)) return Malformed(path, "read failed");
  size_t end = std::string_view::npos;
  for (size_t at = tail.size() - kEndOfDirectorySize + 1; at-- > 0;) {
    if (Le(tail, at, 4) == kEndOfDirectory) {
      end = at;
      break;
    }
  }
  if (end == std::string_view::npos) return Malformed(path, "no end of central directory");
  uint64_t entries = Le(tail, end + 10, 2);
  uint64_t directory_size = Le(tail, end + 12, 4);
  uint64_t directory_offset = Le(tail, end + 16, 4);
  const uint64_t end_offset = file_size - tail_size + end;
  if (entries == 0xffff || directory_size == 0xffffffff || directory_offset == 0xffffffff) {
    std::string locator, zip64_end;
    if (end_offset < 20 || !ReadAt(in, end_offset - 20, 20, locator) ||
        Le(locator, 0, 4) != kZip64Locator) {
      return Malformed(path, "no zip64 locator");
    }
    if (!ReadAt(in, Le(locator, 8, 8), 56, zip64_end) ||
        Le(zip64_end, 0, 4) != kZip64EndOfDirectory) {
      return Malformed(path, "no zip64 end of central directory");
    }
    entries = Le(zip64_end, 32, 8);
    directory_size = Le(zip64_end, 40, 8);
    directory_offset = Le(zip64_end, 48, 8);
  }
  std::string directory;
  if (directory_size > file_size || directory_offset > file_size - directory_size ||
      !ReadAt(in, directory_offset, directory_size, directory)) {
    return Malformed(path, "central directory outside the file");
  }

  std::vector<ZipEntry> out;
  size_t at = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (at + 46 > directory.size() || Le(directory, at, 4) != kDirectoryEntry) {
      return Malformed(path, "truncated central directory");
    }
    const size_t name_size = Le(directory, at + 28, 2);
    const size_t extra_size = Le(directory, at + 30, 2);
    const size_t comment_size = Le(directory, at + 32, 2);
    if (at + 46 + name_size + extra_size + comment_size > directory.size()) {
      return Malformed(path, "truncated central directory");
    }
    ZipEntry entry;
    entry.method = static_cast<uint16_t>(Le(directory, at + 10, 2));
    entry.compressed_size = Le(directory, at + 20, 4);
    entry.uncompressed_size = Le(directory, at + 24, 4);
    entry.name = directory.substr(at + 46, name_size);
    ApplyZip64Extra(std::string_view(directory).substr(at + 46 + name_size, extra_size), entry);
    out.push_back(std::move(entry));
    at += 46 + name_size + extra_size + comment_size;
  }
  return out;
}

}  // namespace nasq
