// The card-number rule of PRODUCT.md §6 (see pan.hpp). The input is read one NFKC
// normalisation segment at a time: ASCII next to ASCII is classified at once (NFKC changes no
// ASCII text), a character that normalisation cannot change the kind of likewise, and the rest is
// normalised by ICU segment by segment. Every character the scanner sees knows the input bytes it
// came from, so spans are in input bytes.
#include "lp/common/pan.hpp"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

namespace lp {
namespace {

constexpr size_t kMinDigits = 13;
constexpr size_t kMaxDigits = 19;
// A normalisation segment longer than this many code points is cut (UAX #15 §13, Stream-Safe
// Text Format: 30 non-starters): only long runs of combining marks reach it, and it keeps ICU's
// canonical reordering, quadratic in a segment's length, bounded.
constexpr int kMaxSegment = 32;

// What a character is for the rule (after NFKC).
enum class Kind : uint8_t {
  kDigit,      // \p{Nd}
  kSpace,      // White_Space: one separates, and so does a pair
  kSeparator,  // any other non-alphanumeric character
  kAlnum,      // a letter: ends a run of digit groups
};

constexpr std::array<Kind, 128> MakeAsciiKinds() {
  std::array<Kind, 128> k{};
  for (int c = 0; c < 128; ++c) {
    if (c >= '0' && c <= '9') {
      k[c] = Kind::kDigit;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      k[c] = Kind::kAlnum;
    } else if (c == ' ' || (c >= '\t' && c <= '\r')) {
      k[c] = Kind::kSpace;
    } else {
      k[c] = Kind::kSeparator;
    }
  }
  return k;
}
constexpr std::array<Kind, 128> kAsciiKinds = MakeAsciiKinds();

// The kind of a character of the normalised text (or of one that NFKC cannot change the kind
// of); `digit` gets the value of a digit.
Kind Classify(UChar32 c, int& digit) {
  if (c < 0x80) {
    digit = static_cast<int>(c) - '0';
    return kAsciiKinds[static_cast<size_t>(c)];
  }
  const auto category = static_cast<UCharCategory>(u_charType(c));
  if (category == U_DECIMAL_DIGIT_NUMBER) {
    digit = u_charDigitValue(c);
    return Kind::kDigit;
  }
  if ((U_MASK(category) & U_GC_L_MASK) != 0) {
    return Kind::kAlnum;
  }
  return u_isUWhiteSpace(c) ? Kind::kSpace : Kind::kSeparator;
}

const icu::Normalizer2* Nfkc() {
  static const icu::Normalizer2* const kNfkc = [] {
    UErrorCode ec = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(ec);
    return U_SUCCESS(ec) ? n : nullptr;
  }();
  return kNfkc;
}

// Finds the spans in a stream of classified characters. Digits form groups; groups joined by one
// separator (or two white-space characters) form a run; every window of whole groups of a run
// holding 13–19 digits is a candidate. A window's groups are kept until no window starting at
// the first one can grow any more (more than 19 digits buffered), so at most 20 groups are held
// and each group is looked at by at most 19 windows: linear.
class Scanner {
 public:
  explicit Scanner(std::vector<Span>* all) : all_(all) {}

  // The group being read is written in place, in the ring slot after the buffered ones.
  void Digit(int value, size_t begin, size_t end) {
    Group& cur = At(size_);
    if (!in_group_) {
      in_group_ = true;
      group_len_ = 0;
      cur.begin = begin;
      cur.count = 0;
    }
    if (group_len_ < kMaxDigits) {
      cur.digits[cur.count++] = static_cast<uint8_t>(value);
    }
    ++group_len_;
    cur.end = end;
  }

  // Returns true once the search is over (the first span was found and only it was wanted).
  bool NonDigit(Kind kind) {
    if (in_group_) {
      CloseGroup();
    }
    if (kind == Kind::kAlnum) {
      pending_ = 3;  // no joiner
      EndRun();
    } else if (pending_ < 3) {
      ++pending_;
      only_spaces_ = only_spaces_ && kind == Kind::kSpace;
      if (pending_ == 3 || (pending_ == 2 && !only_spaces_)) {
        pending_ = 3;
        EndRun();
      }
    }
    return done_;
  }

  void Finish() {
    if (in_group_) {
      CloseGroup();
    }
    EndRun();
  }

