#include "cli/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"

namespace nasq {
namespace {

volatile std::sig_atomic_t resized = 0;

void OnResize(int) { resized = 1; }

// The positive integer in environment variable `name`, else `fallback`.
int PositiveEnv(const char* name, int fallback) {
  const char* text = std::getenv(name);
  int value = 0;
  if (text == nullptr || !absl::SimpleAtoi(text, &value) || value <= 0) return fallback;
  return value;
}

}  // namespace

TerminalSize TerminalSizeOf(int fd) {
  TerminalSize size;
  struct winsize ws = {};
  const bool known = ioctl(fd, TIOCGWINSZ, &ws) == 0;
  size.columns = known && ws.ws_col > 0 ? ws.ws_col : PositiveEnv("COLUMNS", size.columns);
  size.rows = known && ws.ws_row > 0 ? ws.ws_row : PositiveEnv("LINES", size.rows);
  return size;
}

ResizeSignal::ResizeSignal() {
  resized = 0;
  struct sigaction action = {};
  action.sa_handler = &OnResize;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGWINCH, &action, &previous_);
}

ResizeSignal::~ResizeSignal() { sigaction(SIGWINCH, &previous_, nullptr); }

bool ResizeSignal::TakeResized() {
  if (resized == 0) return false;
  resized = 0;
  return true;
}

}  // namespace nasq
