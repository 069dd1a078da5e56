// A minimal harness for the C++ tests of custom_ops/core: no framework, plain main().
//
//   void TestSomething() {
//     EXPECT_EQ(map.Find(7), 2);        // records a failure (file:line, both values), goes on
//     CHECK(status.ok());               // prints the failure and exits 1 at once
//   }
//   int main() {
//     RUN_TEST(TestSomething);
//     return tfgle_test::Finish();      // nonzero if any expectation failed
//   }
//
// Also ThreadExecutor: a toy Executor on std::threads, so that tests can check
// that results do not depend on the thread count. The core itself never starts
// threads (TensorFlow's intra-op pool runs its work); only tests may.
#ifndef TFGLE_TESTS_CORE_TEST_UTIL_H_
#define TFGLE_TESTS_CORE_TEST_UTIL_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "custom_ops/core/executor.h"
#include "custom_ops/core/status.h"

namespace tfgle_test {

inline int& FailureCount() {
  static int count = 0;
  return count;
}

inline void ReportFailure(const char* file, int line, const std::string& what) {
  ++FailureCount();
  std::cerr << file << ":" << line << ": FAILED: " << what << std::endl;
}

// Printable form of a value; vectors print as [a, b, ...].
template <typename T>
std::string Repr(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}
template <typename T>
std::string Repr(const std::vector<T>& values) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out << ", ";
    if (i == 32) {
      out << "... (" << values.size() << " values)";
      break;
    }
    out << values[i];
  }
  out << "]";
  return out.str();
}
inline std::string Repr(const ::tfgle::Status& status) {
  return status.ok() ? "OK" : "error: " + status.message();
}

// Runs one test function and prints its outcome.
inline void RunTest(const char* name, const std::function<void()>& test) {
  const int failures_before = FailureCount();
  std::cout << "[ RUN      ] " << name << std::endl;
  test();
  std::cout << (FailureCount() == failures_before ? "[       OK ] " : "[  FAILED  ] ") << name
            << std::endl;
}

// The exit status of main(): 0 if every expectation held.
inline int Finish() {
  if (FailureCount() == 0) {
    std::cout << "All tests passed." << std::endl;
    return 0;
  }
  std::cout << FailureCount() << " expectation(s) failed." << std::endl;
  return 1;
}

// An Executor that runs shards on `num_threads` std::threads. Each call splits
// [0, n) into 4 * num_threads shards (fewer if n is small) that the threads take
// in whatever order they get to them, as a real thread pool would.
inline ::tfgle::Executor ThreadExecutor(int num_threads) {
  ::tfgle::Executor executor;
  executor.num_threads = num_threads;
  executor.parallel_for = [num_threads](int64_t n, int64_t,
                                        const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    const int64_t shards = std::min<int64_t>(n, 4 * num_threads);
    std::atomic<int64_t> next{0};
    auto work = [&] {
      for (int64_t s = next++; s < shards; s = next++) fn(n * s / shards, n * (s + 1) / shards);
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < num_threads; ++t) threads.emplace_back(work);
    work();
    for (std::thread& thread : threads) thread.join();
  };
  return executor;
}

}  // namespace tfgle_test

#define RUN_TEST(fn) ::tfgle_test::RunTest(#fn, fn)

// Unless `ok`, reports `what` (evaluated only then) at this file:line and runs
// `on_failure`: nothing for the EXPECT_* macros, exit(1) for the fatal CHECK*.
#define TFGLE_TEST_REPORT_UNLESS_(ok, what, on_failure)                  \
  do {                                                                  \
    if (!(ok)) {                                                        \
      ::tfgle_test::ReportFailure(__FILE__, __LINE__, what);            \
      on_failure;                                                       \
    }                                                                   \
  } while (0)

// Unless `expr` gives an OK status, reports `what` + ", got " + its message.
#define TFGLE_TEST_STATUS_OK_(expr, what, on_failure)                                    \
  do {                                                                                   \
    const ::tfgle::Status tfgle_status_ = (expr);                                        \
    TFGLE_TEST_REPORT_UNLESS_(tfgle_status_.ok(), what ", got " + tfgle_status_.message(), \
                              on_failure);                                               \
  } while (0)

#define EXPECT_TRUE(cond) TFGLE_TEST_REPORT_UNLESS_(cond, "EXPECT_TRUE(" #cond ")", (void)0)

#define TFGLE_TEST_COMPARE_(a, op, b)                                                   \
  do {                                                                                  \
    const auto& tfgle_a_ = (a);                                                         \
    const auto& tfgle_b_ = (b);                                                         \
    TFGLE_TEST_REPORT_UNLESS_(tfgle_a_ op tfgle_b_,                                     \
                              std::string(#a " " #op " " #b ", got ") +                 \
                                  ::tfgle_test::Repr(tfgle_a_) + " vs " +               \
                                  ::tfgle_test::Repr(tfgle_b_),                         \
                              (void)0);                                                 \
  } while (0)

#define EXPECT_EQ(a, b) TFGLE_TEST_COMPARE_(a, ==, b)
#define EXPECT_NE(a, b) TFGLE_TEST_COMPARE_(a, !=, b)
#define EXPECT_LT(a, b) TFGLE_TEST_COMPARE_(a, <, b)
#define EXPECT_LE(a, b) TFGLE_TEST_COMPARE_(a, <=, b)

// The status is OK.
#define EXPECT_OK(expr) TFGLE_TEST_STATUS_OK_(expr, "EXPECT_OK(" #expr ")", (void)0)

// The status has code `want_code` and its message contains `want`.
#define EXPECT_ERROR(expr, want_code, want)                                                  \
  do {                                                                                       \
    const ::tfgle::Status tfgle_status_ = (expr);                                            \
    TFGLE_TEST_REPORT_UNLESS_(                                                               \
        tfgle_status_.code() == (want_code) &&                                               \
            tfgle_status_.message().find(want) != std::string::npos,                         \
        "EXPECT_ERROR(" #expr ", " #want_code ", \"" + std::string(want) + "\"), got " +     \
            ::tfgle_test::Repr(tfgle_status_),                                               \
        (void)0);                                                                            \
  } while (0)

// Fatal: print the failure and end the test binary with exit status 1.
#define CHECK(cond) TFGLE_TEST_REPORT_UNLESS_(cond, "CHECK(" #cond ")", std::exit(1))
#define CHECK_OK(expr) TFGLE_TEST_STATUS_OK_(expr, "CHECK_OK(" #expr ")", std::exit(1))

#endif  // TFGLE_TESTS_CORE_TEST_UTIL_H_
