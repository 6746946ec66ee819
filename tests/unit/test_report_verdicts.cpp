// The verdicts of the scorecard from a results store (report/verdicts.h), on a store whose values are
// built so that each verdict of the rule (stats/verdicts.h) is reached once: the paired tests are
// decisive (20 images, every difference of one sign: exact two-sided p = 2 / 2^20) or empty (mean
// difference 0 by symmetry, or every difference zero).
#include <cmath>

#include "faithfulness/record.h"
#include "report/ranking.h"
#include "report/scorecard.h"
#include "report/verdicts.h"
#include "results/store.h"
#include "test_util.h"

using namespace sanity;
using namespace sanity::report;

namespace {

constexpr int kImages = 20;
// Distinct offsets with mean exactly 0 over the 20 images: -0.475 ... 0.475 in a scrambled order.
double u(int i) { return static_cast<double>((7 * i) % kImages) / kImages - 0.475; }

// Last-stage cascading similarity (spearman_abs) per method, and the faithfulness gap per method.
double similarity(const std::string& m, int i) {
  if (m == "sobel") return 1;                     // the edge detector: identical to itself
  if (m == "noise") return 0.02 + 0.01 * u(i);     // pass
  if (m == "gradient") return 0.2 + 0.1 * u(i);    // pass: far below sobel, interval below 0.5
  if (m == "smoothgrad(gradient)") return 0.7 + 0.1 * u(i);  // below sobel, interval above 0.5: inconclusive
  if (m == "lrp_zplus") return 0.98 + 0.01 * u(i);  // significantly below sobel, but within the margin: fail
  return 1 + 0.05 * u(i);                          // guided_backprop: no different from sobel: fail
}
double gap(const std::string& m, int i) {
  if (m == "gradient" || m == "lrp_zplus") return 0.3 + 0.05 * u(i);  // pass
  if (m == "smoothgrad(gradient)") return 0.05 * u(i);        // above noise, interval reaching 0: inconclusive
  return -0.1 + 0.01 * u(i);                                 // noise, and guided_backprop equal to it: fail
}
const std::vector<std::string> kMethods = {"gradient", "guided_backprop", "lrp_zplus", "noise", "smoothgrad(gradient)",
                                           "sobel"};

std::string make_store() {
  const std::string dir = test::temp_dir("report-verdicts");
  ResultsStore store(dir + "/results.sqlite");
  const int64_t run = store.open_run({"cnn", "mnist:test:20", {{"methods", kMethods}}, 0});
  store.label_stage(run, "cascading", 0, "original");
  store.label_stage(run, "cascading", 1, "conv1");
  for (const std::string& m : kMethods) {
    std::vector<Measurement> trained, last, faith;
    for (int i = 0; i < kImages; i++) {
      trained.push_back({"spearman_abs", 1.0, i});
      last.push_back({"spearman_abs", similarity(m, i), i});
      if (m != "sobel") faith.push_back({"aopc_gap", gap(m, i), i});
    }
    store.record_unit({run, "cascading", 0, m}, trained);
    store.record_unit({run, "cascading", 1, m}, last);
    if (!faith.empty()) store.record_unit({run, kFaithfulnessCheck, -1, m}, faith);
  }
  return dir;
}

Verdict verdict_of(const CheckVerdicts& v, const std::string& method) {
  const MethodVerdict* m = v.find(method);
  return m ? m->verdict : Verdict::None;
}

}  // namespace

