// Differential libFuzzer target for the JSON writer behind payment and refund bodies
// (src/payments/representation.cpp): for payments and refunds built from arbitrary bytes (any
// string bytes, any integers, optional fields, 0-3 attempts, declines), the output must equal the
// boost::json rendering it replaced (test/payments/representation_reference.hpp) byte for byte.
// Idempotent replays are byte for byte, so a difference would be an API change.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "lp/common/json_list.hpp"
#include "lp/payments/representation.hpp"
#include "payments/representation_reference.hpp"

namespace {

using namespace lp;
using namespace lp::payments;
namespace json = boost::json;

std::optional<std::string> OptStr(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return std::nullopt;
  return in.ConsumeRandomLengthString(64);
}

void Check(const std::string& got, const std::string& want) {
  if (got != want) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Payment p;
  p.id = in.ConsumeRandomLengthString(40);
  p.mode = in.ConsumeBool() ? Mode::kLive : Mode::kTest;
  p.amount.minor_units = in.ConsumeIntegral<int64_t>();
  p.amount_capturable = in.ConsumeIntegral<int64_t>();
  p.amount_received = in.ConsumeIntegral<int64_t>();
  p.amount_refunded = in.ConsumeIntegral<int64_t>();
  p.amount.currency = StoredCurrency(in.ConsumeRandomLengthString(8));
  p.status = static_cast<PaymentStatus>(in.ConsumeIntegralInRange<int>(0, 7));
  p.capture_method = in.ConsumeBool() ? CaptureMethod::kManual : CaptureMethod::kAutomatic;
  p.payment_method = OptStr(in);
  p.description = OptStr(in);
  p.metadata = in.ConsumeRandomLengthString(128);
  {
    // Stored metadata is always an object's text; JSON that is not an object is shown as {} by
    // the writer but as itself by the reference, a difference only a corrupted row could show.
    boost::system::error_code ec;
    auto md = json::parse(p.metadata, ec);
    if (!ec && !md.is_object()) p.metadata = "{}";
  }
  p.connector = OptStr(in);
  p.connector_account_id = OptStr(in);
  p.psp_reference = OptStr(in);
  if (in.ConsumeBool()) {
    LastError e;
    e.code = in.ConsumeRandomLengthString(32);
    e.decline_code = in.ConsumeRandomLengthString(32);
    e.message = in.ConsumeRandomLengthString(64);
    p.last_error = e;
  }
  if (in.ConsumeBool()) p.next_action = NextAction{in.ConsumeRandomLengthString(24), OptStr(in)};
  p.created = in.ConsumeIntegral<int64_t>();
  const int attempts = in.ConsumeIntegralInRange<int>(0, 3);
  for (int i = 0; i < attempts; ++i) {
    Attempt a;
    a.id = in.ConsumeRandomLengthString(32);
    a.operation = static_cast<connectors::Operation>(in.ConsumeIntegralInRange<int>(0, 3));
    a.connector = in.ConsumeRandomLengthString(16);
    a.connector_account_id = in.ConsumeRandomLengthString(32);
    a.status = static_cast<AttemptStatus>(in.ConsumeIntegralInRange<int>(0, 3));
    a.amount = in.ConsumeIntegral<int64_t>();
    a.psp_reference = OptStr(in);
    a.decline_code = OptStr(in);
    a.error_code = OptStr(in);
    if (in.ConsumeBool()) a.latency_us = in.ConsumeIntegral<int64_t>();
    a.routing_reason = in.ConsumeRandomLengthString(16);
    a.created = in.ConsumeIntegral<int64_t>();
    p.attempts.push_back(a);
  }
  Check(PaymentBody(p), json::serialize(reference::ReferencePayment(p)));
  Check(PaymentEventObject(p), json::serialize(reference::ReferenceCore(p)));

  Refund r;
  r.id = in.ConsumeRandomLengthString(32);
  r.payment_id = p.id;
  r.mode = p.mode;
  r.amount = Money{in.ConsumeIntegral<int64_t>(), p.amount.currency};
  r.status = static_cast<RefundStatus>(in.ConsumeIntegralInRange<int>(0, 2));
  r.reason = OptStr(in);
  r.psp_reference = OptStr(in);
  r.failure_code = OptStr(in);
  r.created = in.ConsumeIntegral<int64_t>();
  Check(RefundBody(r), json::serialize(reference::ReferenceRefund(r)));

  const std::string url = in.ConsumeRandomLengthString(32);
  const bool more = in.ConsumeBool();
  Check(RenderTextList({PaymentBody(p), RefundBody(r)}, more, url),
        RenderList(json::array{reference::ReferencePayment(p), reference::ReferenceRefund(r)}, more,
                   url));
  return 0;
}
