// cli/terminal.h: the size of the terminal the CLI writes to, and noticing when it changes.
//
// Thread-safety: TerminalSizeOf is thread-safe. ResizeSignal installs a process-wide SIGWINCH
// handler: create at most one at a time, from the main thread.
#ifndef NASQ_CLI_TERMINAL_H_
#define NASQ_CLI_TERMINAL_H_

#include <csignal>

namespace nasq {

struct TerminalSize {
  int columns = 80;
  int rows = 24;
};

// The size of the terminal open on `fd` (ioctl TIOCGWINSZ); where that fails or reports 0, the
// positive integer in $COLUMNS (resp. $LINES), else 80 columns (resp. 24 rows).
TerminalSize TerminalSizeOf(int fd);

// While it lives, SIGWINCH (the terminal was resized) sets a flag that TakeResized reads; the
// previous handler is restored on destruction. The handler does nothing but set the flag.
class ResizeSignal {
 public:
  ResizeSignal();
  ~ResizeSignal();
  ResizeSignal(const ResizeSignal&) = delete;
  ResizeSignal& operator=(const ResizeSignal&) = delete;

  // True when SIGWINCH arrived since the last call (or since construction); clears the flag.
  bool TakeResized();

 private:
  struct sigaction previous_;
};

}  // namespace nasq

#endif  // NASQ_CLI_TERMINAL_H_
