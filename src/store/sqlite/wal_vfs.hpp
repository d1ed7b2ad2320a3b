// A SQLite VFS shim that coalesces the writes to a WAL file: SQLite writes every WAL frame as two
// pwrite calls (the 24-byte frame header, then the page), so a commit of N pages costs 2N system
// calls. The shim keeps contiguous writes in a per-file buffer and hands them to the real VFS in
// one call when the transaction's commit frame is complete, before anything else touches the file
// and before the buffer reaches the unix VFS's largest single write. Everything else (the database
// file, journals, locking, shared memory) goes to the default VFS unchanged.
//
// Why this is safe: a WAL frame is only visible to another connection once the writer publishes a
// new WAL-index header, which SQLite does after the commit frame's write returned successfully;
// the shim writes the buffer inside that call and returns its result, so an I/O error fails the
// commit exactly as an unbuffered write would. A frame still buffered when the process dies belongs
// to a transaction that had not committed, which SQLite's recovery discards in any case.
#pragma once

#include <cstdint>

namespace lp::store::sqlite {

// Registers the shim once (thread-safe) and returns its name for sqlite3_open_v2.
const char* WalVfsName();

struct WalVfsStats {
  uint64_t writes_in = 0;   // xWrite calls SQLite made on WAL files
  uint64_t writes_out = 0;  // writes the shim passed on to the real VFS
};
WalVfsStats WalVfsCounters();

}  // namespace lp::store::sqlite