  bool done() const { return done_; }
  const std::optional<Span>& first() const { return first_; }

 private:
  struct Group {  // left uninitialised in the ring: written before it is read
    size_t begin;
    size_t end;
    uint8_t count;
    uint8_t digits[kMaxDigits];
  };
  static constexpr size_t kRing = 32;  // > kMaxDigits + 1 groups

  Group& At(size_t k) { return ring_[(head_ + k) % kRing]; }

  void CloseGroup() {
    in_group_ = false;
    pending_ = 0;
    only_spaces_ = true;
    if (group_len_ > kMaxDigits) {
      EndRun();  // no window can hold this group: it ends the run
      pending_ = 3;
      return;
    }
    run_digits_ += At(size_).count;
    ++size_;
    while (run_digits_ > kMaxDigits && !done_) {
      ProcessFront();
    }
  }

  void EndRun() {
    while (size_ > 0 && !done_ && run_digits_ >= kMinDigits) {  // else no window is long enough
      ProcessFront();
    }
    size_ = 0;
    run_digits_ = 0;
  }

  // Every window that starts at the first buffered group is complete: take the longest valid one
  // (mask as much as possible), or drop the group.
  void ProcessFront() {
    const Group& g = At(0);
    size_t take = 1;
    if (g.digits[0] >= 2 && g.digits[0] <= 6) {
      // Luhn sums for both parities, so each window is checked in O(1) as it grows: a digit at
      // index i (from the left) is doubled iff i and the window length have the same parity.
      int sum_even = 0;  // digits at even i doubled
      int sum_odd = 0;   // digits at odd i doubled
      size_t len = 0;
      size_t best = 0;
      for (size_t k = 0; k < size_; ++k) {
        const Group& h = At(k);
        if (len + h.count > kMaxDigits) {
          break;
        }
        for (size_t j = 0; j < h.count; ++j, ++len) {
          const int d = h.digits[j];
          const int twice = d * 2 > 9 ? d * 2 - 9 : d * 2;
          sum_even += len % 2 == 0 ? twice : d;
          sum_odd += len % 2 == 1 ? twice : d;
        }
        if (len >= kMinDigits && (len % 2 == 0 ? sum_even : sum_odd) % 10 == 0) {
          best = k + 1;
        }
      }
      if (best > 0) {
        // A group can start inside the character that ended the previous span ("1⁄2"): spans
        // never overlap.
        Emit(Span{std::max(g.begin, floor_), At(best - 1).end});
        take = best;
      }
    }
    for (size_t k = 0; k < take; ++k) {
      run_digits_ -= At(k).count;
    }
    head_ = (head_ + take) % kRing;
    size_ -= take;
  }

  void Emit(Span span) {
    floor_ = span.end;
    if (!first_) {
      first_ = span;
    }
    if (all_ != nullptr) {
      all_->push_back(span);
    } else {
      done_ = true;
    }
  }

  std::vector<Span>* const all_;
  size_t floor_ = 0;  // where the last span ended
  std::optional<Span> first_;
  bool done_ = false;

  bool in_group_ = false;
  size_t group_len_ = 0;  // digits of the current group (only the first 19 are kept)
  int pending_ = 3;       // non-digits since the last group; 3 = the run is over
  bool only_spaces_ = true;

