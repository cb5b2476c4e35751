#include "x509/key_check.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <string>
#include <vector>

namespace ctdl::x509 {
namespace {

// The on-curve check (Montgomery arithmetic) against OpenSSL's own point decoding, on every curve it
// covers: real keys pass, a changed coordinate fails exactly when OpenSSL refuses the point too.
TEST(KeyCheck, UncompressedPointsAgreeWithOpenSsl) {
  const std::string kEc = "\x2a\x86\x48\xce\x3d\x02\x01";
  struct C {
    int nid;
    std::string params;
  };
  const std::vector<C> curves = {
      {NID_X9_62_prime256v1, std::string("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10)},
      {NID_secp384r1, std::string("\x06\x05\x2b\x81\x04\x00\x22", 7)},
      {NID_secp521r1, std::string("\x06\x05\x2b\x81\x04\x00\x23", 7)},
      {NID_secp256k1, std::string("\x06\x05\x2b\x81\x04\x00\x0a", 7)},
      {NID_secp224r1, std::string("\x06\x05\x2b\x81\x04\x00\x21", 7)},
      {NID_X9_62_prime192v1, std::string("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x01", 10)},
  };
  BN_CTX* ctx = BN_CTX_new();
  for (const C& c : curves) {
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

}  // namespace
}  // namespace ctdl::x509
