// Password hashing: argon2id through libsodium (crypto_pwhash_str_alg), stored as a PHC string
// ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>"), and a small bounded pool that runs the hashes
// off the I/O threads.
//
// Why a pool: one argon2id hash takes m (19 MiB by default) of memory and tens of milliseconds of
// a core. Run on the I/O threads, a sign-in flood would stall every request; run without a bound,
// 200 concurrent attempts would need 200 × 19 MiB. The pool runs at most `threads` hashes at once
// and queues at most `max_queue` more; past that a job is refused at once with
// 503 `service_unavailable` (nothing waits unboundedly, memory stays ≤ threads × m).
//
// Parameters follow ASVS 5 Appendix C / OWASP: argon2id, m ≥ 19 MiB, t ≥ 2, p = 1.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"
#include "lp/common/task.hpp"

namespace lp::crypto {

struct PasswordHashParams {
  uint64_t ops_limit = 2;                      // t: passes over memory
  std::size_t mem_limit = 19u * 1024u * 1024u;  // m: bytes (19 MiB = m=19456 KiB)
};

// The floor below which HashPassword refuses to work (ASVS 5 Appendix C row t=2, m=19 MiB).
inline constexpr uint64_t kMinOpsLimit = 2;
inline constexpr std::size_t kMinMemLimit = 19u * 1024u * 1024u;

// Hashes with a fresh random salt. Blocking (tens of ms): call from a pool, a CLI or a test.
Result<std::string> HashPassword(std::string_view password, const PasswordHashParams& params = {});
// Ok(true) when `password` matches the PHC string, Ok(false) when it does not; an error only
// for a string that is not an argon2 PHC string. Blocking; costs what the hash's parameters say.
Result<bool> VerifyPassword(std::string_view phc, std::string_view password);
// Whether a stored hash was made with other parameters than `params` (rehash at next sign-in).
bool PasswordNeedsRehash(std::string_view phc, const PasswordHashParams& params = {});

// A fixed-size pool of hashing threads with a bounded queue. Thread-safe; the destructor
// finishes running jobs, fails queued ones with `service_unavailable` and joins the threads.
class PasswordHasher {
 public:
  struct Options {
    int threads = 2;             // hashes computed at once
    std::size_t max_queue = 64;  // jobs waiting beyond those; more are refused at once
    PasswordHashParams params;
  };
  struct Stats {
    uint64_t completed = 0;
    uint64_t rejected = 0;       // refused because the queue was full
    std::size_t queued = 0;      // waiting now
    std::size_t running = 0;     // computing now
    std::size_t peak_queued = 0;
  };
  using Job = std::function<void()>;

  explicit PasswordHasher(Options options);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  const PasswordHashParams& Params() const { return options_.params; }
  Stats GetStats() const;

  // A new hash of `password`.
  Task<Result<std::string>> Hash(SecureBytes password);
  // Whether `password` matches `phc` (an unknown account is verified against a dummy hash by
  // the caller, so the time does not tell that the account does not exist).
  Task<Result<bool>> Verify(std::string phc, SecureBytes password);
  // The index of the first hash in `phcs` that `password` matches, or -1 (every hash is tried,
  // so the time does not tell which matched). One pool slot for the whole list.
  Task<Result<int>> VerifyAny(std::vector<std::string> phcs, SecureBytes password);

  // Runs `job` on a pool thread, then `done` there (Ok) — or `done` at once with
  // `service_unavailable` when the queue is full. The awaitables above are built on it.
  void Submit(Job job, std::function<void(Result<void>)> done);

 private:
  struct Item {
    Job job;
    std::function<void(Result<void>)> done;
  };
  void Worker();

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::vector<std::thread> threads_;
};

// What a refused job gets: 503, retry shortly.
Error PasswordHasherBusy();

namespace detail {
// co_await RunOnHasher(pool, fn): runs fn on a pool thread and resumes on the caller's executor
// with its result (or service_unavailable when the queue is full). Not a coroutine itself: the
// initiation runs when the caller awaits.
template <class T>
Task<Result<T>> RunOnHasher(PasswordHasher& pool, std::function<Result<T>()> fn) {
  // Everything the job needs lives in shared state captured by copy (no initiation arguments:
  // GCC 12 mishandles by-value arguments of Asio's initiating coroutine).
  auto job = std::make_shared<std::function<Result<T>()>>(std::move(fn));
  PasswordHasher* p = &pool;
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Result<T>)>(
      [p, job](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto out = std::make_shared<Result<T>>(Error::Internal("password hasher: job did not run"));
        p->Submit([job, out]() { *out = (*job)(); },
                  [h, out](Result<void> r) {
                    if (!r) {
                      *out = r.error();
                    }
                    auto ex = boost::asio::get_associated_executor(*h);
                    boost::asio::post(ex, [h, out]() mutable { std::move (*h)(std::move(*out)); });
                  });
      },
      boost::asio::use_awaitable);
}
}  // namespace detail

}  // namespace lp::crypto
