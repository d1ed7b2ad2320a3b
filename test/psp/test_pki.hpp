// A throwaway certificate authority for tests of outbound TLS (PSP client, fake PSPs): a CA, leaf
// certificates it signs (for the names a test chooses, valid or expired), and a self-signed
// certificate nobody trusts. Made with the OpenSSL API at run time; nothing is committed.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace lp::testing {

struct PemPair {
  std::string cert_pem;
  std::string key_pem;
};

namespace pki_detail {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;

inline void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

inline void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  Check(ext && X509_add_ext(cert, ext.get(), -1) == 1, "extension");
}

inline std::string ToPem(X509* c) {
  std::unique_ptr<BIO, Free> b(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(b.get(), c) == 1, "PEM cert");
  char* data = nullptr;
  const long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

inline std::string ToPem(EVP_PKEY* k) {
  std::unique_ptr<BIO, Free> b(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

inline Cert NewCert(EVP_PKEY* key, const std::string& cn, long not_before_s, long not_after_s,
                    long serial) {
  Cert c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), not_after_s);
  X509_set_pubkey(c.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return c;
}

}  // namespace pki_detail

class TestPki {
 public:
  TestPki() : ca_key_(EVP_EC_gen("P-256")) {
    using namespace pki_detail;
    Check(ca_key_ != nullptr, "CA key");
    ca_ = NewCert(ca_key_.get(), "LiasonPay test CA", -3600, 86400, 1);
    X509_set_issuer_name(ca_.get(), X509_get_subject_name(ca_.get()));
    AddExt(ca_.get(), ca_.get(), NID_basic_constraints, "critical,CA:TRUE");
    AddExt(ca_.get(), ca_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    AddExt(ca_.get(), ca_.get(), NID_subject_key_identifier, "hash");
    Check(X509_sign(ca_.get(), ca_key_.get(), EVP_sha256()) != 0, "CA sign");
  }

  std::string CaPem() const { return pki_detail::ToPem(ca_.get()); }

  // A server certificate signed by the CA. `san` in OpenSSL form, e.g.
  // "DNS:psp.test,IP:127.0.0.1". `expired` makes it valid only in the past.
  PemPair Issue(const std::string& san, bool expired = false) {
    using namespace pki_detail;
    Key key(EVP_EC_gen("P-256"));
    Check(key != nullptr, "leaf key");
    Cert c = expired ? NewCert(key.get(), "leaf", -7 * 86400, -86400, ++serial_)
                     : NewCert(key.get(), "leaf", -3600, 86400, ++serial_);
    X509_set_issuer_name(c.get(), X509_get_subject_name(ca_.get()));
    AddExt(c.get(), ca_.get(), NID_subject_alt_name, san.c_str());
    AddExt(c.get(), ca_.get(), NID_basic_constraints, "critical,CA:FALSE");
    AddExt(c.get(), ca_.get(), NID_ext_key_usage, "serverAuth");
    AddExt(c.get(), ca_.get(), NID_authority_key_identifier, "keyid:always");
    Check(X509_sign(c.get(), ca_key_.get(), EVP_sha256()) != 0, "leaf sign");
    return {ToPem(c.get()), ToPem(key.get())};
  }

  // A self-signed certificate for `san` that no test trusts.
  static PemPair SelfSigned(const std::string& san) {
    using namespace pki_detail;
    Key key(EVP_EC_gen("P-256"));
    Cert c = NewCert(key.get(), "self-signed", -3600, 86400, 7);
    X509_set_issuer_name(c.get(), X509_get_subject_name(c.get()));
    AddExt(c.get(), c.get(), NID_subject_alt_name, san.c_str());
    Check(X509_sign(c.get(), key.get(), EVP_sha256()) != 0, "self sign");
    return {ToPem(c.get()), ToPem(key.get())};
  }

 private:
  pki_detail::Key ca_key_;
  pki_detail::Cert ca_;
  long serial_ = 100;
};

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace lp::testing
