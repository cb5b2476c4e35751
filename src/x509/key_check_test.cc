#include "x509/key_check.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ctdl::x509 {
namespace {

const std::string kEc = "\x2a\x86\x48\xce\x3d\x02\x01";  // id-ecPublicKey

struct Curve {
  int nid;
  std::string params;  // the namedCurve OID, DER
};

// The first n of: the three NIST curves of the Web PKI, then the others OpenSSL decodes.
std::vector<Curve> Curves(size_t n) {
  static const std::vector<Curve> all = {
      {NID_X9_62_prime256v1, std::string("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10)},
      {NID_secp384r1, std::string("\x06\x05\x2b\x81\x04\x00\x22", 7)},
      {NID_secp521r1, std::string("\x06\x05\x2b\x81\x04\x00\x23", 7)},
      {NID_secp256k1, std::string("\x06\x05\x2b\x81\x04\x00\x0a", 7)},
      {NID_secp224r1, std::string("\x06\x05\x2b\x81\x04\x00\x21", 7)},
      {NID_X9_62_prime192v1, std::string("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x01", 10)},
  };
  return {all.begin(), all.begin() + std::min(n, all.size())};
}

// The on-curve check (Montgomery arithmetic) against OpenSSL's own point decoding, on every curve it
// covers: real keys pass, a changed coordinate fails exactly when OpenSSL refuses the point too.
TEST(KeyCheck, UncompressedPointsAgreeWithOpenSsl) {
  const std::vector<Curve> curves = Curves(6);
  BN_CTX* ctx = BN_CTX_new();
  for (const Curve& c : curves) {
    EC_GROUP* g = EC_GROUP_new_by_curve_name(c.nid);
    ASSERT_NE(g, nullptr);
    EC_POINT* pt = EC_POINT_new(g);
    BIGNUM* k = BN_new();
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(BN_rand_range(k, EC_GROUP_get0_order(g)));
      ASSERT_TRUE(EC_POINT_mul(g, pt, k, nullptr, nullptr, ctx));
      std::string oct(EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, ctx), '\0');
      EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED,
                         reinterpret_cast<unsigned char*>(oct.data()), oct.size(), ctx);
      EXPECT_EQ(CheckPublicKey(kEc, c.params, std::string(1, '\0') + oct), nullptr) << c.nid << " " << i;
      for (size_t at : {oct.size() - 1, oct.size() / 2, size_t{1}}) {  // y, y's top, x
        std::string bad = oct;
        bad[at] ^= static_cast<char>(1 << (i % 8));
        EC_POINT* q = EC_POINT_new(g);
        bool openssl_ok = EC_POINT_oct2point(g, q, reinterpret_cast<const unsigned char*>(bad.data()),
                                             bad.size(), ctx) == 1;
        EC_POINT_free(q);
        const char* why = CheckPublicKey(kEc, c.params, std::string(1, '\0') + bad);
        EXPECT_EQ(why == nullptr, openssl_ok) << c.nid << " " << i << " " << at;
      }
    }
    BN_free(k);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
  }
  BN_CTX_free(ctx);
}

// Coordinates at the edges of the field: the negated point (x, p - y) is on the curve; y + p (where
// it still fits the field's bytes: P-521, 66 bytes for 521 bits) is the same residue but not a valid
// encoding (OpenSSL refuses coordinates >= p), and neither is x = p, y = 0 or all-ones bytes.
TEST(KeyCheck, CoordinatesAtTheFieldsEdges) {
  const std::vector<Curve> curves = Curves(3);
  BN_CTX* ctx = BN_CTX_new();
  int refused_overflow = 0;
  for (const Curve& c : curves) {
    EC_GROUP* g = EC_GROUP_new_by_curve_name(c.nid);
    ASSERT_NE(g, nullptr);
    BIGNUM *p = BN_new(), *k = BN_new(), *x = BN_new(), *y = BN_new(), *t = BN_new();
    ASSERT_TRUE(EC_GROUP_get_curve(g, p, nullptr, nullptr, ctx));
    const int n = BN_num_bytes(p);
    auto key = [&](const BIGNUM* kx, const BIGNUM* ky) {
      std::string s(size_t(2 + 2 * n), '\0');
      s[1] = 4;
      EXPECT_EQ(BN_bn2binpad(kx, reinterpret_cast<unsigned char*>(&s[2]), n), n);
      EXPECT_EQ(BN_bn2binpad(ky, reinterpret_cast<unsigned char*>(&s[2 + n]), n), n);
      return s;
    };
    EC_POINT* pt = EC_POINT_new(g);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(BN_rand_range(k, EC_GROUP_get0_order(g)));
      ASSERT_TRUE(EC_POINT_mul(g, pt, k, nullptr, nullptr, ctx));
      ASSERT_TRUE(EC_POINT_get_affine_coordinates(g, pt, x, y, ctx));
      EXPECT_EQ(CheckPublicKey(kEc, c.params, key(x, y)), nullptr) << c.nid;
      ASSERT_TRUE(BN_sub(t, p, y));
      EXPECT_EQ(CheckPublicKey(kEc, c.params, key(x, t)), nullptr) << c.nid << ": (x, p - y)";
      ASSERT_TRUE(BN_add(t, y, p));
      if (BN_num_bytes(t) <= n) {
        EXPECT_NE(CheckPublicKey(kEc, c.params, key(x, t)), nullptr) << c.nid << ": (x, y + p)";
        ++refused_overflow;
      }
      ASSERT_TRUE(BN_add(t, x, p));
      if (BN_num_bytes(t) <= n) {
        EXPECT_NE(CheckPublicKey(kEc, c.params, key(t, y)), nullptr) << c.nid << ": (x + p, y)";
      }
    }
    BN_zero(t);
    EXPECT_NE(CheckPublicKey(kEc, c.params, key(p, t)), nullptr) << c.nid << ": (p, 0)";
    std::string ones(size_t(2 + 2 * n), '\xff');
    ones[0] = 0;
    ones[1] = 4;
    EXPECT_NE(CheckPublicKey(kEc, c.params, ones), nullptr) << c.nid << ": all ones";
    for (BIGNUM* b : {p, k, x, y, t}) BN_free(b);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
  }
  EXPECT_GE(refused_overflow, 20);  // P-521's y + p always fits 66 bytes
  BN_CTX_free(ctx);
}

}  // namespace
}  // namespace ctdl::x509
