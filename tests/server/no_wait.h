// tests/server/no_wait.h: the `wait_until` that makes StudyManager::LeaseTrial return at once
// (nullopt when nothing is ready) instead of blocking the test.
#ifndef NASQ_TESTS_SERVER_NO_WAIT_H_
#define NASQ_TESTS_SERVER_NO_WAIT_H_

#include <chrono>

namespace nasq {

inline std::chrono::steady_clock::time_point NoWait() { return std::chrono::steady_clock::now(); }

}  // namespace nasq

#endif  // NASQ_TESTS_SERVER_NO_WAIT_H_
