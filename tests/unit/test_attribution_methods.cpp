// Properties every registered method must have (one list, the same tests for each, as Captum's test
// config does): the input's shape out, finite values, batch size does not matter, targets and the
// model matter exactly when the method uses the model, no autograd graph and no parameter
// gradients, clear errors for bad input. Also the registry's error messages.
#include <torch/torch.h>

#include "attribution/registry.h"
#include "core/error.h"
#include "models/builtin.h"
#include "test_util.h"

using namespace sanity;

namespace {

// Every registered method; wrappers wrap a cheap method. Small n / steps keep the test fast.
std::vector<std::string> all_method_specs() {
  std::vector<std::string> out;
  for (const auto& m : MethodRegistry::instance().methods()) {
    if (m.name.rfind("test_", 0) == 0) continue;
    if (m.wrapped == 1) out.push_back(m.name + "(guided_backprop, n=3)");
    else if (m.name == "integrated_gradients") out.push_back("integrated_gradients(steps=5)");
    else out.push_back(m.name);
  }
  return out;
}

Tensor explain(const Graph& g, const std::string& spec, const Tensor& x, const Tensor& t, int64_t batch = 64) {
  static const Dataset fit{"fit", torch::rand({64, 1, 28, 28}), torch::zeros({64}, torch::kInt64), {}};
  AttributionContext ctx{g, batch, 0, torch::arange(x.size(0)), nullptr};
  ctx.fit_data = &fit;  // PatternNet / PatternAttribution fit their patterns on these
  return MethodRegistry::instance().make(spec)->attribute(ctx, x, t);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

TEST(AttributionMethods, RegistryHoldsTheIssuesMethods) {
  for (const char* name : {"gradient", "gradient_x_input", "integrated_gradients", "guided_backprop", "deconvnet",
                           "gradcam", "guided_gradcam", "smoothgrad", "vargrad", "sobel", "noise", "constant"})
    EXPECT_NE(MethodRegistry::instance().find(name), nullptr) << name;
}

TEST(AttributionMethods, ShapeBatchingTargetsAndModelDependence) {
  Graph g = build_cnn(11), other = build_cnn(12);
  g.set_requires_grad(true);  // as after training: attribution must still build no autograd graph
  torch::manual_seed(1);
  const Tensor x = torch::rand({3, 1, 28, 28});
  const Tensor t = torch::tensor({0, 1, 2}), t2 = torch::tensor({5, 6, 7});
  for (const std::string& spec : all_method_specs()) {
    SCOPED_TRACE(spec);
    const MethodPtr m = MethodRegistry::instance().make(spec);
    const Tensor a = explain(g, spec, x, t);
    ASSERT_EQ(a.sizes(), x.sizes());
    EXPECT_EQ(a.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(a.isfinite().all().item<bool>());
    EXPECT_FALSE(a.requires_grad());
    EXPECT_GT(a.abs().max().item<double>(), 0.0);
    EXPECT_LT(test::max_rel_error(explain(g, spec, x, t, 2), a), 1e-5) << "batch size changed the maps";
    const bool target_changed = !torch::allclose(explain(g, spec, x, t2), a);
    const bool model_changed = !torch::allclose(explain(other, spec, x, t), a);
    EXPECT_EQ(target_changed, m->uses_model());
    // The noise baseline ignores the model but is a fresh draw for every model (Binder et al.).
    EXPECT_EQ(model_changed, m->uses_model() || spec.rfind("noise", 0) == 0);
  }
  for (const Tensor& p : g.trainable_parameters()) EXPECT_FALSE(p.grad().defined()) << "a parameter got a gradient";
}

TEST(AttributionMethods, BadInputIsAClearError) {
  Graph g = build_cnn(0);
  for (const std::string& spec : all_method_specs()) {
    SCOPED_TRACE(spec);
    const std::string shape = error_of([&] { explain(g, spec, torch::rand({2, 3, 28, 28}), torch::tensor({0, 1})); });
    EXPECT_NE(shape.find("[N, 1, 28, 28]"), std::string::npos) << shape;
    const std::string count = error_of([&] { explain(g, spec, torch::rand({2, 1, 28, 28}), torch::tensor({0})); });
    EXPECT_NE(count.find("targets"), std::string::npos) << count;
  }
  const std::string range =
      error_of([&] { explain(g, "gradient", torch::rand({2, 1, 28, 28}), torch::tensor({0, 10})); });
  EXPECT_NE(range.find("target class 10 is out of range"), std::string::npos) << range;
}

TEST(AttributionMethods, UnknownNamesAndOptionsListTheValidOnes) {
  MethodRegistry& r = MethodRegistry::instance();
  const std::string name = error_of([&] { r.make("gradients"); });
  for (const char* valid : {"gradient", "integrated_gradients", "smoothgrad", "sobel"})
    EXPECT_NE(name.find(valid), std::string::npos) << name;
  const std::string option = error_of([&] { r.make("integrated_gradients(step=5)"); });
  EXPECT_NE(option.find("valid options: steps, baseline, rule, blur_sigma"), std::string::npos) << option;
  const std::string value = error_of([&] { r.make("integrated_gradients(baseline=black)"); });
  EXPECT_NE(value.find("expected one of zero, uniform, blur"), std::string::npos) << value;
  EXPECT_NE(error_of([&] { r.make("integrated_gradients(rule=simpson)"); }).find("trapezoid"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("integrated_gradients(steps=0)"); }).find("steps=0"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("smoothgrad(gradient, n=0)"); }).find("n=0"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("smoothgrad(gradient, sigma=-1)"); }).find("sigma"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("smoothgrad"); }).find("wrapped"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("smoothgrad(gradientt)"); }).find("unknown method 'gradientt'"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("noise(distribution=poisson)"); }).find("normal, uniform"), std::string::npos);
  // GradCAM resolves its layer on the model, at attribution time.
  Graph g = build_cnn(0);
  const std::string layer = error_of([&] {
    explain(g, "gradcam(layer=conv9)", torch::rand({1, 1, 28, 28}), torch::tensor({0}));
  });
  EXPECT_NE(layer.find("no layer named 'conv9'"), std::string::npos) << layer;
  const std::string flat = error_of([&] {
    explain(g, "gradcam(layer=fc1)", torch::rand({1, 1, 28, 28}), torch::tensor({0}));
  });
  EXPECT_NE(flat.find("needs a feature map [N, C, H, W]"), std::string::npos) << flat;
}

