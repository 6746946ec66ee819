// Test-bed selection: reproducible from the seed, balanced across classes, all images when asked
// for more than there are.
#include "core/error.h"
#include "data/testbed.h"
#include "test_util.h"

using namespace sanity;

namespace {

// n images whose pixel value is their index; class sizes as given (labels in blocks).
Dataset make_dataset(const std::vector<int64_t>& class_sizes) {
  std::vector<int64_t> labels;
  for (size_t c = 0; c < class_sizes.size(); ++c) labels.insert(labels.end(), class_sizes[c], static_cast<int64_t>(c));
  const int64_t n = static_cast<int64_t>(labels.size());
  Dataset d;
  d.name = "toy";
  d.images = torch::arange(n, torch::kFloat32).view({n, 1, 1, 1});
  d.labels = torch::tensor(labels, torch::kInt64);
  return d;
}

}  // namespace

TEST(TestBed, SameSeedSameImagesOtherSeedOthers) {
  Dataset d = make_dataset({100, 100, 100});
  TestBedOptions o;
  o.count = 20;
  o.seed = 5;
  torch::Tensor a = select_testbed(d, o), b = select_testbed(d, o);
  EXPECT_TRUE(torch::equal(a, b));
  ASSERT_EQ(a.size(0), 20);
  EXPECT_EQ(std::get<0>(at::_unique(a)).size(0), 20);  // no duplicates
  EXPECT_TRUE(torch::equal(a, std::get<0>(a.sort())));  // ascending, so results keep the data's order
  EXPECT_GE(a.min().item<int64_t>(), 0);
  EXPECT_LT(a.max().item<int64_t>(), 300);
  o.seed = 6;
  EXPECT_FALSE(torch::equal(a, select_testbed(d, o)));
  // make_testbed returns exactly those images, and their ids.
  torch::Tensor ids;
  o.seed = 5;
  Dataset t = make_testbed(d, o, &ids);
  EXPECT_TRUE(torch::equal(ids, a));
  EXPECT_TRUE(torch::equal(t.images.view({-1}).to(torch::kInt64), a));
  EXPECT_TRUE(torch::equal(t.labels, d.labels.index_select(0, a)));
}

TEST(TestBed, BalancedGivesEqualClassCounts) {
  Dataset d = make_dataset({50, 13, 200, 31, 77});
  TestBedOptions o;
  o.count = 50;
  o.balanced = true;
  for (uint64_t seed : {0, 1, 2}) {
    o.seed = seed;
    Dataset t = make_testbed(d, o);
    ASSERT_EQ(t.size(), 50);
    EXPECT_TRUE(torch::equal(t.labels.bincount(), torch::full({5}, 10, torch::kInt64))) << t.labels.bincount();
  }
  // A class smaller than its share gives all it has; the rest comes from the other classes in turn.
  o.count = 70;
  Dataset t = make_testbed(d, o);
  EXPECT_TRUE(torch::equal(t.labels.bincount(), torch::tensor({15, 13, 14, 14, 14}))) << t.labels.bincount();
}

TEST(TestBed, CountLargerThanDataOrZeroGivesEverything) {
  Dataset d = make_dataset({3, 4});
  for (int64_t count : {7, 8, 1000, 0, -1}) {
    TestBedOptions o;
    o.count = count;
    o.seed = 9;
    EXPECT_TRUE(torch::equal(select_testbed(d, o), torch::arange(7, torch::kInt64))) << count;
  }
}

TEST(TestBed, BalancedNeedsLabels) {
  Dataset d = make_dataset({10, 10});
  d.labels[3] = -1;
  TestBedOptions o;
  o.count = 4;
  o.balanced = true;
  EXPECT_THROW(select_testbed(d, o), InputError);
}
