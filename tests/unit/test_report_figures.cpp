// Figure builders: every number a chart plots is recomputed here from the synthetic study's
// generating functions (not read back through the store), so a figure cannot silently plot the
// wrong check, metric, stage or method.
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "metrics/aggregate.h"
#include "report/figures.h"
#include "report_study.h"
#include "test_util.h"

using namespace sanity;
using namespace sanity::report;
using nlohmann::json;

namespace {

// Mean and sample std over the images, NaN skipped, as the papers' curve and band.
Summary over_images(const std::function<double(int)>& value) {
  std::vector<double> v;
  for (int i = 0; i < test::kImages; i++) v.push_back(value(i));
  return summarize(v);
}

int method_index(const std::string& spec) {
  const auto& m = test::study_methods();
  return static_cast<int>(std::find(m.begin(), m.end(), spec) - m.begin());
}

double num(const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); }

const Figure* find_figure(const std::vector<Figure>& figs, const std::string& name) {
  for (const Figure& f : figs)
    if (f.name == name) return &f;
  ADD_FAILURE() << "no figure " << name;
  return nullptr;
}

}  // namespace

TEST(ReportFigures, SimilarityPlotsTheMeanAndStdOverImagesOfEachMethodAndStage) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-sim"));
  const Study study(st.dir);
  int rows_checked = 0;
  std::vector<Figure> figs;
  // Bands: the bootstrap interval of the mean (the default) or +-1 std over the images.
  for (const std::string bands : {"ci", "std"}) {
  const RunContext c = make_run_context(study, study.runs()[0], bands);
  figs = similarity_figures(c);
  // cascading, independent, data, random_logit x spearman_abs, ssim.
  ASSERT_EQ(figs.size(), 8u);
  for (const Figure& f : figs) {
    SCOPED_TRACE(f.name + " " + bands);
    const std::string check = f.name.substr(f.name.find("similarity_") + 11);
    const std::string check_name = check.rfind("random_logit", 0) == 0 ? "random_logit" : check.substr(0, check.find('_'));
    const int metric = f.name.find("ssim") != std::string::npos ? 1 : 0;
    EXPECT_NE(f.title.find(test::study_metrics()[metric]), std::string::npos);
    const json& values = f.spec["data"]["values"];
    const size_t stages = check_name == "data" ? 2 : check_name == "random_logit" ? 1 : 5;
    ASSERT_EQ(values.size(), 3 * stages);
    for (const json& row : values) {
      const int m = method_index(row["method"]);
      ASSERT_LT(m, 3);
      const int64_t stage = row["stage"];
      const Summary expect =
          over_images([&](int i) { return test::similarity(check_name, m, stage, metric, i); });
      EXPECT_NEAR(num(row["mean"]), expect.mean, 1e-12) << row;
      EXPECT_EQ(row["n"].get<int64_t>(), expect.count);
      if (stage == 0) {
        EXPECT_EQ(num(row["mean"]), 1.0);  // stored, not assumed
        EXPECT_EQ(num(row["std"]), 0.0);
        EXPECT_EQ(num(row["ci_low"]), 1.0);
        EXPECT_EQ(num(row["ci_high"]), 1.0);
      } else {
        EXPECT_NEAR(num(row["std"]), expect.std, 1e-12) << row;
        // The 95 % percentile interval of the mean: around the mean, about 2 x 1.96 standard errors
        // wide (a loose bracket: n is small and the synthetic scores are not normal).
        const double se = expect.std / std::sqrt(static_cast<double>(expect.count));
        EXPECT_LT(num(row["ci_low"]), expect.mean);
        EXPECT_GT(num(row["ci_high"]), expect.mean);
        EXPECT_GT(num(row["ci_high"]) - num(row["ci_low"]), 0.5 * 3.92 * se) << row;
        EXPECT_LT(num(row["ci_high"]) - num(row["ci_low"]), 1.5 * 3.92 * se) << row;
        if (bands == "std") {
          EXPECT_NEAR(num(row["lo"]), expect.mean - expect.std, 1e-12);
          EXPECT_NEAR(num(row["hi"]), expect.mean + expect.std, 1e-12);
        } else {
          EXPECT_EQ(num(row["lo"]), num(row["ci_low"]));
          EXPECT_EQ(num(row["hi"]), num(row["ci_high"]));
        }
      }
      if (check_name == "cascading") EXPECT_EQ(row["stage_label"], test::cascading_labels()[stage]);
      rows_checked++;
    }
    // Lines over several stages, one panel per family, in stage order; bars for a check with one stage.
    bool has_line = false, has_bar = false;
    const json panels = f.spec.contains("concat") ? f.spec["concat"] : json::array({f.spec});
    for (const json& panel : panels)
      for (const json& l : panel["layer"]) {
        has_line |= l["mark"]["type"] == "line";
        has_bar |= l["mark"]["type"] == "bar";
        if (l["mark"]["type"] != "line") continue;
        if (check_name == "cascading") EXPECT_EQ(l["encoding"]["x"]["sort"], json(test::cascading_labels()));
        if (check_name == "data") EXPECT_EQ(l["encoding"]["x"]["sort"], json({"true labels", "permuted labels"}));
      }
    EXPECT_EQ(has_line, stages > 1);
    EXPECT_EQ(has_bar, stages == 1);
  }
  }
  EXPECT_EQ(rows_checked, 2 * 3 * 2 * (5 + 5 + 2 + 1));
  // The one NaN score (gradient, conv1, image 4) is skipped and counted, not propagated.
  const Figure* casc = find_figure(figs, "run1_similarity_cascading_spearman_abs");
  ASSERT_TRUE(casc);
  for (const json& row : casc->spec["data"]["values"])
    if (row["method"] == "gradient" && row["stage"] == 4) EXPECT_EQ(row["n"], test::kImages - 1);
}

