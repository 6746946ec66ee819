// Content keys (core/hash.h) are XXH3-128 of the bytes given, in order: the digests below are the
// xxhash package's (PyPI, xxh3_128_hexdigest), an implementation built apart from Debian's libxxhash.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/hash.h"

namespace sanity {
namespace {

TEST(ContentKeys, AreXxh3Of128BitsOverTheBytesInOrder) {
  EXPECT_EQ(ContentKey().digest().hex(), "99aa06d3014798d86001c324468d497f");  // no bytes
  EXPECT_EQ(ContentKey().add(std::string("abc")).digest().hex(), "e546386035ff6669f3ce9dbdecfb5a14");  // "abc\0"
  // A tensor: its dtype (int64 6, float32), its sizes, then its values in native (little-endian) order.
  const torch::Tensor t = torch::tensor({1.5f, -2.0f});
  EXPECT_EQ(ContentKey().add(t).digest().hex(), "06f0dfa89416353b39cfe17eee131483");
  EXPECT_EQ(ContentKey().add(t.to(torch::kFloat64)).digest(), ContentKey().add(t.to(torch::kFloat64)).digest());
  EXPECT_NE(ContentKey().add(t).digest(), ContentKey().add(t.to(torch::kFloat64)).digest());  // the dtype counts
  EXPECT_NE(ContentKey().add(t).digest(), ContentKey().add(t.reshape({2, 1})).digest());      // so does the shape
  // Strings carry their terminating zero, so where one ends is part of the key.
  EXPECT_NE(ContentKey().add("a").add("b").digest(), ContentKey().add("ab").add("").digest());
  EXPECT_EQ(ContentKey().add("ab").digest().hex(12).size(), 12u);
}

}  // namespace
}  // namespace sanity
