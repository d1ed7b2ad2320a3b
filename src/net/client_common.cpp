#include "net/client_common.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <cctype>

namespace lp::net::client_internal {

namespace {

// RFC 9110 token characters.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Error Fail(std::string code, std::string message, std::string detail) {
  return Error{ErrorType::kUnavailable, std::move(code), std::move(message), {}, std::move(detail)};
}

Result<void> ExpectPeer(ssl_st* ssl, const std::string& host, bool host_is_ip) {
  if (host_is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return Error::Internal("X509_VERIFY_PARAM_set1_ip_asc failed");
    }
    return {};
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1) {
    return Error::Internal("SSL_set1_host failed");
  }
  return {};
}

Result<bool> CheckRequestHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::span<const std::string_view> reserved) {
  bool idempotent = false;
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.size() > 256 || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return Error::Invalid("header_invalid", "A request header name is invalid.", "headers");
    }
    for (auto r : reserved) {
      if (EqualsNoCase(name, r)) {
        return Error::Invalid("header_invalid", "The header " + name + " is set by the client.",
                              "headers");
      }
    }
    if (value.size() > 8192 || !std::all_of(value.begin(), value.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return u == '\t' || (u >= 0x20 && u != 0x7F);
        })) {
      return Error::Invalid("header_invalid", "The value of header " + name + " is invalid.",
                            "headers");
    }
    if (EqualsNoCase(name, "idempotency-key") && !value.empty()) idempotent = true;
  }
  return idempotent;
}

std::string ConfigureClientTls(boost::asio::ssl::context& ctx, const std::string& trusted_ca_pem) {
  namespace ssl = boost::asio::ssl;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::no_compression | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (!trusted_ca_pem.empty()) {
    ctx.add_certificate_authority(boost::asio::buffer(trusted_ca_pem), ec);
  } else {
    ctx.set_default_verify_paths(ec);
  }
  if (ec) return "cannot load the TLS trust store: " + ec.message();
  return {};
}

}  // namespace lp::net::client_internal