TEST(ReportFigures, EveryMethodKeepsOneColourAcrossTheRunsFigures) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-colour"));
  const Study study(st.dir);
  const RunContext c = make_run_context(study, study.runs()[0]);
  EXPECT_EQ(c.methods, test::study_methods());
  std::vector<Figure> figs = similarity_figures(c);
  for (Figure& f : csc_figures(c)) figs.push_back(f);
  for (Figure& f : faithfulness_figures(c)) figs.push_back(f);
  // Every colour scale on `method` (one per panel): no colour twice within it, and each method the
  // same colour wherever it appears, in every panel of every figure.
  std::map<std::string, std::string> colour_of;
  int seen = 0;
  std::function<void(const json&)> visit = [&](const json& j) {
    if (j.is_object()) {
      if (j.contains("field") && j["field"] == "method" && j.contains("scale") && j["scale"].contains("range")) {
        const json& domain = j["scale"]["domain"];
        const json& range = j["scale"]["range"];
        EXPECT_EQ(domain.size(), range.size()) << j;
        std::set<std::string> in_panel;
        for (size_t i = 0; i < domain.size() && i < range.size(); ++i) {
          const std::string method = domain[i], colour = range[i];
          EXPECT_TRUE(in_panel.insert(colour).second) << "colour " << colour << " twice in " << j;
          const auto [at, fresh] = colour_of.emplace(method, colour);
          EXPECT_EQ(at->second, colour) << method;
        }
        seen++;
      }
      for (const auto& [k, v] : j.items()) visit(v);
    } else if (j.is_array()) {
      for (const json& v : j) visit(v);
    }
  };
  for (const Figure& f : figs) visit(f.spec);
  EXPECT_GE(seen, 10);
  for (const std::string& m : test::study_methods()) EXPECT_TRUE(colour_of.count(m)) << m;  // every method drawn
}

