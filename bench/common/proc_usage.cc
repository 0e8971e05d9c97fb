#include "bench/common/proc_usage.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace nasq::bench {
namespace {

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

double TicksToSeconds(int64_t ticks) { return static_cast<double>(ticks) / sysconf(_SC_CLK_TCK); }

// The integer after "`key`:" in a /proc/PID/status text (the kB of VmRSS, the count of Threads).
absl::StatusOr<int64_t> StatusField(const std::string& status, absl::string_view key,
                                    const std::string& path) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, ":")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, " kB");
    int64_t value = 0;
    if (absl::SimpleAtoi(line, &value)) return value;
  }
  return absl::InternalError(absl::StrCat(path, ": no ", key, " line"));
}

}  // namespace

absl::StatusOr<ProcessUsage> ReadProcessUsage(pid_t pid) {
  const std::string dir = absl::StrCat("/proc/", pid);
  if (!std::filesystem::exists(dir)) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  const std::string stat_path = dir + "/stat";
  absl::StatusOr<std::string> stat = ReadText(stat_path);
  if (!stat.ok()) return stat.status();
  // "pid (comm) state ppid ... utime stime ...": comm may hold spaces and parentheses, so the
  // fields are counted from the last ')'; state is field 3, utime 14 and stime 15.
  const size_t comm_end = stat->rfind(')');
  if (comm_end == std::string::npos) return absl::InternalError(stat_path + ": no ')'");
  const std::vector<std::string> fields =
      absl::StrSplit(stat->substr(comm_end + 1), ' ', absl::SkipEmpty());
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InternalError(stat_path + ": cannot parse utime and stime");
  }
  if (fields[0] == "Z") {
    return absl::FailedPreconditionError(absl::StrCat("process ", pid, " has ended (zombie)"));
  }
  const std::string status_path = dir + "/status";
  absl::StatusOr<std::string> status = ReadText(status_path);
  if (!status.ok()) return status.status();
  absl::StatusOr<int64_t> rss_kb = StatusField(*status, "VmRSS", status_path);
  if (!rss_kb.ok()) return rss_kb.status();
  absl::StatusOr<int64_t> threads = StatusField(*status, "Threads", status_path);
  if (!threads.ok()) return threads.status();

  ProcessUsage usage;
  usage.cpu_seconds = TicksToSeconds(utime + stime);
  usage.rss_bytes = *rss_kb * 1024;
  usage.threads = static_cast<int>(*threads);
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(dir + "/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++usage.open_files;
  }
  if (error) return absl::InternalError(absl::StrCat(dir, "/fd: ", error.message()));
  return usage;
}

absl::StatusOr<double> ReadMachineBusySeconds() {
  absl::StatusOr<std::string> stat = ReadText("/proc/stat");
  if (!stat.ok()) return stat.status();
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  const std::vector<std::string> fields =
      absl::StrSplit(stat->substr(0, stat->find('\n')), ' ', absl::SkipEmpty());
  if (fields.size() < 9 || fields[0] != "cpu") {
    return absl::InternalError("/proc/stat: no cpu line");
  }
  int64_t busy = 0;
  for (size_t i = 1; i <= 8; ++i) {
    int64_t ticks = 0;
    if (!absl::SimpleAtoi(fields[i], &ticks)) {
      return absl::InternalError(absl::StrCat("/proc/stat: cannot parse '", fields[i], "'"));
    }
    if (i != 4 && i != 5) busy += ticks;  // 4: idle, 5: iowait
  }
  return TicksToSeconds(busy);
}

}  // namespace nasq::bench
