// Methods on transformers and branching CNNs against PyTorch references
// (tests/reference/transformer_reference.py): GradCAM by hooks on Inception v3 (Mixed_7c), DenseNet-121
// ViT-B/16 (last block's ln_1, patch tokens as 14x14) and Swin-T (last stage's grid); AttnLRP and CP-LRP (Gradient x Input through
// a rewritten forward) on ViT-B/16 and on the briefly trained built-in ViT; CP-LRP's conservation; the
// module groups randomization follows; Guided Backprop refused on GELU networks.
#include <torch/torch.h>

#include "attribution/gradcam.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "models/layers.h"
#include "models/model_io.h"
#include "randomization/stages.h"
#include "test_util.h"

using namespace sanity;

namespace {

Tensor load(const std::string& name) { return test::load_ref(name); }

Graph family(const std::string& name) { return load_onnx(test::ref_path("families/" + name + "_op20.onnx")); }

Tensor attribute(const Graph& g, const std::string& spec, const Tensor& x, const Tensor& targets) {
  AttributionContext ctx{g, 8};
  ctx.image_ids = torch::arange(x.size(0), torch::kInt64);
  return MethodRegistry::instance().make(spec)->attribute(ctx, x, targets);
}

class BranchingGradCam : public testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(BranchingGradCam, AutoLayerAndMapMatchHookReference) {
  const std::string f = GetParam();
  const Graph g = family(f);
  const Tensor x = load("families/" + f + "_input.npy"), classes = load("families/" + f + "_classes.npy");
  const Node& at = g.node(gradcam_layer(g, "auto", x));
  const std::string& layer = at.name;
  if (f == "inception_v3") EXPECT_NE(layer.find("Mixed_7c"), std::string::npos) << layer;
  if (f == "vit_b_16") EXPECT_NE(layer.find("encoder_layer_11/ln_1"), std::string::npos) << layer;
  if (f == "swin_t") EXPECT_EQ(at.layer->kind(), LayerKind::Transpose) << layer;
  if (f == "densenet121") EXPECT_EQ(at.layer->kind(), LayerKind::ReLU) << layer;
  const Tensor ours = attribute(g, "gradcam", x, classes).select(1, 0);
  const Tensor theirs = load("transformer/gradcam_" + f + ".npy");
  ASSERT_EQ(ours.sizes(), theirs.sizes());
  const double r = test::pearson(ours, theirs);
  std::printf("%s: gradcam at %s, Pearson %.6f with the hook reference\n", f.c_str(), layer.c_str(), r);
  EXPECT_GE(r, 0.999) << f;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, BranchingGradCam, testing::Values("inception_v3", "densenet121", "vit_b_16", "swin_t"));

TEST(TransformerLrp, VitB16MatchesGradientTimesInputReference) {
  const Graph g = family("vit_b_16");
  const Tensor x = load("families/vit_b_16_input.npy"), classes = load("families/vit_b_16_classes.npy");
  for (const char* variant : {"attn", "cp"}) {
    const Tensor ours = attribute(g, std::string("lrp_") + variant, x, classes);
    const Tensor theirs = load(std::string("transformer/lrp_") + variant + "_vit_b_16.npy");
    const double r = test::pearson(ours, theirs);
    std::printf("vit_b_16 lrp_%s: Pearson %.6f, relevance sum %.4f (reference %.4f)\n", variant, r,
                ours.sum().item<double>(), theirs.sum().item<double>());
    EXPECT_GE(r, 0.999) << variant;
  }
}

TEST(TransformerLrp, TrainedBuiltinVitMatchesReference) {
  const Graph g = load_onnx(test::ref_path("trained_vit/model.onnx"));
  const Tensor x = load("transformer/builtin_vit_input.npy"), targets = load("transformer/builtin_vit_targets.npy");
  // The reference rebuilt the model from the ONNX weights: the same function first.
  EXPECT_LE(test::max_rel_error(g.forward_all(x)[g.logits()], load("transformer/builtin_vit_logits.npy")), 1e-4);
  for (const char* variant : {"attn", "cp"}) {
    const Tensor ours = attribute(g, std::string("lrp_") + variant, x, targets);
    const Tensor theirs = load(std::string("transformer/lrp_") + variant + "_builtin_vit.npy");
    for (int64_t i = 0; i < x.size(0); ++i) {
      const double r = test::pearson(ours[i], theirs[i]);
      std::printf("built-in vit lrp_%s image %lld: Pearson %.6f\n", variant, (long long)i, r);
      EXPECT_GE(r, 0.999) << variant << " image " << i;
    }
  }
}

TEST(TransformerLrp, CpLrpConservesRelevanceWithoutBiases) {
  // With every bias, the position embedding and the class token zero, nothing absorbs relevance under
  // CP-LRP: the input's relevance sums to the logit (up to the 1e-6 stabilizer). AttnLRP's softmax rule
  // is not conservative (its bias term x . s sum R): its sum is reported, not bounded.
  Graph g = load_onnx(test::ref_path("trained_vit/model.onnx"));
  for (int k = 0; k < g.size(); ++k)
    for (auto& p : g.layer(k).params())
      if (p.name == "bias" || g.layer(k).kind() == LayerKind::ParamExpand || g.layer(k).kind() == LayerKind::ConstArith)
        if (p.trainable) p.value.zero_();
  const Tensor x = load("transformer/builtin_vit_input.npy"), targets = load("transformer/builtin_vit_targets.npy");
  const Tensor logits = g.forward_all(x)[g.logits()].gather(1, targets.view({-1, 1})).view({-1});
  const Tensor cp = attribute(g, "lrp_cp", x, targets).sum({1, 2, 3});
  const Tensor attn = attribute(g, "lrp_attn", x, targets).sum({1, 2, 3});
  for (int64_t i = 0; i < x.size(0); ++i) {
    std::printf("bias-free built-in vit image %lld: logit %.5f, CP-LRP sum %.5f, AttnLRP sum %.5f\n", (long long)i,
                logits[i].item<double>(), cp[i].item<double>(), attn[i].item<double>());
    EXPECT_NEAR(cp[i].item<double>(), logits[i].item<double>(), 1e-3 * std::abs(logits[i].item<double>()) + 1e-5);
  }
}

TEST(TransformerGroups, VitBlocksAreTheEncoderLayers) {
  const Graph g = family("vit_b_16");
  const auto groups = module_groups(g);
  std::vector<std::string> names;
  for (const auto& gr : groups) names.push_back(gr.name);
  ASSERT_EQ(groups.size(), 15u) << testing::PrintToString(names);
  EXPECT_EQ(names.front(), "heads.head");
  EXPECT_EQ(names[1], "encoder.ln");
  EXPECT_EQ(names[2], "encoder.layers.encoder_layer_11");
  EXPECT_EQ(names[13], "encoder.layers.encoder_layer_0");
  EXPECT_EQ(names.back(), "conv_proj");
  // The class token and the position embedding go with the patch embedding (docs/DEFINITIONS.md,
  // "Transformers").
  EXPECT_EQ(groups.back().nodes.size(), 3u);
  // Inception v3 by its top-level modules: the 17 stages of Adebayo et al.
  const Graph inception = family("inception_v3");
  EXPECT_EQ(module_groups(inception).size(), 17u);
}

TEST(TransformerMethods, GuidedBackpropIsRefusedOnGelu) {
  const Graph g = load_onnx(test::ref_path("trained_vit/model.onnx"));
  const Tensor x = load("transformer/builtin_vit_input.npy"), targets = load("transformer/builtin_vit_targets.npy");
  try {
    attribute(g, "guided_backprop", x, targets);
    FAIL() << "guided_backprop ran on a GELU network";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("gelu"), std::string::npos) << e.what();
  }
}