TEST(ReportVerdicts, EachRandomizationVerdictOnceAndTheThresholdIsSettable) {
  const Study study(make_store());
  const int64_t run = study.runs().front().id;
  CheckVerdicts v = randomization_verdicts(study, run, "cascading", VerdictRule{});
  EXPECT_EQ(v.note, "");
  EXPECT_EQ(v.reference, "sobel");
  EXPECT_EQ(v.stage_label, "conv1");
  EXPECT_EQ(v.images.size(), static_cast<size_t>(kImages));
  EXPECT_EQ(verdict_of(v, "gradient"), Verdict::Pass);
  EXPECT_EQ(verdict_of(v, "noise"), Verdict::Pass);
  EXPECT_EQ(verdict_of(v, "smoothgrad(gradient)"), Verdict::Inconclusive);
  EXPECT_EQ(verdict_of(v, "guided_backprop"), Verdict::Fail);
  EXPECT_EQ(verdict_of(v, "lrp_zplus"), Verdict::Fail);
  EXPECT_EQ(verdict_of(v, "sobel"), Verdict::Fail);  // the reference is model-independent by definition
  // The test behind them: every gradient difference negative, exact p = 2 / 2^20, Holm over 5 methods.
  const MethodVerdict* g = v.find("gradient");
  EXPECT_TRUE(g->test.exact);
  EXPECT_EQ(g->test.n, kImages);
  EXPECT_DOUBLE_EQ(g->test.p_value, 2.0 / std::pow(2.0, kImages));
  EXPECT_NEAR(g->p_holm, 5 * 2.0 / std::pow(2.0, kImages), 1e-15);
  EXPECT_NEAR(g->ci.estimate, 0.2, 1e-12);
  EXPECT_LT(g->ci.low, 0.2);
  EXPECT_GT(g->ci.high, 0.2);
  // Guided Backprop + the margin lies above sobel on every image: significant, but in the wrong direction.
  EXPECT_EQ(v.find("guided_backprop")->test.statistic, 0);
  // LRP z+ (+ the margin) lies above sobel too; by the literal rule (margin 0) it is below: inconclusive.
  VerdictRule literal;
  literal.margin = 0;
  EXPECT_EQ(verdict_of(randomization_verdicts(study, run, "cascading", literal), "lrp_zplus"), Verdict::Inconclusive);

  // A threshold above SmoothGrad's interval turns its verdict into a pass; nothing else moves.
  VerdictRule lenient;
  lenient.threshold = 0.8;
  v = randomization_verdicts(study, run, "cascading", lenient);
  EXPECT_EQ(verdict_of(v, "smoothgrad(gradient)"), Verdict::Pass);
  EXPECT_EQ(verdict_of(v, "guided_backprop"), Verdict::Fail);

  // Without the edge detector in the rule's name there is no verdict, and the note says why.
  VerdictRule other;
  other.edge_detector = "canny";
  v = randomization_verdicts(study, run, "cascading", other);
  EXPECT_EQ(verdict_of(v, "gradient"), Verdict::None);
  EXPECT_NE(v.note.find("'canny' was not run"), std::string::npos) << v.note;
}

TEST(ReportVerdicts, FaithfulnessAgainstTheNoiseBaselineAndClaimsOfOrder) {
  const Study study(make_store());
  const int64_t run = study.runs().front().id;
  const VerdictRule rule;
  const CheckVerdicts f = faithfulness_verdicts(study, run, rule);
  EXPECT_EQ(f.reference, "noise");
  EXPECT_EQ(verdict_of(f, "gradient"), Verdict::Pass);
  EXPECT_EQ(verdict_of(f, "smoothgrad(gradient)"), Verdict::Inconclusive);
  EXPECT_EQ(verdict_of(f, "guided_backprop"), Verdict::Fail);  // every difference zero: no test, fail
  EXPECT_TRUE(std::isnan(f.find("guided_backprop")->test.p_value));

  // Claims of order, randomization: noise < gradient < smoothgrad < lrp_zplus < {guided_backprop,
  // sobel}, the last pair not distinguishable; each consecutive pair backed by its own test.
  const std::vector<OrderClaim> claims = order_claims(randomization_verdicts(study, run, "cascading", rule), rule);
  ASSERT_EQ(claims.size(), 5u);
  EXPECT_EQ(claims[0].better, "noise");
  EXPECT_EQ(claims[0].worse, "gradient");
  EXPECT_TRUE(claims[0].significant);
  EXPECT_EQ(claims[1].worse, "smoothgrad(gradient)");
  EXPECT_TRUE(claims[2].significant);
  EXPECT_EQ(claims[3].better, "lrp_zplus");
  EXPECT_TRUE(claims[3].significant);
  EXPECT_FALSE(claims[4].significant);

  // The scorecard shows the same verdicts in its cells, baselines first.
  const Scorecard card = build_scorecard(study, run, ranking_table(study, run), rule);
  EXPECT_EQ(card.methods.front(), "noise");
  const std::string html = scorecard_html(card, "run");
  const auto cell = [&](const std::string& method, const std::string& col) {
    const size_t row = html.find("<tr data-method=\"" + method + "\"");
    const size_t at = html.find("class=\"verdict ", html.find("data-col=\"" + col + "\"", row));
    return html.substr(at + 15, html.find('"', at + 15) - at - 15);
  };
  EXPECT_EQ(cell("gradient", "cascading"), "pass");
  EXPECT_EQ(cell("smoothgrad(gradient)", "cascading"), "inconclusive");
  EXPECT_EQ(cell("guided_backprop", "cascading"), "fail");
  EXPECT_EQ(cell("gradient", "pixel_flipping"), "pass");
  EXPECT_EQ(cell("smoothgrad(gradient)", "pixel_flipping"), "inconclusive");
}
