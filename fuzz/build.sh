#!/usr/bin/env bash
# Builds the libFuzzer targets (pan_fuzz, json_request_fuzz, request_fuzz, render_fuzz) with clang, ASan and
# UBSan, then runs each for N seconds: fuzz/build.sh [SECONDS, default 30]. Output, corpora and crash artifacts go
# to build/fuzz/ (override with LP_FUZZ_OUT). Exits non-zero if a target crashes, leaks or times
# out. Separate from CMake because the project builds with g++, which has no libFuzzer.
set -euo pipefail

secs="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${LP_FUZZ_OUT:-$root/build/fuzz}"
cxx="${CXX_FUZZ:-clang++}"

# clang and its fuzzer runtime come from scripts/setup (rows of scripts/deps.txt); never installed
# here, so that a missing install step shows up as a failure naming the package.
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx is missing: Debian package clang (apt-get install -y clang; scripts/setup)" >&2
  exit 1
fi
if [ ! -f "$("$cxx" -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then
  echo "fuzz: libFuzzer (libclang_rt.fuzzer-x86_64.a) is missing: Debian package" \
    "libclang-rt-14-dev (apt-get install -y libclang-rt-14-dev; scripts/setup)" >&2
  exit 1
fi

mkdir -p "$out/obj" "$out/artifacts"
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined
       -I "$root/include" -I "$root/src" -I "$root/test"
       -DBOOST_JSON_NO_LIB -DBOOST_ALL_NO_LIB)
san_lib=(-fsanitize=fuzzer-no-link,address,undefined)
san_bin=(-fsanitize=fuzzer,address,undefined)

# Boost.JSON's compiled part. lp_common compiles it in src/common/asio_impl.cpp together with
# Asio, which the fuzzers do not need, so they get a TU of their own.
echo '#include <boost/json/src.hpp>' > "$out/obj/boost_json_impl.cpp"

compile() {  # compile SRC OBJ, skipped when OBJ is newer than SRC and the headers
  local src="$1" obj="$2"
  if [ -f "$obj" ] && [ "$obj" -nt "$src" ] &&
     [ -z "$(find "$root/include" "$root/src/common" "$root/src/payments" "$root/src/api" \
       "$root/src/connectors" \
       "$root/src/crypto" "$root/test/payments" \
       -newer "$obj" -print -quit)" ]; then
    return
  fi
  echo "fuzz: compiling ${src#"$root"/}"
  "$cxx" "${flags[@]}" "${san_lib[@]}" -c "$src" -o "$obj"
}

lib_objs=()
for src in "$root/src/common/pan.cpp" "$root/src/common/redact.cpp" \
           "$root/src/common/money.cpp" "$root/src/payments/representation.cpp" \
           "$root/src/payments/model.cpp" "$root/src/connectors/operation.cpp" \
           "$root/src/common/principal.cpp" \
           "$root/src/common/json_list.cpp" \
           "$root/src/common/json_canonical.cpp" "$root/src/crypto/hash.cpp" \
           "$root/src/api/input.cpp" "$out/obj/boost_json_impl.cpp"; do
  obj="$out/obj/$(basename "${src%.cpp}").o"
  compile "$src" "$obj"
  lib_objs+=("$obj")
done

targets=(pan_fuzz json_request_fuzz request_fuzz render_fuzz)
for t in "${targets[@]}"; do
  compile "$root/fuzz/$t.cpp" "$out/obj/$t.o"
  "$cxx" "${san_bin[@]}" "$out/obj/$t.o" "${lib_objs[@]}" -lcrypto -lsodium -licuuc -o "$out/$t"
done

