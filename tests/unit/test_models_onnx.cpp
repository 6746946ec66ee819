// ONNX import of torchvision architectures (random weights, exported by PyTorch at test time
// by tests/reference/torchvision_reference.py): logits and the input gradient of one logit per image
// must agree with PyTorch.
#include <torch/torch.h>

#include "models/backprop.h"
#include "models/layers.h"
#include "models/model_io.h"
#include "test_util.h"

using namespace sanity;

namespace {

struct Export {
  std::string arch, file;
};

std::ostream& operator<<(std::ostream& o, const Export& e) { return o << e.file; }

// Keep in step with EXPORTS in torchvision_reference.py.
const Export kExports[] = {
    {"vgg16", "vgg16_op17.onnx"},
    {"resnet50", "resnet50_op11.onnx"},
    {"resnet50", "resnet50_op17.onnx"},
    {"resnet50", "resnet50_op13_bn.onnx"},
    {"inception_v3", "inception_v3_op11.onnx"},
    {"inception_v3", "inception_v3_op17.onnx"},
    {"mobilenet_v2", "mobilenet_v2_op11.onnx"},
    {"mobilenet_v2", "mobilenet_v2_op17.onnx"},
    {"densenet121", "densenet121_op11.onnx"},
    {"densenet121", "densenet121_op17.onnx"},
};

Tensor reference(const std::string& name) { return test::load_ref("torchvision/" + name); }

int count_kind(const Graph& g, LayerKind kind) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node.layer->kind() == kind;
  return n;
}

class TorchvisionOnnx : public testing::TestWithParam<Export> {};

}  // namespace

TEST_P(TorchvisionOnnx, LogitsAndInputGradientMatchPyTorch) {
  const Export& e = GetParam();
  const Tensor x = reference(e.arch + "_input.npy"), classes = reference(e.arch + "_classes.npy");
  const Tensor logits = reference(e.arch + "_logits.npy"), grad = reference(e.arch + "_grad.npy");
  ASSERT_TRUE(x.defined() && classes.defined() && logits.defined() && grad.defined());
  Graph g = load_onnx(test::ref_path("torchvision/" + e.file));
  g.check_input(x, e.file);

  Tensors acts = g.forward_all(x);
  const Tensor ours = acts[g.logits()];
  ASSERT_EQ(ours.sizes(), logits.sizes());
  const double logit_error = test::max_rel_error(ours, logits);
  EXPECT_LE(logit_error, 1e-4) << e.file;
  // The classes are fixed indices, not argmaxes: the gradient compares the same logit on both sides.
  const Tensor input_grad = backprop(g, acts, g.logits(), one_hot_seed(ours, classes));
  ASSERT_EQ(input_grad.sizes(), grad.sizes());
  std::printf("%s: logits max relative error %.2e, input gradient cosine", e.file.c_str(), logit_error);
  for (int64_t i = 0; i < x.size(0); ++i) {
    const double cos = test::cosine(input_grad[i], grad[i]);
    std::printf(" %.8f", cos);
    EXPECT_GE(cos, 0.9999) << e.file << " image " << i;
  }
  std::printf("\n");
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchvisionOnnx, testing::ValuesIn(kExports),
                         [](const testing::TestParamInfo<Export>& info) {
                           return info.param.file.substr(0, info.param.file.find('.'));
                         });

TEST(TorchvisionOnnx, UnfoldedExportKeepsBatchNormalization) {
  // The _bn export exists to cover BatchNormalization import: make sure it really has BN layers and
  // that PyTorch module paths resolve to them.
  Graph g = load_onnx(test::ref_path("torchvision/resnet50_op13_bn.onnx"));
  EXPECT_EQ(count_kind(g, LayerKind::BatchNorm), 53);
  EXPECT_EQ(g.layer(g.find("layer4.2.bn3")).kind(), LayerKind::BatchNorm);
  EXPECT_EQ(g.layer(g.find("layer4.2.conv3")).kind(), LayerKind::Conv);
  Graph folded = load_onnx(test::ref_path("torchvision/resnet50_op17.onnx"));
  EXPECT_EQ(count_kind(folded, LayerKind::BatchNorm), 0);
  EXPECT_EQ(count_kind(folded, LayerKind::Conv), 53);
}