TEST(ReportFigures, AccuracyActivationCscAndPixelFlippingPlotTheStoredValues) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-other"));
  const Study study(st.dir);
  const RunContext c = make_run_context(study, study.runs()[0]);

  const std::vector<Figure> acc = accuracy_figures(c);
  ASSERT_EQ(acc.size(), 3u);  // cascading, independent, data (random_logit has no accuracy)
  for (const Figure& f : acc) {
    const std::string check = f.name.substr(std::string("run1_accuracy_").size());
    const json& values = f.spec["data"]["values"];
    ASSERT_EQ(values.size(), check == "data" ? 2u : 5u) << f.name;
    for (const json& row : values) {
      EXPECT_DOUBLE_EQ(num(row["accuracy"]), test::accuracy(check, row["stage"]));
      EXPECT_DOUBLE_EQ(num(row["low"]), test::accuracy(check, row["stage"]) - 0.01);
      EXPECT_DOUBLE_EQ(num(row["high"]), test::accuracy(check, row["stage"]) + 0.02);
    }
    // The interval drawn as error bars under the line.
    ASSERT_EQ(f.spec["layer"].size(), 2u);
    EXPECT_EQ(f.spec["layer"][0]["mark"]["type"], "errorbar");
    EXPECT_EQ(f.spec["layer"][0]["encoding"]["y2"]["field"], "high");
  }

  const std::vector<Figure> act = activation_figures(c);
  ASSERT_EQ(act.size(), 1u);
  ASSERT_EQ(act[0].spec["data"]["values"].size(), 2u * 3 * 5);
  for (const json& row : act[0].spec["data"]["values"]) {
    const auto& layers = test::csc_layers();
    const int l = static_cast<int>(std::find(layers.begin(), layers.end(), row["layer"]) - layers.begin());
    const int q = row["quantity"].get<std::string>().find("norm") != std::string::npos ? 0 : 1;
    EXPECT_DOUBLE_EQ(num(row["value"]), test::activation(q, l, row["stage"]));
  }
  // Layers coloured in network order as the cascading stages name them: fc1, conv2, conv1.
  EXPECT_EQ(act[0].spec["spec"]["encoding"]["color"]["sort"], json({"fc1", "conv2", "conv1"}));

  const std::vector<Figure> csc = csc_figures(c);
  ASSERT_EQ(csc.size(), 1u);
  ASSERT_EQ(csc[0].spec["data"]["values"].size(), 9u);
  for (const json& row : csc[0].spec["data"]["values"]) {
    const int m = method_index(row["method"]), d = row["depth"];
    EXPECT_EQ(row["layer"], test::csc_layers()[d]);
    EXPECT_DOUBLE_EQ(num(row["median"]), test::csc(m, d, 0));
    EXPECT_DOUBLE_EQ(num(row["q1"]), test::csc(m, d, 1));
    EXPECT_DOUBLE_EQ(num(row["q3"]), test::csc(m, d, 2));
  }
  // One panel per family of methods; each draws its methods' quartile band and median line, the
  // random-vector baseline, and the layers in network order.
  const json& panels = csc[0].spec["concat"];
  ASSERT_GE(panels.size(), 1u);
  std::set<std::string> drawn;
  for (const json& panel : panels) {
    ASSERT_EQ(panel["layer"].size(), 3u);
    for (const json& m : panel["layer"][1]["transform"][0]["filter"]["oneOf"]) drawn.insert(m.get<std::string>());
    const json& baseline = panel["layer"][2]["data"]["values"];
    ASSERT_EQ(baseline.size(), 3u);
    for (const json& row : baseline) EXPECT_DOUBLE_EQ(num(row["baseline"]), test::csc(0, row["depth"], 3));
    EXPECT_EQ(panel["layer"][1]["encoding"]["x"]["sort"], json({"fc1", "conv2", "conv1"}));
  }
  std::set<std::string> measured;
  for (const json& row : csc[0].spec["data"]["values"]) measured.insert(row["method"].get<std::string>());
  EXPECT_EQ(drawn, measured);  // every method with a CSC in exactly the panels' filters

  const std::vector<Figure> flip = faithfulness_figures(c);
  ASSERT_EQ(flip.size(), 1u);  // probabilities only: no logit curves stored
  EXPECT_EQ(flip[0].name, "run1_pixel_flipping_prob");
  EXPECT_EQ(flip[0].spec["facet"]["sort"], json(test::study_methods()));  // one panel per method
  EXPECT_EQ(flip[0].spec["spec"]["layer"].size(), 2u);  // band and line; no noise baseline to draw
  ASSERT_EQ(flip[0].spec["data"]["values"].size(), 3u * 2 * test::kSteps);
  for (const json& row : flip[0].spec["data"]["values"]) {
    const int m = method_index(row["method"]), o = row["order"] == "MoRF" ? 0 : 1, s = row["step"];
    const Summary e = over_images([&](int i) { return test::flip_prob(m, o, s, i); });
    EXPECT_NEAR(num(row["mean"]), e.mean, 1e-7);  // the store keeps curves at float32 precision
    EXPECT_NEAR(num(row["std"]), e.std, 1e-7);
  }

  // The MLP run has cascading only: no CSC, no pixel flipping, no data check.
  const RunContext mlp = make_run_context(study, study.runs()[1]);
  EXPECT_TRUE(csc_figures(mlp).empty());
  EXPECT_TRUE(faithfulness_figures(mlp).empty());
  EXPECT_EQ(similarity_figures(mlp).size(), 2u);
  EXPECT_EQ(mlp.prefix, "run2_");
}

