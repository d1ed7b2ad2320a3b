#include "lp/connectors/sandbox.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fstream>

#include "lp/common/random.hpp"

namespace lp::connectors::sandbox {

namespace json = boost::json;

namespace {

uint64_t KeyHash(std::string_view key) { return std::hash<std::string_view>{}(key); }

std::optional<LedgerEntry> ParseLine(std::string_view line) {
  boost::system::error_code ec;
  auto v = json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;  // a torn last line after a crash
  const auto& o = v.as_object();
  auto str = [&](const char* k) {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  LedgerEntry e{
      str("idempotency_key"), str("operation"),     str("payment_id"), str("payment_method"), 0,
      str("currency"),        str("psp_reference"), str("outcome"),    str("decline_code")};
  if (auto* a = o.if_contains("amount"); a && a->is_int64()) e.amount = a->as_int64();
  if (e.idempotency_key.empty()) return std::nullopt;
  return e;
}

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path) {
  auto l = std::unique_ptr<Ledger>(new Ledger());
  l->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (l->fd_ < 0) return Error::Internal("cannot open sandbox ledger " + path);
  l->read_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (l->read_fd_ < 0) return Error::Internal("cannot read sandbox ledger " + path);
  {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    uint64_t offset = 0;
    bool last_complete = true;
    while (std::getline(in, line)) {
      last_complete = !in.eof();  // getline hit a newline
      if (auto e = ParseLine(line)) l->offsets_.emplace(KeyHash(e->idempotency_key), offset);
      offset += line.size() + (last_complete ? 1 : 0);
    }
    l->end_ = offset;
    if (!last_complete) {
      // A torn last line (killed mid-write): end it, so the next entry starts a line of its own.
      if (::write(l->fd_, "\n", 1) == 1) ++l->end_;
    }
  }
  return l;
}

Ledger::~Ledger() {
  if (fd_ >= 0) ::close(fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
}

std::optional<LedgerEntry> Ledger::ReadAt(uint64_t offset) const {
  std::string buf;
  char chunk[1024];
  for (;;) {
    ssize_t n = ::pread(read_fd_, chunk, sizeof(chunk), static_cast<off_t>(offset + buf.size()));
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    if (auto nl = buf.find('\n'); nl != std::string::npos) {
      buf.resize(nl);
      break;
    }
  }
  return ParseLine(buf);
}

std::optional<LedgerEntry> Ledger::FindLocked(const std::string& key) const {
  auto [lo, hi] = offsets_.equal_range(KeyHash(key));
  for (auto it = lo; it != hi; ++it) {
    auto e = ReadAt(it->second);
    if (e && e->idempotency_key == key) return e;
  }
  return std::nullopt;
}

std::optional<LedgerEntry> Ledger::Find(const std::string& key) const {
  std::lock_guard lk(mu_);
  return FindLocked(key);
}

size_t Ledger::Size() const {
  std::lock_guard lk(mu_);
  return offsets_.size();
}

LedgerEntry Ledger::Record(const LedgerEntry& e) {
  std::lock_guard lk(mu_);
  if (auto prior = FindLocked(e.idempotency_key)) return *prior;
  json::object o{{"idempotency_key", e.idempotency_key},
                 {"operation", e.operation},
                 {"payment_id", e.payment_id},
                 {"payment_method", e.payment_method},
                 {"amount", e.amount},
                 {"currency", e.currency},
                 {"psp_reference", e.psp_reference},
                 {"outcome", e.outcome},
                 {"decline_code", e.decline_code}};
  std::string line = json::serialize(o);
  line.push_back('\n');
  // One append write per entry: a process kill leaves whole lines (the page cache survives).
  auto n = ::write(fd_, line.data(), line.size());
  if (n == static_cast<ssize_t>(line.size())) {
    offsets_.emplace(KeyHash(e.idempotency_key), end_);
    end_ += line.size();
  }
  return e;
}

namespace {

OperationResult ToResult(const LedgerEntry& e) {
  OperationResult r;
  r.psp_reference = e.psp_reference;
  r.decline_code = e.decline_code;
  if (e.outcome == "authorized") {
    r.outcome = Outcome::kAuthorized;
  } else if (e.outcome == "captured") {
    r.outcome = Outcome::kCaptured;
  } else if (e.outcome == "requires_action") {
    r.outcome = Outcome::kRequiresAction;
  } else if (e.outcome == "voided") {
    r.outcome = Outcome::kVoided;
  } else if (e.outcome == "refunded") {
    r.outcome = Outcome::kRefunded;
  } else {
    r.outcome = Outcome::kDeclined;
    r.soft_decline = e.decline_code == "do_not_honor" || e.decline_code == "insufficient_funds";
    r.message = e.decline_code == "insufficient_funds" ? "The card has insufficient funds."
                : e.decline_code == "do_not_honor"     ? "The card was declined."
                : e.decline_code == "stolen_card"      ? "The card was reported stolen."
                                                       : "The payment method was declined.";
  }
  return r;
}

Task<void> Sleep(int64_t ms) {
  if (ms <= 0) co_return;
  auto ex = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer t(ex, std::chrono::milliseconds(ms));
  co_await t.async_wait(boost::asio::use_awaitable);
}

}  // namespace

LedgerEntry SandboxConnector::Decide(Operation op, const OperationRequest& req) {
  LedgerEntry e;
  e.idempotency_key = req.idempotency_key;
  e.operation = std::string(ToString(op));
  e.payment_id = req.payment_id;
  e.payment_method = req.payment_method;
  e.amount = req.amount.minor_units;
  e.currency = std::string(req.amount.currency.Code());
  e.psp_reference = req.psp_reference.empty() ? NewId("sbx", 20) : req.psp_reference;
  switch (op) {
    case Operation::kCapture:
      e.outcome = "captured";
      return e;
    case Operation::kVoid:
      e.outcome = "voided";
      return e;
    case Operation::kRefund:
      e.psp_reference = NewId("sbxre", 20);
      e.outcome = "refunded";
      return e;
    case Operation::kAuthorize:
      break;
  }
  const std::string& t = req.payment_method;
  if (t == "tok_visa" || t == "tok_mastercard" || t == "tok_amex" || t == "tok_timeout") {
    e.outcome = req.auto_capture ? "captured" : "authorized";
  } else if (t == "tok_3ds_required") {
    e.outcome = "requires_action";
  } else if (t == "tok_decline_insufficient_funds") {
    e.outcome = "declined";
    e.decline_code = "insufficient_funds";
  } else if (t == "tok_decline_do_not_honor") {
    e.outcome = "declined";
    e.decline_code = "do_not_honor";
  } else if (t == "tok_decline_stolen") {
    e.outcome = "declined";
    e.decline_code = "stolen_card";
  } else {
    e.outcome = "declined";
    e.decline_code = "invalid_token";
  }
  return e;
}

Task<Result<OperationResult>> SandboxConnector::Execute(const Account& account, Operation op,
                                                        const OperationRequest& req) {
  co_await Sleep(account.latency_ms >= 0 ? account.latency_ms : default_latency_ms_);
  if (auto prior = ledger_.Find(req.idempotency_key)) co_return ToResult(*prior);
  const bool authorize = op == Operation::kAuthorize;
  if (authorize &&
      (account.simulate == "unavailable" || req.payment_method == "tok_psp_unavailable")) {
    // Connection refused before anything was sent: nothing recorded, provably not charged.
    co_return Error{ErrorType::kUnavailable,
                    std::string(kPspUnavailable),
                    "The payment provider could not be reached.",
                    {},
                    "sandbox: connection refused"};
  }
  if (authorize && req.payment_method == "tok_psp_error" && account.simulate.empty()) {
    co_return Error{ErrorType::kUnavailable,
                    std::string(kPspError),
                    "The payment provider returned an error.",
                    {},
                    "sandbox 500"};
  }
  LedgerEntry decided = Decide(op, req);
  if (authorize && account.simulate == "soft_decline") {
    decided.outcome = "declined";
    decided.decline_code = "do_not_honor";
  } else if (authorize && account.simulate == "timeout") {
    decided.outcome = req.auto_capture ? "captured" : "authorized";
    decided.decline_code.clear();
  }
  LedgerEntry e = ledger_.Record(decided);
  if (authorize && (req.payment_method == "tok_timeout" || account.simulate == "timeout")) {
    // The PSP processed the charge but its answer never arrives: the caller's deadline ends the
    // wait (timeout_ms_ bounds it for callers without one).
    co_await Sleep(timeout_ms_ * 10);
    co_return Error{ErrorType::kUnavailable,
                    std::string(kPspTimeout),
                    "The payment provider did not answer in time.",
                    {},
                    "sandbox timeout"};
  }
  co_return ToResult(e);
}

Task<Result<OperationResult>> SandboxConnector::Sync(const Account& account, Operation,
                                                     const OperationRequest& req) {
  co_await Sleep(account.latency_ms >= 0 ? account.latency_ms : default_latency_ms_);
  if (auto prior = ledger_.Find(req.idempotency_key)) co_return ToResult(*prior);
  co_return Error{ErrorType::kNotFound,
                  std::string(kPspUnknown),
                  "The payment provider has no record of this operation.",
                  {},
                  {}};
}

}  // namespace lp::connectors::sandbox
