// Every gradient-family method against PyTorch (tests/reference/attribution_reference.py) on
// the MNIST CNN, ResNet-50 and VGG-16 with random weights: Pearson >= 0.999 per image (the issue's
// acceptance) and ||ours - ref|| <= 2 % of ||ref|| (the same scale, not only the same pattern; float32
// rounding differs between PyTorch's BatchNorm and the exported, folded one, and ReLU ties at exact
// zeros amplify it through 50 layers, so exact equality is not expected on the deep models).
#include <torch/torch.h>

#include "attribution/registry.h"
#include "models/model_io.h"
#include "test_util.h"

using namespace sanity;

namespace {

struct Expect {
  std::string spec;  // our method, as a user writes it
  std::string ref;   // attr_<model>_<ref>.npy
};

void check_model(const std::string& model, const std::vector<Expect>& expects) {
  const std::string onnx = test::ref_path("attr_" + model + ".onnx");
  ASSERT_TRUE(std::filesystem::exists(onnx)) << onnx << " is missing: the ref_attribution fixture did not run";
  torch::set_num_threads(2);  // the deep models dominate this suite's time
  Graph g = load_onnx(onnx);
  const Tensor x = test::load_ref("attr_" + model + "_x.npy");
  const Tensor targets = test::load_ref("attr_" + model + "_targets.npy");
  // The import itself: same logits as PyTorch, so differences below are the methods'.
  EXPECT_LT(test::max_rel_error(g.forward(x), test::load_ref("attr_" + model + "_logits.npy")), 1e-4);
  for (const auto& e : expects) {
    SCOPED_TRACE(model + " " + e.spec);
    MethodPtr method = MethodRegistry::instance().make(e.spec);
    AttributionContext ctx{g, 64, 0, {}, nullptr};
    const Tensor ours = method->attribute(ctx, x, targets);
    const Tensor ref = test::load_ref("attr_" + model + "_" + e.ref + ".npy");
    ASSERT_EQ(ours.sizes(), x.sizes());
    double worst = 1.0;
    for (int64_t i = 0; i < x.size(0); ++i) {
      ASSERT_GT(ref[i].abs().max().item<double>(), 0.0) << "reference map " << i << " is all zero";
      const double r = test::pearson(ours[i], ref[i]);
      worst = std::min(worst, r);
      EXPECT_GE(r, 0.999) << "image " << i;
      EXPECT_LT(((ours[i] - ref[i]).norm() / ref[i].norm()).item<double>(), 0.02) << "image " << i;
    }
    std::printf("  %-10s %-50s min Pearson %.6f\n", model.c_str(), e.spec.c_str(), worst);
  }
}

std::vector<Expect> gradient_family(int ig_steps) {
  return {{"gradient", "gradient"},
          {"gradient_x_input", "gradient_x_input"},
          {"integrated_gradients(steps=" + std::to_string(ig_steps) + ")", "integrated_gradients"},
          {"guided_backprop", "guided_backprop"},
          {"deconvnet", "deconvnet"},
          {"gradcam", "gradcam"},
          {"guided_gradcam", "guided_gradcam"}};
}

}  // namespace

TEST(AttributionReference, MnistCnn) {
  std::vector<Expect> e = gradient_family(50);
  e.push_back({"integrated_gradients", "integrated_gradients"});  // the defaults are the authors' 50 steps
  e.push_back({"integrated_gradients(steps=16, rule=trapezoid)", "ig_trapezoid16"});
  e.push_back({"integrated_gradients(steps=16, baseline=blur, blur_sigma=2)", "ig_blur2_16"});
  e.push_back({"sobel", "sobel"});
  check_model("mnist_cnn", e);
}

TEST(AttributionReference, ResNet50) {
  std::vector<Expect> e = gradient_family(4);
  e.push_back({"gradcam(layer=auto)", "gradcam"});  // the default layer is the output of layer4
  e.push_back({"sobel", "sobel"});
  check_model("resnet50", e);
}

TEST(AttributionReference, Vgg16) {
  std::vector<Expect> e = gradient_family(4);
  e.push_back({"gradcam(layer=features.28)", "gradcam_features28"});  // a PyTorch module path, pre-ReLU
  e.push_back({"guided_gradcam(layer=features.28)", "guided_gradcam_features28"});
  check_model("vgg16", e);
}
