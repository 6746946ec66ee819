// Every LRP preset, Excitation Backprop and RectGrad on a small CNN (biases, a BatchNorm after a
// conv, a standalone BatchNorm, max and average pooling, a residual sum, a concat) against an
// independent PyTorch reference built from autograd hooks (tests/reference/lrp_reference.py).
#include "attribution/registry.h"
#include "models/model_io.h"
#include "test_util.h"

using namespace sanity;

namespace {

struct Net {
  Graph graph;
  Tensor x, targets;
};

Net load_net() {
  Net n{load_onnx(test::ref_path("lrp_net.onnx")), test::load_ref("lrp_net_input.npy"),
        test::load_ref("lrp_net_targets.npy")};
  return n;
}

}  // namespace

TEST(LrpReference, ImportedNetMatchesPythonLogitsAndKeepsItsBatchNorms) {
  Net n = load_net();
  EXPECT_LT(test::max_rel_error(n.graph.forward(n.x), test::load_ref("lrp_net_logits.npy")), 1e-5);
  int batchnorms = 0;
  for (const auto& node : n.graph.nodes()) batchnorms += node.layer->kind() == LayerKind::BatchNorm;
  EXPECT_EQ(batchnorms, 2) << "the reference exports BatchNorm nodes so that canonization is exercised";
}

TEST(LrpReference, EveryPresetMatchesTheAutogradHookReference) {
  Net n = load_net();
  const Tensor params_before = n.graph.layer(1).params()[0].value.clone();
  for (const char* name : {"lrp_z", "lrp_epsilon", "lrp_zplus", "lrp_epsilon_plus_flat", "lrp_epsilon_gamma_box",
                           "lrp_alpha1beta0", "lrp_alpha2beta1", "lrp_epsilon_alpha2beta1", "deep_taylor", "excitation_backprop",
                           "rectgrad"}) {
    MethodPtr m = MethodRegistry::instance().make(name);
    const Tensor got = m->attribute({n.graph}, n.x, n.targets);
    const Tensor want = test::load_ref(std::string("lrp_net_") + name + ".npy");
    ASSERT_EQ(got.sizes(), want.sizes()) << name;
    EXPECT_GE(test::pearson(got, want), 0.999) << name;
    EXPECT_LT(test::max_rel_error(got, want), 2e-3) << name;
    EXPECT_GT(want.abs().sum().item<double>(), 0.0) << name;
  }
  // Canonization works on a view: the model's own parameters are untouched.
  EXPECT_TRUE(torch::equal(n.graph.layer(1).params()[0].value, params_before));
}

TEST(LrpReference, ExplainingInOneBatchOrImageByImageGivesTheSameMaps) {
  Net n = load_net();
  MethodPtr m = MethodRegistry::instance().make("lrp_epsilon_gamma_box");
  const Tensor all = m->attribute({n.graph, 64}, n.x, n.targets);
  const Tensor one = m->attribute({n.graph, 1}, n.x, n.targets);
  EXPECT_LT(test::max_rel_error(one, all), 1e-5);
}