TEST(ReportFigures, PixelFlippingPanelsCarryTheNoiseBaselinesMorfCurve) {
  // Two methods, two images, three steps: every panel gets the noise MoRF mean curve as a reference.
  const std::string dir = test::temp_dir("report-flip-noise");
  {
    ResultsStore store(dir + "/results.sqlite");
    const int64_t run = store.open_run({"cnn", "mnist:test:2", nullptr, 0});
    const std::vector<std::string> methods = {"gradient", "noise(distribution=normal)"};
    for (int m = 0; m < 2; m++) {
      std::vector<Measurement> rows;
      for (int i = 0; i < 2; i++)
        for (int s = 0; s < 3; s++) {
          rows.push_back({"morf_prob", 1.0 - 0.1 * (m + 1) * s - 0.01 * i, i, s});
          rows.push_back({"lerf_prob", 1.0 - 0.05 * s, i, s});
        }
      store.record_unit({run, "pixel_flipping", -1, methods[m]}, rows);
    }
  }
  test::write_text(dir + "/study.json", "{}");
  const Study study(dir);
  const RunContext c = make_run_context(study, study.runs()[0]);
  const std::vector<Figure> flip = faithfulness_figures(c);
  ASSERT_EQ(flip.size(), 1u);
  EXPECT_EQ(flip[0].spec["facet"]["sort"], json({"gradient", "noise(distribution=normal)"}));
  const json& layers = flip[0].spec["spec"]["layer"];
  ASSERT_EQ(layers.size(), 3u);
  const json& ref = layers[2]["data"]["values"];
  ASSERT_EQ(ref.size(), 3u);
  for (const json& row : ref) {
    const int s = row["step"];
    EXPECT_NEAR(num(row["mean"]), 1.0 - 0.2 * s - 0.005, 1e-12);  // noise (m = 1), mean of the two images
    EXPECT_EQ(row["series"], layers[2]["encoding"]["color"]["scale"]["domain"][2]);
  }
}

// RFC 4648 base64 to bytes (written here, not the report's encoder run backwards).
static std::vector<uchar> base64_bytes(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uchar> out;
  uint32_t bits = 0;
  int have = 0;
  for (char ch : text) {
    const size_t v = alphabet.find(ch);
    if (v == std::string::npos) break;  // '=' padding ends it
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if ((have += 6) >= 8) out.push_back(static_cast<uchar>((bits >> (have -= 8)) & 0xFF));
  }
  return out;
}

TEST(ReportFigures, SaliencyGridHasATilePerMethodAndStageAndLabelsRowsAndColumns) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-grid"));
  const Study study(st.dir);
  const RunContext c = make_run_context(study, study.runs()[0]);
  const MapsIndex index = read_maps_index(study.maps_dir(st.cnn));
  ASSERT_EQ(index.checks.size(), 2u);
  EXPECT_EQ(index.checks[0].name, "cascading");  // display order, not alphabetical
  EXPECT_EQ(index.checks[1].name, "data");

  const std::vector<Figure> one = saliency_grid_figures(c, index, 1);
  ASSERT_EQ(one.size(), 2u);  // 1 image x 2 checks
  const std::vector<Figure> all = saliency_grid_figures(c, index, 0);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].name, "run1_saliency_cascading_image17");
  const std::string& svg = one[0].svg;
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = svg.find(needle); at != std::string::npos; at = svg.find(needle, at + 1)) n++;
    return n;
  };
  // 3 methods x (input + 5 stages) tiles, and the colorbar.
  EXPECT_EQ(count("<image "), 3u * 6 + 1);
  EXPECT_EQ(count("data:image/png;base64,"), 3u * 6 + 1);
  for (const std::string& label : test::cascading_labels()) EXPECT_NE(svg.find(">" + label + "</text>"), std::string::npos) << label;
  for (const std::string& m : test::study_methods()) EXPECT_NE(svg.find(">" + m + "</text>"), std::string::npos) << m;
  EXPECT_NE(svg.find("image 3"), std::string::npos);
  EXPECT_EQ(one[1].name, "run1_saliency_data_image3");
  EXPECT_NE(one[1].svg.find(">permuted labels</text>"), std::string::npos);
  // The SVG file keeps the maps' own 28 x 28 pixels; the PNG is drawn from tiles upscaled 6 times
  // (rsvg-convert smooths scaled images), with nearest neighbours: blocks of 6 x 6 equal pixels.
  const auto first_tile = [](const std::string& svg) {
    const std::string uri = "data:image/png;base64,";
    const size_t at = svg.find(uri) + uri.size();
    return cv::imdecode(base64_bytes(svg.substr(at, svg.find('"', at) - at)), cv::IMREAD_GRAYSCALE);
  };
  const cv::Mat own = first_tile(svg), raster = first_tile(one[0].raster_svg);
  EXPECT_EQ(own.rows, 28);
  EXPECT_EQ(own.cols, 28);
  ASSERT_EQ(raster.rows, 168);
  for (int y = 0; y < 168; y++)
    for (int x = 0; x < 168; x++) ASSERT_EQ(raster.at<uchar>(y, x), own.at<uchar>(y / 6, x / 6)) << y << "," << x;
  EXPECT_EQ(count("<image "), 3u * 6 + 1);
  EXPECT_LT(svg.size() * 4, one[0].raster_svg.size());
}
