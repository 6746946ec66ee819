// The registries (core/registry.h): one shape for methods, LRP rules, composites, metrics and checks.
// Specs are resolved against declared options (defaults filled in, numbers canonical, bad values one
// clear error); `sanity list`, --help and docs/REGISTRY.md show every entry and option from them.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "api/listing.h"
#include "attribution/callable_method.h"
#include "attribution/composites.h"
#include "attribution/expanded_rows.h"
#include "attribution/lrp_rules.h"
#include "attribution/registry.h"
#include "metrics/registry.h"
#include "models/builtin.h"
#include "report/method_family.h"
#include "study/check_config.h"
#include "study/checks/check.h"
#include "test_util.h"

using namespace sanity;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// Every entry of every registry: its synopsis line and one line per option.
template <class R>
void expect_listed(const R& registry, const std::string& text, const std::string& where) {
  for (const auto& e : registry.entries()) {
    EXPECT_NE(text.find(entry_synopsis(e)), std::string::npos) << where << ": " << e.name;
    for (const auto& o : e.options) {
      const std::string line = o.key + "=" + (o.fallback.empty() ? "(none)" : o.fallback) + "  " + option_type_text(o);
      EXPECT_NE(text.find(line), std::string::npos) << where << ": " << e.name << " option " << line;
    }
  }
}

}  // namespace

TEST(Registry, ResolveFillsDefaultsAndWritesNumbersOneWay) {
  const MethodRegistry& r = MethodRegistry::instance();
  EXPECT_EQ(r.resolve(parse_method_spec("integrated_gradients(steps=050)")).str(),
            "integrated_gradients(baseline=zero, rule=linspace, steps=50)");
  EXPECT_EQ(r.make("smoothgrad(gradient, sigma=.150)")->spec().str(), "smoothgrad(gradient, n=50, sigma=0.15)");
  EXPECT_EQ(r.make("lrp_epsilon(eps=2.5e-1)")->spec().str(), "lrp_epsilon(eps=0.25)");
  EXPECT_EQ(r.make("deeplift(reference=0.50)")->spec().str(), "deeplift(reference=0.5)");
  EXPECT_EQ(r.make("deep_taylor")->spec().str(), "deep_taylor(high=auto, low=auto)");
  EXPECT_NE(error_of([&] { r.make("integrated_gradients(steps=2.5)"); }).find("steps=2.5 is not an integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { r.make("integrated_gradients(steps=99999999999)"); }).find("must be at most"),
            std::string::npos);
  EXPECT_NE(error_of([&] { r.make("constant(value=inf)"); }).find("finite"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("deep_taylor(low=minus)"); }).find("is not a number or one of auto"),
            std::string::npos);
  EXPECT_NE(error_of([&] { r.make("gradient(gradient)"); }).find("takes 0 wrapped method(s), got 1"), std::string::npos);
  EXPECT_NE(error_of([&] { r.make("gradient(n=3)"); }).find("unknown option 'n'; valid options: none"), std::string::npos);
}

// The report's panels come from the registry: a method that declares no family (or a wrapper that
// declares one) fails here, not as a figure with an "other" panel.
TEST(Registry, EveryMethodDeclaresItsFamilyAndWrappersTakeTheirInnerMethods) {
  const auto& known = report::method_families();
  for (const MethodInfo& m : MethodRegistry::instance().methods()) {
    if (m.wrapped > 0) {
      EXPECT_EQ(m.family, "") << m.name << " wraps a method: its family is the inner method's";
      continue;
    }
    EXPECT_NE(std::find(known.begin(), known.end(), m.family), known.end()) << m.name << ": '" << m.family << "'";
    EXPECT_NE(m.family, "other") << m.name;
    EXPECT_NE(m.family, "custom") << m.name << ": custom is the family of the user's methods";
  }
  EXPECT_EQ(report::method_family("smoothgrad(vargrad(guided_backprop), n=3)"), "modified backprop");
  EXPECT_EQ(report::method_family("smoothgrad_squared(integrated_gradients(steps=4))"), "gradient");
  EXPECT_EQ(report::method_family("excitation_backprop"), "LRP");
  EXPECT_EQ(report::method_family("lrp_epsilon(rules=r.json)"), "LRP");
  EXPECT_EQ(report::method_family("sobel"), "baselines");
  EXPECT_EQ(report::method_family("not_a_method"), "custom");
  EXPECT_EQ(report::method_family("gradient("), "other");
}

