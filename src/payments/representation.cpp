#include "lp/payments/representation.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace lp::payments {

namespace json = boost::json;

namespace {

int64_t Seconds(int64_t micros) { return micros / 1'000'000; }

// Writes JSON text directly, byte for byte what boost::json::serialize gives for the same object
// (the same key order, no spaces, the same string escapes); test/core/render_test.cpp holds the
// two side by side. Payments are rendered on the store's writer thread, where building a
// json::object first and serializing it cost ~3x more.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void Begin() {
    out_ += '{';
    first_ = true;
  }
  void End() {
    out_ += '}';
    first_ = false;
  }
  // Keys are this file's string literals, plain identifiers that JSON never escapes.
  void Key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  void Str(std::string_view k, std::string_view v) {
    Key(k);
    String(v);
  }
  void Int(std::string_view k, int64_t v) {
    Key(k);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void Bool(std::string_view k, bool v) {
    Key(k);
    out_ += v ? "true" : "false";
  }
  void Null(std::string_view k) {
    Key(k);
    out_ += "null";
  }
  void Opt(std::string_view k, const std::optional<std::string>& v) {
    if (v) {
      Str(k, *v);
    } else {
      Null(k);
    }
  }
  // Text that is already JSON (a nested object or array).
  void Raw(std::string_view k, std::string_view json_text) {
    Key(k);
    out_ += json_text;
  }
  void Double(std::string_view k, double v) { Raw(k, json::serialize(json::value(v))); }

  void String(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    size_t run = 0;  // start of the pending unescaped run
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      out_ += '\\';
      switch (c) {
        case '"':
          out_ += '"';
          break;
        case '\\':
          out_ += '\\';
          break;
        case '\b':
          out_ += 'b';
          break;
        case '\t':
          out_ += 't';
          break;
        case '\n':
          out_ += 'n';
          break;
        case '\f':
          out_ += 'f';
          break;
        case '\r':
          out_ += 'r';
          break;
        default:
          out_ += "u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 15];
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_ += '"';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// The stored metadata is the serialized object (boost::json::serialize of the validated input),
// so it is written as it is; anything else is parsed and re-serialized, and what does not parse
// as an object is shown as {}.
void Metadata(Writer& w, const std::string& text) {
  if (text == "{}") {
    w.Raw("metadata", "{}");
    return;
  }
  boost::system::error_code ec;
  auto md = json::parse(text, ec);
  w.Raw("metadata", ec || !md.is_object() ? std::string("{}") : json::serialize(md));
}

void PaymentCore(Writer& w, const Payment& p) {
  w.Str("id", p.id);
  w.Str("object", "payment");
  w.Int("amount", p.amount.minor_units);
  w.Int("amount_capturable", p.amount_capturable);
  w.Int("amount_received", p.amount_received);
  w.Int("amount_refunded", p.amount_refunded);
  w.Str("currency", p.amount.currency.Code());
  w.Str("status", ToString(p.status));
  w.Str("capture_method", ToString(p.capture_method));
  if (p.payment_method && *p.payment_method == kSchemePaymentMethod) {
    w.Raw("payment_method", kSchemePaymentMethod);  // an Adyen card: its type only
  } else {
    w.Opt("payment_method", p.payment_method);
  }
  w.Opt("description", p.description);
  w.Opt("customer_country", p.customer_country);
  Metadata(w, p.metadata);
  w.Bool("livemode", p.mode == Mode::kLive);
  w.Opt("connector", p.connector);
  w.Opt("connector_account", p.connector_account_id);
  w.Opt("psp_reference", p.psp_reference);
  if (p.last_error) {
    w.Key("last_error");
    w.Begin();
    w.Str("code", p.last_error->code);
    if (p.last_error->decline_code.empty()) {
      w.Null("decline_code");
    } else {
      w.Str("decline_code", p.last_error->decline_code);
    }
    w.Str("message", p.last_error->message);
    w.End();
  } else {
    w.Null("last_error");
  }
  if (p.next_action) {
    w.Key("next_action");
    w.Begin();
    w.Str("type", p.next_action->type);
    w.Opt("redirect_url", p.next_action->redirect_url);
    w.End();
  } else {
    w.Null("next_action");
  }
  w.Int("created", Seconds(p.created));
}

void AttemptJson(Writer& w, const Attempt& a) {
  w.Begin();
  w.Str("id", a.id);
  w.Str("operation", connectors::ToString(a.operation));
  w.Str("connector", a.connector);
  w.Str("connector_account", a.connector_account_id);
  w.Str("status", ToString(a.status));
  w.Int("amount", a.amount);
  w.Opt("psp_reference", a.psp_reference);
  w.Opt("decline_code", a.decline_code);
  w.Opt("error_code", a.error_code);
  if (a.latency_us) {
    w.Double("latency_ms", static_cast<double>(*a.latency_us) / 1000.0);
  } else {
    w.Null("latency_ms");
  }
  w.Str("routing_reason", a.routing_reason);
  w.Int("created", Seconds(a.created));
  w.End();
}

}  // namespace

std::string PaymentBody(const Payment& p) {
  std::string out;
  out.reserve(640 + 360 * p.attempts.size());
  Writer w(out);
  w.Begin();
  PaymentCore(w, p);
  w.Key("attempts");
  out += '[';
  for (size_t i = 0; i < p.attempts.size(); ++i) {
    if (i) out += ',';
    Writer aw(out);
    AttemptJson(aw, p.attempts[i]);
  }
  out += ']';
  w.End();
  return out;
}

std::string PaymentEventObject(const Payment& p) {
  std::string out;
  out.reserve(600);
  Writer w(out);
  w.Begin();
  PaymentCore(w, p);
  w.End();
  return out;
}

std::string RefundBody(const Refund& r) {
  std::string out;
  out.reserve(320);
  Writer w(out);
  w.Begin();
  w.Str("id", r.id);
  w.Str("object", "refund");
  w.Str("payment", r.payment_id);
  w.Int("amount", r.amount.minor_units);
  w.Str("currency", r.amount.currency.Code());
  w.Str("status", ToString(r.status));
  w.Opt("reason", r.reason);
  w.Opt("psp_reference", r.psp_reference);
  w.Opt("failure_code", r.failure_code);
  w.Bool("livemode", r.mode == Mode::kLive);
  w.Int("created", Seconds(r.created));
  w.End();
  return out;
}

}  // namespace lp::payments