# Seed corpora: a few inputs of the shapes each target cares about.
seed() {  # seed TARGET NAME CONTENT
  mkdir -p "$out/corpus/$1"
  printf '%s' "$3" > "$out/corpus/$1/seed_$2"
}
seed pan_fuzz visa '4242424242424242'
seed pan_fuzz spaced 'card 4111 1111 1111 1111 12/34 123'
seed pan_fuzz dashed '5555-5555-5555-4444'
seed pan_fuzz amex 'x378282246310005y'
seed pan_fuzz keys 'Bearer sk_live_abc rk_test_x whsec_a+b/= pk_test_1'
seed pan_fuzz log '{"time":"2024-01-31T12:34:56Z","level":"info","msg":"m","n":1099}'
seed pan_fuzz named 'secret=JBSWY3DP&x {"password":"a\"b","recovery_codes":["7h2k-x9qm-4vtr"]} \"passwd\":\"x\"'
seed pan_fuzz headers "$(printf 'Authorization: Basic dXNl\r\nCookie: __Host-lp_session=q8Xv; a=b\r\nX-API-Key: AQEyhmfxLI3MaBFLw0m/n3Q5qf3Va=-x\n')"
seed pan_fuzz shapes 'bearer q8Xv2LJkR0b3mW9tZ1yN 44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056 a1b2-c3d4-e5f6'
seed pan_fuzz separators "$(printf '4111\302\2401111\342\200\2231111\342\200\2131111 4242  4242.4242/4242_1')"
seed pan_fuzz fullwidth "$(printf '\357\274\224\357\274\222\357\274\224\357\274\222 \331\244\331\242 \340\245\252\340\245\250')"
seed pan_fuzz marks "$(printf '4\314\2012\314\201=\314\270\377\342\221\243\342\201\264')"
seed render_fuzz ascii 'pay_123 usd tok_visa {"order":"42"} sandbox mca_1 sbx_1'
seed render_fuzz escapes "$(printf 'q"b\\s\001\037\177caf\303\251 \342\202\254')"
seed json_request_fuzz payment '{"amount":1099,"currency":"usd","payment_method":"tok_visa","capture_method":"manual","metadata":{"order":"42"}}'
seed json_request_fuzz float '{"amount":10.0,"currency":"JPY"}'
seed json_request_fuzz big '{"amount":9007199254740993,"currency":"kwd"}'
seed json_request_fuzz pan '{"description":"4242 4242 4242 4242","amount":"1"}'
seed json_request_fuzz deep "$(printf '[%.0s' {1..32})$(printf ']%.0s' {1..32})"
seed request_fuzz payment "$(printf 'limit=10&status=succeeded\norder-1\n{"amount":1099,"currency":"usd","payment_method":"tok_visa","metadata":{"order":"42"}}')"
seed request_fuzz escaped "$(printf '\n\n{"amount":1,"\\u0061mount":2}')"
seed request_fuzz many "$(printf '\nk\n{"metadata":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}}')"
seed json_request_fuzz deeper "$(printf '[%.0s' {1..33})$(printf ']%.0s' {1..33})"

cat > "$out/json.dict" <<'DICT'
"{"
"}"
"["
"]"
":"
","
"\""
"true"
"false"
"null"
"-0"
"1e308"
"9007199254740992"
"18446744073709551616"
"\"amount\""
"\"currency\""
"\"usd\""
"\\u0000"
"\\ud800"
DICT

# The redactor's names and prefixes (src/common/redact.cpp), so the fuzzer builds on them.
cat > "$out/redact.dict" <<'DICT'
"password"
"secret"
"recovery_code"
"lp_session"
"_token"
"api_key"
"api-key"
"hmac_key"
"Authorization"
"cookie"
"Bearer "
"AQE"
"sk_live_"
"whsec_"
"\\\""
"\":\""
"=***"
"[REDACTED_PAN]"
"abcd-efgh-jkmn"
DICT

status=0
for t in "${targets[@]}"; do
  args=(-max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
        -artifact_prefix="$out/artifacts/$t-")
  [ "$t" = json_request_fuzz ] && args+=(-dict="$out/json.dict")
  # Whole request decoding: inputs up to 256 KiB and a 2 s limit per input, so a super-linear
  # check (the former pairwise duplicate-key scan took ~20 s on 1 MiB) fails as a timeout.
  [ "$t" = request_fuzz ] && args+=(-dict="$out/json.dict" -max_len=262144 -timeout=2)
  # The card-number check must stay linear: inputs up to 64 KiB from the start (-len_control=0),
  # each within 2 s (ASan/UBSan build; a quadratic scan of 64 KiB takes far longer). The later
  # -timeout wins.
  [ "$t" = pan_fuzz ] && args+=(-max_len=65536 -len_control=0 -timeout=2 -dict="$out/redact.dict")
  echo "fuzz: running $t for ${secs}s"
  if ! "$out/$t" "${args[@]}" "$out/corpus/$t" > "$out/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; see $out/$t.log and $out/artifacts/" >&2
    tail -n 40 "$out/$t.log" >&2
    status=1
  else
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+.*DONE' "$out/$t.log" || true
    echo "fuzz: $t ok"
  fi
done
exit "$status"
