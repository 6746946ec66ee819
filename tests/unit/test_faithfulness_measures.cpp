// Faithfulness measures on a model whose true relevance is known: a linear model S_0(x) = sum w x
// (class 1's logit is 0), where removing a set of pixels with the zero replacement lowers S_0 by
// exactly their w * x. So the perfect attribution w * x must give the largest MoRF AOPC of all
// orderings, its LeRF AOPC and its reverse's MoRF AOPC coincide, and every curve has a closed form.
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "attribution/registry.h"
#include "core/rng.h"
#include "faithfulness/curves.h"
#include "faithfulness/faithfulness.h"
#include "faithfulness/regions.h"
#include "models/builtin.h"
#include "models/layers.h"
#include "test_util.h"

using namespace sanity;

namespace {

constexpr int64_t kSide = 6;  // 6 x 6 images, 2 x 2 regions: 9 regions of equal size

struct LinearModel {
  Graph graph;
  Tensor w;  // [1, H, W] weights of class 0
};

LinearModel linear_model(uint64_t seed) {
  at::Generator gen = make_generator(seed);
  LinearModel m;
  m.w = torch::randn({1, kSide, kSide}, gen);
  Tensor weight = torch::zeros({2, kSide * kSide});
  weight[0] = m.w.reshape({-1});
  m.graph.add_input({"input", {1, kSide, kSide}});
  const int flat = m.graph.add("flatten", std::make_unique<Flatten>(1), {0});
  m.graph.set_output(m.graph.add("fc", std::make_unique<Linear>(weight, torch::zeros({2})), {flat}));
  return m;
}

Tensor images(int64_t n, uint64_t seed) {
  at::Generator gen = make_generator(seed);
  return torch::rand({n, 1, kSide, kSide}, gen);
}

FaithfulnessOptions exact_options(int64_t patch = 2) {
  FaithfulnessOptions o;
  o.pixel_flipping.patch = patch;
  o.pixel_flipping.replacement = "zero";
  o.pixel_flipping.score = "logit";
  o.insertion_deletion.pixels_per_step = 4;
  o.insertion_deletion.deletion_baseline = "zero";
  o.insertion_deletion.insertion_baseline = "zero";
  return o;
}

// AOPC of removing regions in the given order, by hand: 1/(L+1) sum_k sum_{j<k} R_{order_j}.
double aopc_by_hand(const std::vector<double>& region_relevance_in_order) {
  double sum = 0, removed = 0;
  const size_t L = region_relevance_in_order.size();
  for (size_t k = 0; k <= L; ++k) {
    sum += removed;  // S(x) - S(x^(k)) = relevance removed so far
    if (k < L) removed += region_relevance_in_order[k];
  }
  return sum / double(L + 1);
}

std::vector<double> to_vector(const Tensor& t) {
  Tensor c = t.to(torch::kFloat64).contiguous().reshape({-1});
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

FaithfulnessResult evaluate(const Graph& g, const Tensor& x, const Tensor& maps, const FaithfulnessOptions& o,
                            int64_t batch = 256, uint64_t seed = 0, Tensor ids = {}) {
  if (!ids.defined()) ids = torch::arange(x.size(0));
  return evaluate_faithfulness(g, x, maps, MapKind::Relevance, torch::zeros({x.size(0)}, torch::kInt64), ids, o, batch, seed);
}

}  // namespace

TEST(FaithfulnessRegions, TilesRowMajorWithShortBorderRegions) {
  EXPECT_EQ(region_count(28, 28, 9), 16);
  const Tensor idx = region_index(28, 28, 9);
  EXPECT_EQ(idx[0][0].item<int64_t>(), 0);
  EXPECT_EQ(idx[8][8].item<int64_t>(), 0);
  EXPECT_EQ(idx[0][9].item<int64_t>(), 1);
  EXPECT_EQ(idx[0][27].item<int64_t>(), 3);   // the 1-pixel-wide last column of regions
  EXPECT_EQ(idx[27][27].item<int64_t>(), 15);
  EXPECT_EQ(idx[9][0].item<int64_t>(), 4);
  // Region sums over pixels and channels; single-pixel regions are the pixels.
  Tensor a = torch::ones({1, 2, 28, 28});
  const Tensor s = region_scores(a, 9);
  EXPECT_DOUBLE_EQ(s[0][0].item<double>(), 2 * 81.0);
  EXPECT_DOUBLE_EQ(s[0][3].item<double>(), 2 * 9.0);
  EXPECT_DOUBLE_EQ(s[0][15].item<double>(), 2 * 1.0);
  const Tensor r = torch::rand({2, 1, 5, 7});
  EXPECT_TRUE(torch::allclose(region_scores(r, 1), r.reshape({2, 35}).to(torch::kFloat64)));
  // Orders: MoRF largest first, LeRF smallest first, ties in raster order for both.
  const Tensor scores = torch::tensor({{3.0, 1.0, 3.0, -2.0}}, torch::kFloat64);
  EXPECT_EQ(to_vector(region_ranks(scores, PerturbationOrder::MoRF)), (std::vector<double>{0, 2, 1, 3}));
  EXPECT_EQ(to_vector(region_ranks(scores, PerturbationOrder::LeRF)), (std::vector<double>{2, 1, 3, 0}));
}

TEST(FaithfulnessLinear, PerfectAttributionHasTheLargestMorfAopc) {
  const LinearModel m = linear_model(1);
  const Tensor x = images(8, 2);
  const Tensor relevance = m.w.unsqueeze(0) * x;  // the true relevance of class 0
  const FaithfulnessOptions o = exact_options();
  const FaithfulnessResult perfect = evaluate(m.graph, x, relevance, o);
  const FaithfulnessResult reversed = evaluate(m.graph, x, -relevance, o);

  for (int64_t i = 0; i < x.size(0); ++i) {
    // The closed form: regions removed in descending order of their summed relevance.
    std::vector<double> regions = to_vector(region_scores(relevance.narrow(0, i, 1), 2));
    std::sort(regions.rbegin(), regions.rend());
    EXPECT_NEAR(perfect.pixel_flipping.aopc_morf[i].item<double>(), aopc_by_hand(regions), 1e-5);
    std::reverse(regions.begin(), regions.end());
    EXPECT_NEAR(perfect.pixel_flipping.aopc_lerf[i].item<double>(), aopc_by_hand(regions), 1e-5);
    // The logit curve starts at S(x) and ends at the bias (0) once every region is zero.
    const double s = (m.w * x[i]).sum().item<double>();
    EXPECT_NEAR(perfect.pixel_flipping.morf_logit[i][0].item<double>(), s, 1e-5);
    EXPECT_NEAR(perfect.pixel_flipping.morf_logit[i][9].item<double>(), 0.0, 1e-6);
    EXPECT_EQ(perfect.pixel_flipping.morf_logit.size(1), 10);
    // Probability = sigmoid(logit) with class 1's logit 0.
    EXPECT_TRUE(torch::allclose(perfect.pixel_flipping.morf_prob, torch::sigmoid(perfect.pixel_flipping.morf_logit),
                                1e-6, 1e-6));
  }
  // LeRF reverses MoRF: the reversed map's MoRF is the perfect map's LeRF, and vice versa.
  EXPECT_TRUE(torch::allclose(reversed.pixel_flipping.aopc_morf, perfect.pixel_flipping.aopc_lerf, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(reversed.pixel_flipping.aopc_lerf, perfect.pixel_flipping.aopc_morf, 1e-6, 1e-6));
  EXPECT_TRUE((perfect.pixel_flipping.aopc_morf > perfect.pixel_flipping.aopc_lerf).all().item<bool>());
  EXPECT_TRUE(torch::allclose(perfect.pixel_flipping.aopc_gap,
                              perfect.pixel_flipping.aopc_morf - perfect.pixel_flipping.aopc_lerf));
  EXPECT_TRUE(torch::allclose(reversed.pixel_flipping.aopc_gap, -perfect.pixel_flipping.aopc_gap, 1e-6, 1e-6));
  // Ordered by |attribution|, a map and its negative are the same ordering.
  FaithfulnessOptions abs = o;
  abs.order = "absolute";
  const FaithfulnessResult ap = evaluate(m.graph, x, relevance, abs), an = evaluate(m.graph, x, -relevance, abs);
  EXPECT_TRUE(torch::equal(ap.pixel_flipping.morf_logit, an.pixel_flipping.morf_logit));
  EXPECT_TRUE(torch::equal(ap.insertion_deletion.deletion, an.insertion_deletion.deletion));
  EXPECT_TRUE(torch::allclose(ap.pixel_flipping.morf_logit, evaluate(m.graph, x, relevance.abs(), o).pixel_flipping.morf_logit));
  EXPECT_FALSE(torch::allclose(ap.pixel_flipping.morf_logit, perfect.pixel_flipping.morf_logit));

  // No ordering beats the perfect one, image by image; random orderings fall well short on average.
  at::Generator gen = make_generator(3);
  double random_mean = 0, random_gap = 0;
  for (int r = 0; r < 20; ++r) {
    const FaithfulnessResult rnd = evaluate(m.graph, x, torch::randn(x.sizes(), gen), o);
    EXPECT_TRUE((rnd.pixel_flipping.aopc_morf <= perfect.pixel_flipping.aopc_morf + 1e-6).all().item<bool>());
    EXPECT_TRUE((rnd.pixel_flipping.aopc_lerf >= perfect.pixel_flipping.aopc_lerf - 1e-6).all().item<bool>());
    EXPECT_TRUE((rnd.pixel_flipping.aopc_gap <= perfect.pixel_flipping.aopc_gap + 1e-6).all().item<bool>());
    random_mean += rnd.pixel_flipping.aopc_morf.mean().item<double>() / 20;
    random_gap += rnd.pixel_flipping.aopc_gap.mean().item<double>() / 20;
  }
  const double best = perfect.pixel_flipping.aopc_morf.mean().item<double>();
  const double worst = reversed.pixel_flipping.aopc_morf.mean().item<double>();
  EXPECT_GT(best, random_mean + 0.25 * (best - worst)) << best << " " << random_mean << " " << worst;
  EXPECT_GT(random_mean, worst + 0.25 * (best - worst));
  // Random maps keep an AOPC MoRF well above the worst ordering's but no gap: MoRF and LeRF are both
  // random orders. The gap is the measure on which an uninformative map scores ~0.
  const double best_gap = perfect.pixel_flipping.aopc_gap.mean().item<double>();
  EXPECT_LT(std::abs(random_gap), 0.1 * best_gap) << random_gap << " " << best_gap;

  // On the probability the perfect ordering still wins (sigmoid is monotone).
  FaithfulnessOptions p = o;
  p.pixel_flipping.score = "probability";
  const FaithfulnessResult pp = evaluate(m.graph, x, relevance, p), pr = evaluate(m.graph, x, -relevance, p);
  EXPECT_TRUE((pp.pixel_flipping.aopc_morf > pr.pixel_flipping.aopc_morf).all().item<bool>());
  EXPECT_TRUE(torch::allclose(pp.pixel_flipping.aopc_morf, aopc(pp.pixel_flipping.morf_prob)));
}

TEST(FaithfulnessOrder, AutoOrdersSensitivityMapsByMagnitudeAndRelevanceMapsBySign) {
  const LinearModel m = linear_model(2);
  const Tensor x = images(4, 3);
  const Tensor relevance = m.w.unsqueeze(0) * x;
  const auto morf = [&](const std::string& order, MapKind kind) {
    FaithfulnessOptions o = exact_options();
    o.order = order;
    return evaluate_faithfulness(m.graph, x, relevance, kind, torch::zeros({4}, torch::kInt64), torch::arange(4), o)
        .pixel_flipping.morf_logit;
  };
  const Tensor by_sign = morf("signed", MapKind::Relevance), by_size = morf("absolute", MapKind::Relevance);
  ASSERT_FALSE(torch::allclose(by_sign, by_size));  // w * x has both signs: the two orders differ
  EXPECT_TRUE(torch::equal(morf("auto", MapKind::Relevance), by_sign));
  EXPECT_TRUE(torch::equal(morf("auto", MapKind::Sensitivity), by_size));
  EXPECT_TRUE(torch::equal(morf("signed", MapKind::Sensitivity), by_sign));
  EXPECT_TRUE(orders_by_magnitude(FaithfulnessOptions{}, MapKind::Sensitivity));
  EXPECT_FALSE(orders_by_magnitude(FaithfulnessOptions{}, MapKind::Relevance));

  // What each method's sign means: a direction for the gradient's relatives, evidence for the rest.
  for (const char* name : {"gradient", "guided_backprop", "deconvnet", "guided_gradcam", "rectgrad", "pattern_net",
                           "smoothgrad(gradient)", "smoothgrad(guided_backprop)"})
    EXPECT_EQ(MethodRegistry::instance().make(name)->map_kind(), MapKind::Sensitivity) << name;
  for (const char* name : {"gradient_x_input", "integrated_gradients", "gradcam", "deeplift", "lrp_epsilon", "lrp_zplus",
                           "deep_taylor", "pattern_attribution", "excitation_backprop", "smoothgrad(lrp_z)", "noise",
                           "sobel", "constant"})
    EXPECT_EQ(MethodRegistry::instance().make(name)->map_kind(), MapKind::Relevance) << name;
}

TEST(FaithfulnessRegions, ShortBorderRegionsCompeteByTheirMeanNotTheirSize) {
  // 28 x 28 in 9 x 9 patches: nine full patches, six 9x1 / 1x9 strips and one pixel. A strip whose
  // pixels are larger than a patch's comes first, though its sum is smaller.
  Tensor a = torch::ones({1, 1, 28, 28});
  a.narrow(3, 27, 1).fill_(2);  // the right-hand column: regions 3, 7, 11 (strips) and 15 (the pixel)
  const Tensor ranks = pixel_ranks(a, 9, PerturbationOrder::MoRF);
  EXPECT_EQ(ranks[0][0][0][27].item<int64_t>(), 0);
  EXPECT_EQ(ranks[0][0][27][27].item<int64_t>(), 3);
  EXPECT_EQ(ranks[0][0][0][0].item<int64_t>(), 4);
  EXPECT_EQ(to_vector(region_sizes(28, 28, 9)),
            (std::vector<double>{81, 81, 81, 9, 81, 81, 81, 9, 81, 81, 81, 9, 9, 9, 9, 1}));
  // So an uninformative map of magnitudes (i.i.d. uniform: symmetric) gives the full patches no head
  // start: over many maps their mean MoRF position is the middle, 7.5 (by sums: about 4).
  at::Generator gen = make_generator(21);
  const Tensor maps = torch::rand({400, 1, 28, 28}, gen);
  const Tensor full = region_sizes(28, 28, 9) == 81;
  const auto mean_position_of_full = [&](const Tensor& scores) {
    const Tensor positions = region_ranks(scores, PerturbationOrder::MoRF);
    return positions.index({torch::indexing::Slice(), full}).to(torch::kFloat64).mean().item<double>();
  };
  EXPECT_NEAR(mean_position_of_full(region_scores(maps, 9) / region_sizes(28, 28, 9)), 7.5, 0.3);
  EXPECT_LT(mean_position_of_full(region_scores(maps, 9)), 4.5);
  // pixel_ranks orders by the same per-pixel means.
  const Tensor three = maps.narrow(0, 0, 3);
  const Tensor expected = region_ranks(region_scores(three, 9) / region_sizes(28, 28, 9), PerturbationOrder::MoRF)
                              .gather(1, region_index(28, 28, 9).reshape({1, -1}).expand({3, 784}));
  EXPECT_TRUE(torch::equal(pixel_ranks(three, 9, PerturbationOrder::MoRF).reshape({3, -1}), expected));
}

TEST(FaithfulnessLinear, ConstantAttributionPerturbsInRasterOrder) {
  // A constant map ties every (equal-size) region: MoRF and LeRF both take the regions row by row, so
  // both AOPCs equal the hand-computed raster-order value, whatever the constant.
  const LinearModel m = linear_model(4);
  const Tensor x = images(5, 5);
  const Tensor relevance = m.w.unsqueeze(0) * x;
  const Tensor maps = MethodRegistry::instance().make("constant")->attribute(
      AttributionContext{m.graph, 64, 0, torch::arange(5), nullptr}, x, torch::zeros({5}, torch::kInt64));
  for (int patch : {2, 3}) {
    const FaithfulnessResult r = evaluate(m.graph, x, maps, exact_options(patch));
    for (int64_t i = 0; i < x.size(0); ++i) {
      const double expected = aopc_by_hand(to_vector(region_scores(relevance.narrow(0, i, 1), patch)));
      EXPECT_NEAR(r.pixel_flipping.aopc_morf[i].item<double>(), expected, 1e-5);
      EXPECT_NEAR(r.pixel_flipping.aopc_lerf[i].item<double>(), expected, 1e-5);
    }
  }
}

TEST(FaithfulnessLinear, InsertionAndDeletionCurvesHaveTheirClosedForm) {
  const LinearModel m = linear_model(6);
  const Tensor x = images(4, 7);
  const Tensor relevance = m.w.unsqueeze(0) * x;
  const FaithfulnessOptions o = exact_options();  // 4 pixels per step: 9 steps, zero baselines
  const FaithfulnessResult perfect = evaluate(m.graph, x, relevance, o), reversed = evaluate(m.graph, x, -relevance, o);
  for (int64_t i = 0; i < x.size(0); ++i) {
    std::vector<double> px = to_vector(relevance[i]);
    std::sort(px.rbegin(), px.rend());
    const double s = std::accumulate(px.begin(), px.end(), 0.0);
    std::vector<double> del, ins;
    double removed = 0;
    for (size_t k = 0; k <= 9; ++k) {
      del.push_back(1 / (1 + std::exp(-(s - removed))));
      ins.push_back(1 / (1 + std::exp(-removed)));
      for (size_t p = 4 * k; p < std::min<size_t>(4 * k + 4, 36); ++p) removed += px[p];
    }
    const auto trapezoid = [](const std::vector<double>& c) {
      return (std::accumulate(c.begin(), c.end(), 0.0) - (c.front() + c.back()) / 2) / double(c.size() - 1);
    };
    EXPECT_NEAR(perfect.insertion_deletion.deletion_auc[i].item<double>(), trapezoid(del), 1e-5);
    EXPECT_NEAR(perfect.insertion_deletion.insertion_auc[i].item<double>(), trapezoid(ins), 1e-5);
    EXPECT_NEAR(perfect.insertion_deletion.deletion[i][3].item<double>(), del[3], 1e-5);
  }
  EXPECT_TRUE((perfect.insertion_deletion.deletion_auc < reversed.insertion_deletion.deletion_auc).all().item<bool>());
  EXPECT_TRUE((perfect.insertion_deletion.insertion_auc > reversed.insertion_deletion.insertion_auc).all().item<bool>());
  // Area of a known curve: a line from 1 to 0 has area 1/2; a constant 1 has area 1.
  EXPECT_NEAR(area_under_curve(torch::linspace(1, 0, 11, torch::kFloat64).view({1, -1}))[0].item<double>(), 0.5, 1e-9);
  EXPECT_NEAR(area_under_curve(torch::ones({1, 5}))[0].item<double>(), 1.0, 1e-12);
}

TEST(FaithfulnessBatching, BatchedEqualsPerImageAndSeedsReproduce) {
  // The MNIST CNN with its default protocol (uniform noise, 9x9 regions, blur insertion).
  const Graph g = build_cnn(11);
  at::Generator gen = make_generator(12);
  const Tensor x = torch::rand({5, 1, 28, 28}, gen), maps = torch::randn({5, 1, 28, 28}, gen);
  const Tensor ids = torch::tensor({40, 3, 17, 8, 25}, torch::kInt64);
  const FaithfulnessOptions o;
  const FaithfulnessResult all = evaluate(g, x, maps, o, 7, 99, ids);  // chunks of 7 cut across images
  EXPECT_EQ(all.pixel_flipping.morf_prob.size(1), 17);  // 16 regions + the unperturbed image
  EXPECT_EQ(all.insertion_deletion.insertion.size(1), 29);  // 28 pixels per step + the start
  for (int64_t i = 0; i < 5; ++i) {
    const FaithfulnessResult one = evaluate(g, x.narrow(0, i, 1), maps.narrow(0, i, 1), o, 1000, 99, ids.narrow(0, i, 1));
    EXPECT_TRUE(torch::allclose(one.pixel_flipping.morf_logit[0], all.pixel_flipping.morf_logit[i], 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(one.pixel_flipping.lerf_prob[0], all.pixel_flipping.lerf_prob[i], 1e-5, 1e-5));
    EXPECT_NEAR(one.pixel_flipping.aopc_morf[0].item<double>(), all.pixel_flipping.aopc_morf[i].item<double>(), 1e-5);
    EXPECT_NEAR(one.insertion_deletion.insertion_auc[0].item<double>(),
                all.insertion_deletion.insertion_auc[i].item<double>(), 1e-5);
    EXPECT_NEAR(one.insertion_deletion.deletion_auc[0].item<double>(),
                all.insertion_deletion.deletion_auc[i].item<double>(), 1e-5);
  }
  const FaithfulnessResult again = evaluate(g, x, maps, o, 7, 99, ids);
  EXPECT_TRUE(torch::equal(again.pixel_flipping.morf_logit, all.pixel_flipping.morf_logit));
  EXPECT_TRUE(torch::equal(again.insertion_deletion.deletion, all.insertion_deletion.deletion));
  // The uniform noise comes from the seed: another seed, other curves (after step 0).
  const FaithfulnessResult other = evaluate(g, x, maps, o, 7, 100, ids);
  EXPECT_TRUE(torch::equal(other.pixel_flipping.morf_logit.select(1, 0), all.pixel_flipping.morf_logit.select(1, 0)));
  EXPECT_FALSE(torch::allclose(other.pixel_flipping.morf_logit, all.pixel_flipping.morf_logit));
}

TEST(FaithfulnessOptions, BadOptionsNameTheOption) {
  const LinearModel m = linear_model(1);
  const Tensor x = images(1, 1);
  auto with = [&](auto edit) {
    FaithfulnessOptions o;
    edit(o);
    return [&m, &x, o] { evaluate(m.graph, x, x, o); };
  };
  test::expect_input_error(with([](FaithfulnessOptions& o) { o.pixel_flipping.patch = 0; }), "patch");
  test::expect_input_error(with([](FaithfulnessOptions& o) { o.order = "rank"; }),
                           "faithfulness option order: expected auto, signed or absolute, got \"rank\"");
  test::expect_input_error(with([](FaithfulnessOptions& o) { o.pixel_flipping.replacement = "gaussian"; }),
                           "option pixel_flipping.replacement: expected uniform, zero, mean or blur, got \"gaussian\"");
  test::expect_input_error(with([](FaithfulnessOptions& o) { o.pixel_flipping.score = "loss"; }), "score");
  test::expect_input_error(with([](FaithfulnessOptions& o) { o.pixel_flipping.steps = -1; }), "steps");
  test::expect_input_error(with([](FaithfulnessOptions& o) { o.insertion_deletion.insertion_baseline = "black"; }),
                           "insertion_baseline");
  test::expect_input_error(with([](FaithfulnessOptions& o) { o.insertion_deletion.pixels_per_step = -3; }),
                           "pixels_per_step");
  test::expect_input_error([&] { evaluate(m.graph, x, x.narrow(3, 0, 3), FaithfulnessOptions{}); }, "shape");
  // steps caps the curve: 3 regions replaced, 4 points.
  FaithfulnessOptions o = exact_options();
  o.pixel_flipping.steps = 3;
  EXPECT_EQ(evaluate(m.graph, x, x, o).pixel_flipping.morf_prob.size(1), 4);
}
