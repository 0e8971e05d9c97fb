// testing/ask_tell_load.h: AskTellLoad, client threads that ask and tell the trials of one study
// through NasqClient while the server may be killed and restarted (restart and chaos tests).
// Each thread asks a trial and tells the value a caller's function computes from it, until the
// study stops handing out trials (it completed) or a time limit passes, and the values the
// server acknowledged are recorded.
//
// Thread-safety: the constructor starts the threads; told() and finished() may be called from
// any thread; Join() and the accessors after it from the owning thread.
#ifndef NASQ_TESTING_ASK_TELL_LOAD_H_
#define NASQ_TESTING_ASK_TELL_LOAD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testing/local_server.h"

namespace nasq {

struct AskTellLoadOptions {
  // Concurrent client threads. Default 8.
  int threads = 8;
  // Each thread stops asking after this long. Default 60 s.
  std::chrono::seconds give_up{60};
  // Each call's attempts while the server is down (backoff capped at 1 s), so that a thread rides
  // out a restart. Default 60.
  int max_attempts = 60;
};

class AskTellLoad {
 public:
  // Starts options.threads threads asking trials of `study` on `server` (which must outlive the
  // load) as clients "<study>-<thread>", each telling COMPLETE with value(trial). A thread ends
  // when Ask answers FAILED_PRECONDITION (the study is no longer RUNNING) or at options.give_up;
  // RESOURCE_EXHAUSTED (every remaining trial leased, e.g. to an orphaned Ask whose answer was
  // lost in a kill) is retried after 50 ms. A tell refused with FAILED_PRECONDITION (the lease was
  // lost meanwhile) is not recorded; any other error is recorded in errors().
  AskTellLoad(const ServerProcess& server, const std::string& study,
              std::function<double(const v1::Trial&)> value, AskTellLoadOptions options = {});
  // Joins the threads.
  ~AskTellLoad();
  AskTellLoad(const AskTellLoad&) = delete;
  AskTellLoad& operator=(const AskTellLoad&) = delete;

  // Tells the server acknowledged so far.
  int told() const { return told_.load(); }
  // Whether every thread has ended.
  bool finished() const { return running_.load() == 0; }

  // Waits for every thread to end.
  void Join();
  // After Join(): trial number -> the value the server acknowledged for it.
  const std::map<int64_t, double>& acknowledged() const { return acknowledged_; }
  // After Join(): unexpected errors, as "ask: ..." / "tell: ...".
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void Run(const ServerProcess& server, const std::string& study, int thread,
           const AskTellLoadOptions& options);

  const std::function<double(const v1::Trial&)> value_;
  std::atomic<int> told_{0};
  std::atomic<int> running_{0};
  std::mutex mu_;  // guards acknowledged_ and errors_ until Join()
  std::map<int64_t, double> acknowledged_;
  std::vector<std::string> errors_;
  std::vector<std::thread> threads_;
};

}  // namespace nasq

#endif  // NASQ_TESTING_ASK_TELL_LOAD_H_
