// The model-free baselines: Sobel edges (hand-computed values; scipy in test_attribution_reference),
// i.i.d. noise with no pixel-wise covariance, constant maps. And heatmap rendering.
#include <torch/torch.h>

#include <opencv2/imgcodecs.hpp>

#include "attribution/baselines.h"
#include "attribution/heatmap.h"
#include "attribution/registry.h"
#include "models/builtin.h"
#include "test_util.h"

using namespace sanity;

namespace {

Tensor explain(const std::string& spec, const Tensor& x, const Tensor& ids, uint64_t seed = 0) {
  static Graph g = build_cnn(0);
  AttributionContext ctx{g, 64, seed, ids, nullptr};
  return MethodRegistry::instance().make(spec)->attribute(ctx, x, torch::zeros({x.size(0)}, torch::kInt64));
}

}  // namespace

TEST(Baselines, SobelOfAVerticalStepEdge) {
  // Left half 0, right half 1: gx = [1 2 1] smoothing x (right - left) = 4 in the two columns beside
  // the step, 0 elsewhere (replicated borders keep the image border flat); gy = 0.
  Tensor x = torch::zeros({1, 1, 6, 8});
  x.narrow(3, 4, 4).fill_(1.0);
  const Tensor s = sobel_magnitude(x);
  Tensor expected = torch::zeros_like(x);
  expected.narrow(3, 3, 2).fill_(4.0);
  EXPECT_TRUE(torch::allclose(s, expected)) << s;
  // A diagonal ramp x + y: gx = gy = 8 inside, magnitude 8 sqrt(2).
  Tensor ramp = (torch::arange(7).view({1, 7}) + torch::arange(7).view({7, 1})).to(torch::kFloat32).view({1, 1, 7, 7});
  EXPECT_NEAR(sobel_magnitude(ramp)[0][0][3][3].item<double>(), 8 * std::sqrt(2.0), 1e-5);
  // Per channel, and through the registry.
  Tensor rgb = torch::cat({x, 2 * x, torch::zeros_like(x)}, 1);
  const Tensor mnist = torch::rand({2, 1, 28, 28});
  EXPECT_TRUE(torch::equal(explain("sobel", mnist, torch::arange(2)), sobel_magnitude(mnist)));
  const Tensor sr = sobel_magnitude(rgb);
  EXPECT_TRUE(torch::allclose(sr[0][1], 2 * sr[0][0]));
  EXPECT_EQ(sr[0][2].abs().max().item<double>(), 0.0);
}

TEST(Baselines, NoiseHasIndependentPixelsAndIsReproducible) {
  const Tensor x = torch::rand({64, 1, 28, 28});
  const Tensor ids = torch::arange(100, 164);
  const Tensor n = explain("noise", x, ids, 4);
  EXPECT_NEAR(n.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(n.std().item<double>(), 1.0, 0.01);
  // Zero pixel-wise covariance: neighbouring pixels, and the same pixel across images, are uncorrelated.
  EXPECT_LT(std::abs(test::pearson(n.narrow(3, 0, 27), n.narrow(3, 1, 27))), 0.02);
  EXPECT_LT(std::abs(test::pearson(n.narrow(0, 0, 63), n.narrow(0, 1, 63))), 0.02);
  // Keyed by (seed, image id): the same id gives the same map whatever else is in the batch.
  EXPECT_TRUE(torch::equal(explain("noise", x.narrow(0, 5, 1), ids.narrow(0, 5, 1), 4)[0], n[5]));
  EXPECT_FALSE(torch::equal(explain("noise", x, ids, 5), n));
  const Tensor u = explain("noise(distribution=uniform)", x, ids, 4);
  EXPECT_GE(u.min().item<double>(), 0.0);
  EXPECT_LT(u.max().item<double>(), 1.0);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.01);
}

TEST(Baselines, ConstantMap) {
  const Tensor x = torch::rand({2, 1, 28, 28});
  EXPECT_TRUE(torch::equal(explain("constant", x, torch::arange(2)), torch::ones_like(x)));
  EXPECT_TRUE(torch::equal(explain("constant(value=-2.5)", x, torch::arange(2)), torch::full_like(x, -2.5)));
}

TEST(Heatmap, ColormapsAndSize) {
  // Signed: negative blue, zero white, positive red. Absolute: zero dark, the maximum bright.
  Tensor m = torch::zeros({1, 28, 28});
  m[0][0][0] = -1;
  m[0][0][1] = 1;
  HeatmapOptions o;
  o.signed_map = true;
  o.reduction = ChannelReduction::Sum;
  o.clip = 100;
  const Tensor rgb = render_heatmap(m, o);
  EXPECT_EQ(rgb.sizes(), (std::vector<int64_t>{224, 224, 3}));  // 28 x 8 (nearest)
  auto px = [&](const Tensor& img, int y, int x) {
    return std::vector<int>{img[y][x][0].item<int>(), img[y][x][1].item<int>(), img[y][x][2].item<int>()};
  };
  const auto neg = px(rgb, 3, 3), pos = px(rgb, 3, 11), zero = px(rgb, 100, 100);
  EXPECT_GT(neg[2], neg[0] + 100) << "negative is blue";
  EXPECT_GT(pos[0], pos[2] + 100) << "positive is red";
  EXPECT_GT(std::min({zero[0], zero[1], zero[2]}), 230) << "zero is white";
  o.signed_map = false;
  o.reduction = ChannelReduction::SumAbs;
  const Tensor abs = render_heatmap(m, o);
  const auto hot = px(abs, 3, 11), cold = px(abs, 100, 100);
  EXPECT_GT(hot[0] + hot[1] + hot[2], 3 * 200);
  EXPECT_LT(cold[0] + cold[1] + cold[2], 3 * 20);
  // A sparse map whose 99.5th percentile is 0 is shown unclipped rather than blank.
  o.clip = 99.5;
  EXPECT_EQ(px(render_heatmap(m, o), 3, 11), hot);
  // PNG round trip.
  const std::string path = test::temp_dir("heatmap") + "/m.png";
  write_png(path, abs);
  cv::Mat back = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.rows, 224);
  EXPECT_EQ(back.at<cv::Vec3b>(3, 11)[2], abs[3][11][0].item<int>());  // BGR on disk
}