// A method brought at run time (a Python function, python/sanity/_methods.py) is an entry like any
// other while its registration lives: built from a spec that records its version, listed, in the
// family "custom", its maps checked for shape; gone with the registration.
TEST(Registry, MethodsBroughtAtRunTimeAreEntriesWhileRegistered) {
  MethodRegistry& r = MethodRegistry::instance();
  const Graph model = build_cnn(1);
  const Tensor x = torch::rand({3, 1, 28, 28});
  const Tensor targets = torch::tensor({1, 2, 3}, torch::kInt64);
  const auto def = [](std::string name, MapFunction f) {
    CallableMethodDef d;
    d.name = std::move(name);
    d.summary = "a test's method";
    d.version = "v1";
    d.batch_size = 2;
    d.maps = std::move(f);
    return d;
  };
  std::vector<int64_t> calls;
  {
    const ScopedMethod mine(def("mine", [&](const Graph& g, const Tensor& xi, const Tensor& t) {
      calls.push_back(xi.size(0));
      return g.forward(xi).gather(1, t.unsqueeze(1)).view({-1, 1, 1}) * xi.sum(1);  // [n, H, W]
    }));
    const ScopedMethod flat(def("flat", [](const Graph&, const Tensor& xi, const Tensor&) { return xi.flatten(1); }));
    const MethodPtr m = r.make("mine");
    EXPECT_EQ(m->spec().str(), "mine(version=v1)");
    EXPECT_EQ(r.make("mine(version=v0)")->spec().str(), "mine(version=v1)") << "the function's version, not a spec's";
    EXPECT_EQ(r.family_of(parse_method_spec("smoothgrad(mine)")), "custom");
    EXPECT_EQ(report::method_family("mine(version=v1)"), "custom");
    EXPECT_NE(api::listing("methods").find("mine(version=v1)"), std::string::npos);
    const AttributionContext ctx{model};
    const Tensor maps = m->attribute(ctx, x, targets);
    const Tensor logit = model.forward(x).gather(1, targets.unsqueeze(1)).view({-1, 1, 1, 1});
    EXPECT_TRUE(torch::allclose(maps, (logit * x).expand({3, 1, 28, 28})));
    EXPECT_EQ(calls, (std::vector<int64_t>{2, 1})) << "in chunks of the method's batch size";
    EXPECT_NE(error_of([&] { r.make("flat")->attribute(ctx, x, targets); })
                  .find("method flat: returned maps of shape [2, 784] for inputs of shape [2, 1, 28, 28]; expected "
                        "[2, 1, 28, 28] or [2, 28, 28]"),
              std::string::npos);
    EXPECT_NE(error_of([&] { ScopedMethod again(def("mine", {})); }).find("method name 'mine' is taken"), std::string::npos);
    EXPECT_NE(error_of([&] { ScopedMethod builtin(def("gradient", {})); }).find("is taken (dS_c/dx"), std::string::npos);
    EXPECT_NE(error_of([&] { ScopedMethod bad(def("my method", {})); }).find("expected letters, digits and '_'"),
              std::string::npos);
  }
  EXPECT_EQ(r.find("mine"), nullptr);
  EXPECT_EQ(r.find("flat"), nullptr);
}

namespace {

// A valid value other than the option's default, by its declared type ("" where none is built).
std::string other_value(const Option& o) {
  switch (o.type) {
    case OptionType::Choice:
      for (const auto& w : o.words)
        if (w != o.fallback) return w;
      return "";
    case OptionType::Integer: {
      const int64_t v = std::stoll(o.fallback);
      return std::to_string(static_cast<double>(v + 1) <= o.max ? v + 1 : v - 1);
    }
    case OptionType::Number: {
      const double v = std::find(o.words.begin(), o.words.end(), o.fallback) != o.words.end() ? 1.0 : std::stod(o.fallback);
      const double w = std::clamp(v * 0.5 + 0.25, std::max(o.min, 1e-3), std::min(o.max, 1e6));
      return std::to_string(w != v ? w : w / 2);
    }
    case OptionType::Text: return o.key == "metric" ? (o.fallback == "spearman" ? "ssim" : "spearman") : "";
  }
  return "";
}

}  // namespace

