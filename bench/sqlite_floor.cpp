// The SQLite floor of a payment: the CPU time SQLite itself needs for the statements of one
// create+confirm payment, without LiasonPay around them. It runs the production schema (the store's
// migrations) and the statements of src/core/repo.cpp, prepared once and bound directly, in the
// two transactions a payment takes (the intent before the PSP call, the outcome after it), with
// B payments per commit as the writer's group commit batches them. synchronous=NORMAL as the
// writer runs; the fsync (the syncer's, on another thread) is not counted. Whatever the server
// does on top of this is LiasonPay's own cost.
//
// Usage: lp_sqlite_floor [payments per batch size, default 20000]
// Prints one line per batch size (1, 8, 16, 32) and VFS (default unix, the WAL-coalescing shim),
// and a JSON summary on the last line.
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/wal_vfs.hpp"

namespace {

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    Check(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr), db, sql);
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt& T(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& I(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& N(int i) {
    sqlite3_bind_null(st_, i);
    return *this;
  }
  void Run() {
    int rc;
    while ((rc = sqlite3_step(st_)) == SQLITE_ROW) {
    }
    Check(rc, db_, sqlite3_sql(st_));
    sqlite3_reset(st_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

// Sortable ids as lp::NewId makes them: prefix, 8 base62 counter digits, 16 random characters.
std::string Id(const char* prefix, int64_t n, std::mt19937_64& rng) {
  static const char* kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string digits(8, '0');
  for (int i = 7; i >= 0; --i, n /= 62) digits[static_cast<size_t>(i)] = kAlphabet[n % 62];
  std::string s = prefix;
  s += digits;
  for (int i = 0; i < 16; ++i) s += kAlphabet[rng() % 62];
  return s;
}

double MeasureUs(const char* vfs, int batch, int payments, const std::string& path) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  sqlite3* db = nullptr;
  Check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), db,
        "open");
  Check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-8000;"
                     "PRAGMA synchronous=NORMAL;",
                     nullptr, nullptr, nullptr),
        db, "pragmas");
  for (const auto& m : lp::store::sqlite::Migrations()) {
    Check(sqlite3_exec(db, std::string(m.sql).c_str(), nullptr, nullptr, nullptr), db, "schema");
  }
  const std::string mer = "mer_0VcHCwlRz1Q5721JzQ7BqkOB", acct = "ca_0VcHCwlRky4LUbP72MOyIXXL",
                    test = "test", hash(64, 'a'), body(900, 'x');
  Check(sqlite3_exec(db,
                     ("INSERT INTO merchants (id, name, created) VALUES ('" + mer +
                      "', 'm', 1);"
                      "INSERT INTO connector_accounts (id, merchant_id, mode, connector, label, "
                      "created) VALUES ('" +
                      acct + "', '" + mer + "', 'test', 'sandbox', 's', 1);")
                         .c_str(),
                     nullptr, nullptr, nullptr),
        db, "seed");
  int wal_frames = 0;
  sqlite3_wal_hook(
      db,
      [](void* frames, sqlite3*, const char*, int n) {
        *static_cast<int*>(frames) = n;
        return SQLITE_OK;
      },
      &wal_frames);
  {
    // The statements of src/core/repo.cpp, in the order a create+confirm runs them.
    Stmt begin(db, "BEGIN IMMEDIATE"), commit(db, "COMMIT");
    Stmt claim(db,
               "INSERT INTO idempotency_keys (merchant_id, mode, key, request_hash, state, "
               "resource_id, created) VALUES (?,?,?,?,'in_progress',?,?) "
               "ON CONFLICT (merchant_id, mode, key) DO NOTHING");
    Stmt accounts(db,
                  "SELECT id, connector, label, base_url, latency_ms FROM connector_accounts "
                  "WHERE merchant_id = ? AND mode = ? AND status = 'active' ORDER BY created, id");
    Stmt insert_payment(
        db,
        "INSERT INTO payments (id, merchant_id, mode, amount, currency, status, capture_method, "
        "payment_method, description, metadata, amount_capturable, amount_received, "
        "amount_refunded, connector_account_id, connector, psp_reference, last_error, routing, "
        "version, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Stmt insert_attempt(
        db,
        "INSERT INTO payment_attempts (id, payment_id, seq, operation, connector, "
        "connector_account_id, status, amount, psp_reference, decline_code, error_code, "
        "error_message, latency_us, routing_reason, idempotency_key, created, updated) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Stmt update_payment(
        db,
        "UPDATE payments SET status = ?, payment_method = ?, amount_capturable = ?, "
        "amount_received = ?, amount_refunded = ?, connector_account_id = ?, connector = ?, "
        "psp_reference = ?, last_error = ?, version = version + 1, updated = ? "
        "WHERE id = ? AND version = ?");
    Stmt update_attempt(
        db,
        "UPDATE payment_attempts SET status = ?, psp_reference = ?, decline_code = ?, "
        "error_code = ?, error_message = ?, latency_us = ?, updated = ? WHERE id = ?");
    Stmt insert_event(db,
                      "INSERT INTO events (id, merchant_id, mode, type, object_id, data, created) "
                      "VALUES (?,?,?,?,?,?,?)");
    Stmt endpoints(db,
                   "SELECT 1 FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND "
                   "status IN ('enabled', 'failing') LIMIT 1");
    Stmt finish(db,
                "UPDATE idempotency_keys SET state = 'done', resource_id = ?, "
                "response_status = ?, response_body = ? WHERE merchant_id = ? AND mode = ? AND "
                "key = ?");
    std::mt19937_64 rng(42);
    int64_t counter = 1'000'000;
    struct Pay {
      std::string id, attempt, key, event;
    };
    std::vector<Pay> ps(static_cast<size_t>(batch));
    const std::string processing = "processing", succeeded = "succeeded", usd = "usd",
                      automatic = "automatic", visa = "tok_visa", sandbox = "sandbox",
                      authorize = "authorize", pending = "pending", order = "default_order",
                      psp = "sbx_ch_0123456789abcdef", type = "payment.succeeded",
                      event_body = body + std::string(150, 'y');
    double cpu = 0;
    for (int done = 0; done < payments; done += batch) {
      for (auto& p : ps) {
        p.id = Id("pay_", ++counter, rng);
        p.attempt = Id("att_", counter, rng);
        p.event = Id("evt_", counter, rng);
        p.key = std::to_string(rng()) + "-" + std::to_string(rng());  // wrk's keys are random
      }
      const int64_t now = static_cast<int64_t>(std::time(nullptr)) * 1'000'000;
      const double t0 = ThreadCpuSeconds();
      begin.Run();
      for (auto& p : ps) {
        claim.T(1, mer).T(2, test).T(3, p.key).T(4, hash).T(5, p.id).I(6, now).Run();
        accounts.T(1, mer).T(2, test).Run();
        insert_payment.T(1, p.id).T(2, mer).T(3, test).I(4, 1099).T(5, usd).T(6, processing);
        insert_payment.T(7, automatic).T(8, visa).N(9).N(10).I(11, 0).I(12, 0).I(13, 0);
        insert_payment.T(14, acct).T(15, sandbox).N(16).N(17).N(18).I(19, 1).I(20, now);
        insert_payment.I(21, now).Run();
        insert_attempt.T(1, p.attempt).T(2, p.id).I(3, 1).T(4, authorize).T(5, sandbox);
        insert_attempt.T(6, acct).T(7, pending).I(8, 1099).N(9).N(10).N(11).N(12).N(13);
        insert_attempt.T(14, order).T(15, p.attempt).I(16, now).I(17, now).Run();
      }
      commit.Run();
      begin.Run();
      for (auto& p : ps) {
        update_payment.T(1, succeeded).T(2, visa).I(3, 0).I(4, 1099).I(5, 0).T(6, acct);
        update_payment.T(7, sandbox).T(8, psp).N(9).I(10, now).T(11, p.id).I(12, 1).Run();
        update_attempt.T(1, succeeded).T(2, psp).N(3).N(4).N(5).I(6, 300).I(7, now);
        update_attempt.T(8, p.attempt).Run();
        insert_event.T(1, p.event).T(2, mer).T(3, test).T(4, type).T(5, p.id).T(6, event_body);
        insert_event.I(7, now).Run();
        endpoints.T(1, mer).T(2, test).Run();
        finish.T(1, p.id).I(2, 200).T(3, body).T(4, mer).T(5, test).T(6, p.key).Run();
      }
      commit.Run();
      cpu += ThreadCpuSeconds() - t0;
      // As the server does past 4,096 WAL frames (the checkpoint is another thread's work there
      // and not measured here): the WAL is copied back and rewinds instead of growing.
      if (wal_frames > 4096) {
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        wal_frames = 0;
      }
    }
    return cpu / payments * 1e6;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int payments = argc > 1 ? std::atoi(argv[1]) : 20000;
  if (payments < 32) {
    std::fprintf(stderr, "usage: lp_sqlite_floor [payments per cell, at least 32]\n");
    return 2;
  }
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // as the server runs SQLite
  const char* shim = lp::store::sqlite::WalVfsName();
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("lp_sqlite_floor_" + std::to_string(getpid()) + ".db"))
                               .string();
  std::string json = "{\"payments_per_run\":" + std::to_string(payments) + ",\"us_per_payment\":{";
  bool first = true;
  for (int batch : {1, 8, 16, 32}) {
    for (const char* vfs : {static_cast<const char*>(nullptr), shim}) {
      const double us = MeasureUs(vfs, batch, payments, path);
      const char* name = vfs ? "coalescing" : "unix";
      std::printf("batch %2d, %-10s VFS: %6.1f us of SQLite CPU per payment\n", batch, name, us);
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s\"batch_%d_%s\":%.1f", first ? "" : ",", batch, name, us);
      json += buf;
      first = false;
    }
  }
  json += "}}";
  std::printf("%s\n", json.c_str());
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
