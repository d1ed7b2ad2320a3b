#include "store/sqlite/wal_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <string_view>

namespace lp::store::sqlite {
namespace {

constexpr char kName[] = "lp-wal-coalesce";
constexpr int kFrameHeaderBytes = 24;
// The unix VFS writes at most 0x1ffff bytes per pwrite (seekAndWriteFd masks the length), and a
// length that is a multiple of 128 KiB would be masked to zero: the buffer stays below it.
constexpr size_t kMaxWrite = 0x1ffff;

std::atomic<uint64_t> g_writes_in{0}, g_writes_out{0};
sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;

// The file object SQLite allocates (szOsFile bytes) holds this header followed by the real VFS's
// file. Files other than WALs are opened by the real VFS directly at the start of the block, so
// they never pass through the shim.
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  std::string buf;  // contiguous bytes not yet written, starting at `off`
  sqlite3_int64 off = 0;
  bool commit_pending = false;  // the last frame header written belongs to a commit frame
};

constexpr size_t kRealOffset = (sizeof(WalFile) + alignof(std::max_align_t) - 1) /
                               alignof(std::max_align_t) * alignof(std::max_align_t);

WalFile* W(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return W(f)->real; }

int Flush(WalFile* f) {
  if (f->buf.empty()) return SQLITE_OK;
  int rc =
      f->real->pMethods->xWrite(f->real, f->buf.data(), static_cast<int>(f->buf.size()), f->off);
  g_writes_out.fetch_add(1, std::memory_order_relaxed);
  f->buf.clear();
  return rc;
}

#define LP_FLUSH_OR_RETURN(f)                                \
  do {                                                       \
    if (int rc_ = Flush(W(f)); rc_ != SQLITE_OK) return rc_; \
  } while (0)

int Close(sqlite3_file* f) {
  WalFile* w = W(f);
  int rc = Flush(w);
  int rc2 = w->real->pMethods ? w->real->pMethods->xClose(w->real) : SQLITE_OK;
  w->~WalFile();
  return rc != SQLITE_OK ? rc : rc2;
}
int Read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xRead(Real(f), p, n, off);
}
int Write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  WalFile* w = W(f);
  g_writes_in.fetch_add(1, std::memory_order_relaxed);
  if (!w->buf.empty() && (off != w->off + static_cast<sqlite3_int64>(w->buf.size()) ||
                          w->buf.size() + static_cast<size_t>(n) > kMaxWrite)) {
    LP_FLUSH_OR_RETURN(f);
  }
  if (static_cast<size_t>(n) > kMaxWrite) {  // never from SQLite's WAL code; pass it through
    g_writes_out.fetch_add(1, std::memory_order_relaxed);
    return w->real->pMethods->xWrite(w->real, p, n, off);
  }
  if (w->buf.empty()) {
    if (w->buf.capacity() == 0) w->buf.reserve(kMaxWrite);  // only connections that write
    w->off = off;
  }
  w->buf.append(static_cast<const char*>(p), static_cast<size_t>(n));
  if (n == kFrameHeaderBytes) {
    // Bytes 4..7 of a frame header: the database size after a commit, zero in other frames.
    const auto* h = static_cast<const unsigned char*>(p);
    w->commit_pending = (h[4] | h[5] | h[6] | h[7]) != 0;
    return SQLITE_OK;
  }
  if (w->commit_pending) {  // the commit frame's page: the transaction is complete
    w->commit_pending = false;
    return Flush(w);
  }
  return SQLITE_OK;
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xUnlock(Real(f), level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
// SQLite uses the shared-memory and memory-map methods on the database file only; they are
// passed through for completeness.
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  // The buffer is empty here in every path SQLite takes (it is written with the commit frame);
  // a failure at this point could not be reported, and publishing frames that are not in the
  // file would hand readers wrong pages, so the process stops (as on an fsync failure).
  if (Flush(W(f)) != SQLITE_OK) std::abort();
  Real(f)->pMethods->xShmBarrier(Real(f));
}
int ShmUnmap(sqlite3_file* f, int del) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xShmUnmap(Real(f), del);
}
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  LP_FLUSH_OR_RETURN(f);
  return Real(f)->pMethods->xFetch(Real(f), off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) return g_real->xOpen(g_real, name, f, flags, out_flags);
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  std::memset(real, 0, static_cast<size_t>(g_real->szOsFile));
  int rc = g_real->xOpen(g_real, name, real, flags, out_flags);
  if (rc != SQLITE_OK || real->pMethods == nullptr) {
    f->pMethods = nullptr;
    return rc;
  }
  auto* w = new (f) WalFile();
  w->real = real;
  w->base.pMethods = &kMethods;
  return SQLITE_OK;
}

}  // namespace

const char* WalVfsName() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Only over the unix VFS, whose file methods (version 3) and write limit it is written for.
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    if (real == nullptr || std::string_view(real->zName) != "unix") return;
    g_real = real;
    g_vfs = *g_real;
    g_vfs.szOsFile = static_cast<int>(kRealOffset) + g_real->szOsFile;
    g_vfs.pNext = nullptr;
    g_vfs.zName = kName;
    g_vfs.xOpen = Open;
    if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) g_real = nullptr;
  });
  return g_real ? kName : nullptr;
}

WalVfsStats WalVfsCounters() {
  return {g_writes_in.load(std::memory_order_relaxed),
          g_writes_out.load(std::memory_order_relaxed)};
}

}  // namespace lp::store::sqlite
