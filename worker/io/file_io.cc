#include "worker/io/file_io.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace nasq {

absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("file not found: ", path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  std::string contents;
  const auto size = std::filesystem::file_size(path, error);
  if (!error) contents.reserve(size);
  contents.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading ", path.string()));
  return contents;
}

absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create folder for ", path.string(), ": ", error.message()));
  }
  std::string temp_template = path.string() + ".tmp.XXXXXX";
  const int fd = ::mkstemp(temp_template.data());
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create a temp file beside ", path.string()));
  }
  ::fchmod(fd, 0644);  // mkstemp creates 0600; the result is an ordinary data file.
  ::close(fd);
  const std::filesystem::path temp = temp_template;
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temp, error);
      return absl::InternalError(absl::StrCat("cannot write ", temp.string()));
    }
  }
  std::filesystem::rename(temp, path, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return absl::InternalError(absl::StrCat("cannot rename ", temp.string(), " to ", path.string(),
                                            ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::filesystem::path>> ListFiles(const std::filesystem::path& dir,
                                                             std::string_view extension) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("folder not found: ", dir.string()));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.is_regular_file(error) && entry.path().filename().string().ends_with(extension)) {
      files.push_back(entry.path());
    }
  }
  if (error) {
    return absl::DataLossError(absl::StrCat("cannot list ", dir.string(), ": ", error.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace nasq
