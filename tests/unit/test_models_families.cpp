// Every torchvision classification family from ONNX (random weights, exported at opsets 14 and 20 and
// by the dynamo exporter (weights in a .onnx.data file), with a dynamic batch, by
// tests/reference/torchvision_families.py): logits and the input gradient of one
// logit must agree with PyTorch, and a batch of two images must give each image's own result (the
// folded Shape chains of dynamic-batch exports follow the batch size). CTest runs it one family at a
// time (family_<name> in tests/fixtures.cmake: export, these three cases, delete the files).
#include <torch/torch.h>

#include "models/backprop.h"
#include "models/layers.h"
#include "models/model_io.h"
#include "randomization/stages.h"
#include "test_util.h"

using namespace sanity;

namespace {

struct Family {
  std::string name;
  int opset;  // of the TorchScript exporter's file; 0: the dynamo exporter's, at its defaults
  std::string file() const { return name + (opset ? "_op" + std::to_string(opset) : std::string("_dynamo")); }
};

std::ostream& operator<<(std::ostream& o, const Family& f) { return o << f.file(); }

// Keep in step with FAMILIES and OPSETS in torchvision_families.py.
std::vector<Family> families() {
  std::vector<Family> out;
  for (const char* f : {"alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet",
                        "inception_v3", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_small", "regnet_x_400mf",
                        "regnet_y_400mf", "resnet18", "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_1", "swin_t",
                        "vgg11_bn", "vit_b_16", "wide_resnet50_2"})
    for (int opset : {14, 20, 0}) out.push_back({f, opset});
  return out;
}

Tensor reference(const std::string& name) { return test::load_ref("families/" + name); }

std::vector<std::string> block_names(const Graph& g) {
  std::vector<std::string> names;
  for (const auto& group : module_groups(g)) names.push_back(group.name);
  return names;
}

class TorchvisionFamily : public testing::TestWithParam<Family> {};

}  // namespace

TEST_P(TorchvisionFamily, LogitsAndInputGradientMatchPyTorch) {
  const Family& f = GetParam();
  const Tensor x = reference(f.name + "_input.npy"), classes = reference(f.name + "_classes.npy");
  const Tensor logits = reference(f.name + "_logits.npy"), grad = reference(f.name + "_grad.npy");
  ASSERT_TRUE(x.defined() && classes.defined() && logits.defined() && grad.defined());
  const std::string file = f.file() + ".onnx";
  Graph g = load_onnx(test::ref_path("families/" + file));
  g.check_input(x, file);
  // A BatchNorm folded into its conv by the exporter (every file here is a default export) is said.
  const auto folded = g.metadata.find("batchnorm_folded");
  if (f.name == "resnet18") {
    ASSERT_NE(folded, g.metadata.end()) << file;
    EXPECT_EQ(folded->second.rfind("20 of 20 convs", 0), 0u) << folded->second;
  }
  if (f.name == "squeezenet1_1" || f.name == "alexnet") EXPECT_EQ(folded, g.metadata.end()) << file;
  // --layers blocks finds the same blocks in the dynamo exporter's file (its node names are its own:
  // "node_Conv_296"; module paths come from parameter names and the nodes' name scopes).
  if (f.opset == 0) EXPECT_EQ(block_names(g), block_names(load_onnx(test::ref_path("families/" + f.name + "_op20.onnx"))));

  // The image twice, the second copy flipped: a batch of 2 must give each its own logits.
  const Tensor batch = torch::cat({x, x.flip(3)});
  Tensors acts = g.forward_all(batch);
  const Tensor ours = acts[g.logits()];
  ASSERT_EQ(ours.size(0), 2);
  const double logit_error = test::max_rel_error(ours.narrow(0, 0, 1), logits);
  EXPECT_LE(logit_error, 1e-4) << file;
  const Tensor flipped = g.forward_all(x.flip(3))[g.logits()];
  EXPECT_LE(test::max_rel_error(ours.narrow(0, 1, 1), flipped), 1e-4) << file << ": the batch mixes images";
  // Opset 13 exports decompose LayerNorm and GELU: the importer fuses them back (onnx_fuse.cpp).
  if (f.name == "vit_b_16" || f.name == "swin_t" || f.name == "convnext_tiny") {
    int layer_norms = 0, gelus = 0, erfs = 0;
    for (const auto& n : g.nodes()) {
      layer_norms += n.layer->kind() == LayerKind::LayerNorm;
      gelus += n.layer->kind() == LayerKind::Gelu;
      erfs += n.layer->kind() == LayerKind::Erf;
    }
    EXPECT_GT(layer_norms, 0) << file;
    EXPECT_GT(gelus, 0) << file;
    EXPECT_EQ(erfs, 0) << file << ": a GELU was not fused";
  }
  const Tensor input_grad = backprop(g, acts, g.logits(), one_hot_seed(ours, torch::cat({classes, classes})));
  const double r = test::pearson(input_grad[0], grad[0]);
  std::printf("%s: %d nodes, logits max relative error %.2e, input gradient Pearson %.7f\n", file.c_str(), g.size(),
              logit_error, r);
  EXPECT_GE(r, 0.999) << file;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchvisionFamily, testing::ValuesIn(families()),
                         [](const testing::TestParamInfo<Family>& info) {
                           return info.param.file();
                         });
