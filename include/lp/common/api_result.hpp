// Values every API-facing service shares: the Idempotency-Key of a request with what it needed,
// list (cursor) parameters, and the answer of a call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lp {

// The Idempotency-Key of a POST (empty = none), a hash of the request it came with, and the
// grants the request needed (the route's permission and every handler-level rule). The grants
// are stored with the response: a replay is a read of that response, so it is authorised like
// the original request (PRODUCT.md §2): a caller lacking any of them gets 403, never the answer.
struct Idempotency {
  std::string key;
  std::string request_hash;
  std::vector<std::string> grants;
};

// The JSON answer of a write whose response is stored for idempotent replays (PRODUCT.md §2):
// the bytes a replay returns. `replayed` marks a stored answer. `grants`: what the request needed
// beyond Idempotency::grants, found while it ran (e.g. the scopes of the key a roll acted on);
// stored with the answer.
struct Answer {
  std::string body;
  bool replayed = false;
  int64_t psp_us = 0;  // time spent waiting for PSPs
  std::vector<std::string> grants;
  // This request's authorization was declined by the PSP (not set on replays): the security
  // monitor counts declines to detect card testing.
  bool declined = false;
};

// Cursor pagination and created[] filters of every list (PRODUCT.md §2).
struct ListParams {
  int limit = 10;
  std::optional<std::string> starting_after, ending_before;
  std::optional<std::string> status;
  std::optional<int64_t> created_gte, created_lte;  // seconds
};

// One page of a list.
template <class T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
};

}  // namespace lp