TEST(AttributionMethods, CanonicalSpecsRecordEveryDefault) {
  MethodRegistry& r = MethodRegistry::instance();
  EXPECT_EQ(r.make("gradient")->spec().str(), "gradient");
  EXPECT_EQ(r.make("integrated_gradients(steps=64, baseline=zero)")->spec().str(),
            "integrated_gradients(baseline=zero, rule=linspace, steps=64)");
  EXPECT_EQ(r.make("integrated_gradients(baseline=blur)")->spec().str(),
            "integrated_gradients(baseline=blur, blur_sigma=5, rule=linspace, steps=50)");
  EXPECT_EQ(r.make("gradcam")->spec().str(), "gradcam(layer=auto)");
  EXPECT_EQ(r.make("gradcam(layer=features.28)")->spec().str(), "gradcam(layer=features.28)");
  EXPECT_EQ(r.make("smoothgrad(guided_backprop, n=50, sigma=0.15)")->spec().str(),
            "smoothgrad(guided_backprop, n=50, sigma=0.15)");
  EXPECT_EQ(r.make("noise")->spec().str(), "noise(distribution=normal)");
  EXPECT_EQ(r.make("constant(value=0.5)")->spec().str(), "constant(value=0.5)");
  // A canonical spec builds the same method again.
  for (const std::string& spec : all_method_specs()) {
    const std::string canonical = r.make(spec)->spec().str();
    EXPECT_EQ(r.make(canonical)->spec().str(), canonical);
  }
}