// The identity is derived from every check's resolved spec: any option of any check, now or added
// later, set to another value is another run (never results of the first served for the second).
TEST(Registry, EveryCheckOptionIsPartOfTheRunIdentity) {
  CheckConfig c;
  c.methods = {"gradient"};
  c.checks = {"cascading"};
  const nlohmann::json base = c.identity();
  int varied = 0;
  for (const CheckInfo& info : CheckRegistry::instance().entries())
    for (const Option& o : info.options) {
      const std::string value = other_value(o);
      if (value.empty()) continue;
      const std::string spec = info.name + "(" + o.key + "=" + value + ")";
      c.checks = info.name == "cascading" ? std::vector<std::string>{spec} : std::vector<std::string>{"cascading", spec};
      EXPECT_NE(c.identity(), base) << spec;
      ++varied;
    }
  EXPECT_GE(varied, 5) << "sMPRT (3 options), CSC and random_logit at least";
}

TEST(Registry, RulesAndCompositesResolveLikeMethods) {
  const RuleRegistry& rules = RuleRegistry::instance();
  EXPECT_EQ(rules.make("alpha_beta(alpha=3)", "here").kind, RuleChoice::Kind::Linear);  // beta = alpha - 1
  EXPECT_NE(error_of([&] { rules.make("alpha_beta(alpha=2, beta=0.5)", "here"); }).find("alpha - beta = 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { rules.make("zbox(low=1, high=0)", "here"); }).find("low <= high"), std::string::npos);
  EXPECT_NE(error_of([&] { rules.make("gamma(g=1)", "rules file r.json: entry 2"); })
                .find("rules file r.json: entry 2: rule gamma: unknown option 'g'; valid options: gamma"),
            std::string::npos);
  EXPECT_EQ(rules.make("norm", "here").kind, RuleChoice::Kind::Norm);
  // Every composite is a method of the same name with the composite's options and rules=FILE.
  for (const auto& c : CompositeRegistry::instance().entries()) {
    const MethodInfo* m = MethodRegistry::instance().find(c.name);
    ASSERT_NE(m, nullptr) << c.name;
    EXPECT_EQ(m->options.size(), c.options.size() + 1) << c.name;
    EXPECT_EQ(m->options.back().key, "rules") << c.name;
  }
  // A preset's placeholders take the resolved options; the base entries follow.
  const Spec s = MethodRegistry::instance().resolve(parse_method_spec("lrp_epsilon_gamma_box(gamma=0.5, low=-1)"));
  const auto entries = CompositeRegistry::instance().rule_entries(s);
  ASSERT_GE(entries.size(), 3u);
  EXPECT_EQ(entries[0].rule, "zbox(low=-1, high=auto)");
  EXPECT_EQ(entries[1].rule, "gamma(gamma=0.5)");
  EXPECT_EQ(entries[2].rule, "epsilon(eps=0.25)");
  auto rule_for = [&](const std::string& kind) {
    for (const auto& e : entries)
      if (e.match == RuleEntry::Match::Kind && e.value == kind) return e.rule;
    return std::string("(none)");
  };
  EXPECT_EQ(rule_for("batchnorm"), "z");  // standalone BatchNorm
  // Transformer layers under a CNN preset take AttnLRP's rules (transformer_rules.h).
  EXPECT_EQ(rule_for("layernorm"), "layernorm");
  EXPECT_EQ(rule_for("gelu"), "pass");
  EXPECT_EQ(rule_for("softmax"), "softmax");
  EXPECT_EQ(rule_for("matmul"), "uniform");
}

TEST(Registry, ChecksAreSpecsWhoseOptionsDefineTheRun) {
  CheckConfig c;
  c.methods = {"gradient"};
  c.checks = {"cascading", "smprt(samples=7)", "csc"};
  const nlohmann::json id = c.identity();
  const nlohmann::json& checks = id["check_options"];
  EXPECT_EQ(checks["smprt"]["samples"], "7");
  EXPECT_EQ(checks["smprt"]["metric"], "spearman_abs");
  EXPECT_EQ(checks["csc"]["samples"], "5");
  EXPECT_EQ(checks["random_logit"]["metric"], "ssim");  // checks not run still record their defaults
  EXPECT_TRUE(id.contains("faithfulness"));
  c.checks = {"cascading"};
  EXPECT_EQ(c.identity()["check_options"]["smprt"]["samples"], "50") << "another sMPRT protocol is another run";
  // Metrics enter resolved: the default written out is the same run.
  c.metrics = "ssim, spearman_abs";
  const nlohmann::json short_metrics = c.identity();
  c.metrics = "ssim(data_range=1), spearman_abs";
  EXPECT_EQ(c.identity(), short_metrics);
  c.metrics = "ssim(data_range=2), spearman_abs";
  EXPECT_NE(c.identity(), short_metrics);
  c.checks = {"cascade"};
  EXPECT_NE(error_of([&] { c.validate(); }).find("unknown check 'cascade'; valid checks: cascading"), std::string::npos);
  c.checks = {"cascading", "cascading"};
  EXPECT_NE(error_of([&] { c.validate(); }).find("cascading is given twice"), std::string::npos);
  c.checks = {"csc(samples=1)"};
  EXPECT_NE(error_of([&] { c.validate(); }).find("samples=1 must be at least 2"), std::string::npos);
  c.checks = {"random_logit(metric=nosuch)"};
  EXPECT_NE(error_of([&] { c.validate(); }).find("unknown metric 'nosuch'"), std::string::npos);
  c.checks = {"data"};
  EXPECT_NE(error_of([&] { c.validate(); }).find("needs --permuted-model"), std::string::npos);
  for (const auto& info : CheckRegistry::instance().entries())
    EXPECT_NE(CheckRegistry::instance().make(Spec{info.name, {}, {}}), nullptr) << info.name;
}

TEST(Registry, ListingAndHelpShowEveryEntryAndOptionWithItsDefault) {
  const test::CommandResult list = test::run_cli("list");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  expect_listed(MethodRegistry::instance(), list.output, "sanity list");
  expect_listed(RuleRegistry::instance(), list.output, "sanity list");
  expect_listed(CompositeRegistry::instance(), list.output, "sanity list");
  expect_listed(MetricRegistry::instance(), list.output, "sanity list");
  expect_listed(CheckRegistry::instance(), list.output, "sanity list");
  // --help of the commands that take them: the synopsis of every entry (name, options, defaults).
  const test::CommandResult explain = test::run_cli("explain --help"), check = test::run_cli("check --help");
  for (const auto& e : MethodRegistry::instance().entries()) {
    EXPECT_NE(explain.output.find(entry_synopsis(e)), std::string::npos) << e.name;
    EXPECT_NE(check.output.find(entry_synopsis(e)), std::string::npos) << e.name;
  }
  for (const auto& e : MetricRegistry::instance().entries()) EXPECT_NE(check.output.find(entry_synopsis(e)), std::string::npos);
  for (const auto& e : CheckRegistry::instance().entries()) EXPECT_NE(check.output.find(entry_synopsis(e)), std::string::npos);
  for (const auto& e : RuleRegistry::instance().entries()) EXPECT_NE(explain.output.find(entry_synopsis(e)), std::string::npos);
  EXPECT_NE(test::run_cli("list nosuch").output.find("valid kinds: methods, rules, composites, metrics, checks"),
            std::string::npos);
}

TEST(Registry, DocsRegistryIsTheCurrentListing) {
  std::ifstream in(std::string(SANITY_SOURCE_DIR) + "/docs/REGISTRY.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const test::CommandResult md = test::run_cli("list --markdown");
  ASSERT_EQ(md.exit_code, 0);
  EXPECT_EQ(doc.str(), md.output) << "docs/REGISTRY.md is out of date: build/sanity list --markdown > docs/REGISTRY.md";
}

TEST(ExpandedRows, ChunksCoverEveryRowOnceImageMajor) {
  for (const bool within : {false, true}) {
    std::vector<int64_t> images, copies, sizes;
    for_each_row_chunk(3, 5, 4, within, [&](const RowChunk& c) {
      const auto i = c.images(), k = c.copies();
      images.insert(images.end(), i.begin(), i.end());
      copies.insert(copies.end(), k.begin(), k.end());
      sizes.push_back(c.length);
      if (within) EXPECT_EQ(c.segments.size(), 1u);
    });
    ASSERT_EQ(images.size(), 15u);
    for (int64_t r = 0; r < 15; ++r) {
      EXPECT_EQ(images[r], r / 5);
      EXPECT_EQ(copies[r], r % 5);
    }
    // Across images: 4, 4, 4, 3. Within images: 4 + 1 per image.
    EXPECT_EQ(sizes, within ? std::vector<int64_t>({4, 1, 4, 1, 4, 1}) : std::vector<int64_t>({4, 4, 4, 3}));
  }
}