  std::array<Group, kRing> ring_;
  size_t head_ = 0;
  size_t size_ = 0;
  size_t run_digits_ = 0;
};

// Feeds one character (already normalised) that came from input bytes [begin, end).
bool Feed(Scanner& sc, UChar32 c, size_t begin, size_t end) {
  int digit = -1;
  const Kind kind = Classify(c, digit);
  if (kind == Kind::kDigit) {
    sc.Digit(digit, begin, end);
    return false;
  }
  return sc.NonDigit(kind);
}

// True when `c`, as a segment of its own, needs no normalising to be classified: it has no
// decomposition (NFKC leaves it alone), or it is a letter with a canonical one (é, Å, 가: NFKC
// gives letters and marks, no digit, which end a run of digits just as the letter does).
// pan_test checks this for every code point.
bool NfkcKeepsKind(UChar32 c) {
  const int type = u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE);
  return type == U_DT_NONE || (type == U_DT_CANONICAL && (U_GET_GC_MASK(c) & U_GC_L_MASK) != 0);
}

// NFKC of a whole string is the concatenation of the NFKC of its segments, each starting at a
// character with a normalisation boundary before it. Most segments are one character that NFKC
// leaves alone (ASCII followed by ASCII: the loop's fast case); the rest are normalised on their
// own, and each resulting character is attributed to the whole segment's bytes.
void Scan(std::string_view s, Scanner& sc) {
  const icu::Normalizer2* nfkc = Nfkc();
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  std::string normalized;
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80 && (i + 1 == n || p[i + 1] < 0x80)) {
      const Kind kind = kAsciiKinds[p[i]];
      if (kind == Kind::kDigit) {
        sc.Digit(p[i] - '0', i, i + 1);
      } else if (sc.NonDigit(kind)) {
        return;
      }
      ++i;
      continue;
    }
    const size_t begin = i;
    UChar32 c = 0;
    U8_NEXT(p, i, n, c);
    if (c < 0) {
      // An ill-formed byte sequence is one non-alphanumeric character (U+FFFD once logged).
      if (sc.NonDigit(Kind::kSeparator)) {
        return;
      }
      continue;
    }
    // Extend the segment over characters that interact with what precedes them.
    int length = 1;
    while (i < n && p[i] >= 0x80 && length < kMaxSegment && nfkc != nullptr) {
      size_t next = i;
      UChar32 d = 0;
      U8_NEXT(p, next, n, d);
      if (d < 0 || nfkc->hasBoundaryBefore(d)) {
        break;
      }
      i = next;
      ++length;
    }
    if (length == 1 && (c < 0x80 || nfkc == nullptr || NfkcKeepsKind(c))) {
      if (Feed(sc, c, begin, i)) {
        return;
      }
      continue;
    }
    normalized.clear();
    icu::StringByteSink<std::string> sink(&normalized);
    UErrorCode ec = U_ZERO_ERROR;
    nfkc->normalizeUTF8(0, icu::StringPiece(s.data() + begin, static_cast<int32_t>(i - begin)),
                        sink, nullptr, ec);
    if (U_FAILURE(ec)) {
      normalized.assign(s.data() + begin, i - begin);  // well-formed, so this cannot happen
    }
    const auto* q = reinterpret_cast<const uint8_t*>(normalized.data());
    for (size_t j = 0; j < normalized.size();) {
      UChar32 e = 0;
      U8_NEXT(q, j, normalized.size(), e);
      if (Feed(sc, e < 0 ? 0xFFFD : e, begin, i)) {
        return;
      }
    }
  }
}

// False when `s` cannot hold a card number: shorter than 13 bytes (NFKC gives a character at
// most as many digits as it has UTF-8 bytes; pan_test checks every code point), or plain ASCII
// with fewer than 13 digits. One pass over blocks the compiler vectorises, stopping at the first
// non-ASCII byte or 13th digit.
bool MayHoldPan(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  if (n < kMinDigits) {
    return false;
  }
  size_t digits = 0;
  size_t i = 0;
  constexpr size_t kBlock = 16;
  for (; i + kBlock <= n; i += kBlock) {
    uint8_t block_digits = 0;
    uint8_t high = 0;
    for (size_t j = 0; j < kBlock; ++j) {
      block_digits += static_cast<uint8_t>(p[i + j] - '0') < 10 ? 1 : 0;
      high |= p[i + j];
    }
    digits += block_digits;
    if (high >= 0x80 || digits >= kMinDigits) {
      return true;
    }
  }
  uint8_t high = 0;
  for (; i < n; ++i) {
    digits += static_cast<uint8_t>(p[i] - '0') < 10 ? 1 : 0;
    high |= p[i];
  }
  return high >= 0x80 || digits >= kMinDigits;
}

void Run(std::string_view s, Scanner& sc) {
  Scan(s, sc);
  if (!sc.done()) {
    sc.Finish();
  }
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

std::optional<Span> FindPan(std::string_view text) {
  if (!MayHoldPan(text)) {
    return std::nullopt;
  }
  Scanner sc(nullptr);
  Run(text, sc);
  return sc.first();
}

std::vector<Span> FindPans(std::string_view text) {
  std::vector<Span> spans;
  if (!MayHoldPan(text)) {
    return spans;
  }
  Scanner sc(&spans);
  Run(text, sc);
  return spans;
}

}  // namespace lp
