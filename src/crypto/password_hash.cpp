#include "lp/crypto/password_hash.hpp"

#include <sodium.h>

#include <utility>

namespace lp::crypto {
namespace {

Result<void> EnsureSodium() {
  if (sodium_init() < 0) return Error::Internal("sodium_init failed");
  return {};
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, const PasswordHashParams& params) {
  if (params.ops_limit < kMinOpsLimit || params.mem_limit < kMinMemLimit) {
    return Error::Internal("password hash parameters below the floor (t>=2, m>=19 MiB)");
  }
  if (auto r = EnsureSodium(); !r) return r.error();
  char out[crypto_pwhash_STRBYTES] = {};
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops_limit,
                            params.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error::Internal("crypto_pwhash_str_alg failed (out of memory?)");
  }
  return std::string(out);
}

Result<bool> VerifyPassword(std::string_view phc, std::string_view password) {
  if (!phc.starts_with("$argon2id$") || phc.size() >= crypto_pwhash_STRBYTES) {
    return Error::Internal("not an argon2id PHC string");
  }
  if (auto r = EnsureSodium(); !r) return r.error();
  const std::string z(phc);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view phc, const PasswordHashParams& params) {
  const std::string z(phc);
  return crypto_pwhash_str_needs_rehash(z.c_str(), params.ops_limit, params.mem_limit) != 0;
}

Error PasswordHasherBusy() {
  Error e = Error::Unavailable("Too many sign-in requests are being processed. Try again shortly.",
                               "password hasher queue full");
  return e;
}

PasswordHasher::PasswordHasher(Options options) : options_(std::move(options)) {
  const int n = options_.threads < 1 ? 1 : options_.threads;
  threads_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Worker(); });
}

PasswordHasher::~PasswordHasher() {
  std::deque<Item> left;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    left.swap(queue_);
    stats_.queued = 0;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  for (auto& item : left) item.done(PasswordHasherBusy());
}

PasswordHasher::Stats PasswordHasher::GetStats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void PasswordHasher::Submit(Job job, std::function<void(Result<void>)> done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queue) {
      ++stats_.rejected;
    } else {
      queue_.push_back({std::move(job), std::move(done)});
      stats_.queued = queue_.size();
      if (stats_.queued > stats_.peak_queued) stats_.peak_queued = stats_.queued;
      done = nullptr;
    }
  }
  if (done) {
    done(PasswordHasherBusy());
    return;
  }
  cv_.notify_one();
}

void PasswordHasher::Worker() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left
      item = std::move(queue_.front());
      queue_.pop_front();
      stats_.queued = queue_.size();
      ++stats_.running;
    }
    item.job();
    item.job = nullptr;  // release what the job held before its caller resumes
    {
      std::lock_guard lock(mu_);
      --stats_.running;
      ++stats_.completed;
    }
    auto done = std::move(item.done);
    item.done = nullptr;
    done(Result<void>());
  }
}

// The jobs are named std::function objects, never temporaries inside the co_await expression:
// GCC 12 destroys a temporary closure with non-trivial captures twice there.
Task<Result<std::string>> PasswordHasher::Hash(SecureBytes password) {
  auto pw = std::make_shared<SecureBytes>(std::move(password));
  const PasswordHashParams params = options_.params;
  std::function<Result<std::string>()> job = [pw, params]() {
    return HashPassword(pw->view(), params);
  };
  auto r = co_await detail::RunOnHasher<std::string>(*this, std::move(job));
  co_return r;
}

Task<Result<bool>> PasswordHasher::Verify(std::string phc, SecureBytes password) {
  auto pw = std::make_shared<SecureBytes>(std::move(password));
  auto hash = std::make_shared<std::string>(std::move(phc));
  std::function<Result<bool>()> job = [pw, hash]() { return VerifyPassword(*hash, pw->view()); };
  auto r = co_await detail::RunOnHasher<bool>(*this, std::move(job));
  co_return r;
}

Task<Result<int>> PasswordHasher::VerifyAny(std::vector<std::string> phcs, SecureBytes password) {
  auto pw = std::make_shared<SecureBytes>(std::move(password));
  auto hashes = std::make_shared<std::vector<std::string>>(std::move(phcs));
  std::function<Result<int>()> job = [pw, hashes]() -> Result<int> {
    int found = -1;
    for (size_t i = 0; i < hashes->size(); ++i) {
      auto ok = VerifyPassword((*hashes)[i], pw->view());
      if (!ok) {
        return ok.error();
      }
      if (*ok && found < 0) {
        found = static_cast<int>(i);
      }
    }
    return found;
  };
  auto r = co_await detail::RunOnHasher<int>(*this, std::move(job));
  co_return r;
}

}  // namespace lp::crypto
