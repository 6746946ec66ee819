// A broken study directory fails with one line naming the file and the field, before any figure
// is drawn (no external tool is needed to get there).
#include <filesystem>

#include "report/figures.h"
#include "report/maps_index.h"
#include "report/study.h"
#include "report_study.h"
#include "test_util.h"

using namespace sanity;
using namespace sanity::report;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// The grid of run 1 with index.json replaced by `index`.
void grid_with_index(const test::SyntheticStudy& st, const json& index) {
  test::write_text(st.dir + "/maps/1/index.json", index.dump());
  const Study study(st.dir);
  saliency_grid_figures(make_run_context(study, study.runs()[0]), read_maps_index(study.maps_dir(1)), 0);
}

}  // namespace

TEST(ReportErrors, StudyDirectoryFilesMissingOrInvalid) {
  const std::string dir = test::temp_dir("report-err-study");
  test::expect_input_error([&] { Study s(dir + "/absent"); }, "study directory '" + dir + "/absent' does not exist");
  test::expect_input_error([&] { Study s(dir); }, "results.sqlite is missing");

  { ResultsStore store(dir + "/results.sqlite"); }  // a valid store without runs
  test::expect_input_error([&] { Study s(dir); }, "no runs (table runs is empty)");
  test::write_text(dir + "/study.json", "{\"a\": ");
  test::expect_input_error([&] { Study s(dir); }, "study.json': not valid JSON");
  test::write_text(dir + "/study.json", "[1, 2]");
  test::expect_input_error([&] { Study s(dir); }, "study.json': expected a JSON object, got array");
  test::write_text(dir + "/study.json", "{}");
  test::expect_input_error([&] { Study s(dir); }, "no runs");

  test::write_text(dir + "/other.sqlite", std::string(4096, 'x'));
  fs::rename(dir + "/other.sqlite", dir + "/results.sqlite");
  EXPECT_THROW(Study s(dir), InputError);  // the store's own message: not a database
}

TEST(ReportErrors, AStageWithMeasurementsButNoLabel) {
  const std::string dir = test::temp_dir("report-err-label");
  {
    ResultsStore store(dir + "/results.sqlite");
    const int64_t run = store.open_run({"cnn", "mnist:test:1", nullptr, 0});
    store.label_stage(run, "cascading", 0, "original");
    store.record_unit({run, "cascading", 0, "gradient"}, {{"spearman_abs", 1.0, 0}});
    store.record_unit({run, "cascading", 1, "gradient"}, {{"spearman_abs", 0.5, 0}});
    // CSC and pixel flipping stages are not randomization stages: no label needed.
    store.record_unit({run, "csc", 0, "gradient"}, {{"csc_median", 0.2, -1, -1, "fc1"}});
  }
  test::write_text(dir + "/study.json", "{}");
  test::expect_input_error([&] { Study s(dir); }, "run 1 check 'cascading' stage 1 has measurements but no label in table stages");
}

TEST(ReportErrors, CscLayersMustKeepOneDepth) {
  const std::string dir = test::temp_dir("report-err-csc");
  {
    ResultsStore store(dir + "/results.sqlite");
    const int64_t run = store.open_run({"cnn", "mnist:test:1", nullptr, 0});
    store.record_unit({run, "csc", 0, "gradient"}, {{"csc_median", 0.2, -1, -1, "fc1"}});
    store.record_unit({run, "csc", 1, "gradient"}, {{"csc_median", 0.3, -1, -1, "conv1"}});
    store.record_unit({run, "csc", 0, "z_plus"}, {{"csc_median", 0.9, -1, -1, "conv1"}});
  }
  test::write_text(dir + "/study.json", "{}");
  const Study study(dir);
  test::expect_input_error([&] { csc_figures(make_run_context(study, study.runs()[0])); },
                           "check 'csc': depth 0 holds layers 'fc1' and 'conv1'");
}

TEST(ReportErrors, MapsIndexFieldsAndArrays) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-err-maps"));
  const std::string index_path = st.dir + "/maps/1/index.json";
  const json good = read_json(index_path);

  json bad = good;
  bad.erase("methods");
  test::expect_input_error([&] { grid_with_index(st, bad); }, "index.json': field 'methods' is missing");
  bad = good;
  bad["methods"][1]["file"] = "../escape";
  test::expect_input_error([&] { grid_with_index(st, bad); }, "field 'methods[1].file' must be a file-name stem without '/'");
  bad = good;
  bad["methods"][2]["file"] = "gradient";
  test::expect_input_error([&] { grid_with_index(st, bad); }, "field 'methods[2].file' repeats 'gradient'");
  bad = good;
  bad["images"] = json::array();
  test::expect_input_error([&] { grid_with_index(st, bad); }, "field 'images' must be a non-empty array");
  bad = good;
  bad["checks"]["cascading"][2]["stage"] = 1;
  test::expect_input_error([&] { grid_with_index(st, bad); }, "field 'checks.cascading[2].stage' must increase");
  bad = good;
  bad["checks"]["data"][0].erase("label");
  test::expect_input_error([&] { grid_with_index(st, bad); }, "field 'checks.data[0].label' is missing");
  bad = good;
  bad["images"] = {3, 17, 21};  // three ids, two images
  test::expect_input_error([&] { grid_with_index(st, bad); }, "images.npy': shape [2, 1, 28, 28], expected [3, 1 or 3, H, W]");
  test::write_text(index_path, "{\"images\": [1,");
  test::expect_input_error([&] { read_maps_index(st.dir + "/maps/1"); }, "index.json': not valid JSON");

  // Arrays: missing, wrong size, not finite.
  const std::string map = st.dir + "/maps/1/cascading/2/guided_backprop.npy";
  fs::remove(map);
  test::expect_input_error([&] { grid_with_index(st, good); }, "cascading/2/guided_backprop.npy' is missing");
  write_checked_npy(map, torch::zeros({2, 1, 14, 14}));
  test::expect_input_error([&] { grid_with_index(st, good); }, "guided_backprop.npy': shape [2, 1, 14, 14], expected [2, C, 28, 28]");
  torch::Tensor nan_map = torch::zeros({2, 1, 28, 28});
  nan_map[1][0][5][5] = std::nanf("");
  write_checked_npy(map, nan_map);
  test::expect_input_error([&] { grid_with_index(st, good); }, "guided_backprop.npy': expected finite");
  write_checked_npy(map, torch::ones({2, 3, 28, 28}));  // 3-channel maps are fine: summed |.| per pixel
  EXPECT_NO_THROW(grid_with_index(st, good));
  // Intact header and size over other content, or no checksum: not drawn.
  write_npy(map, torch::full({2, 3, 28, 28}, 2.0));
  test::expect_input_error([&] { grid_with_index(st, good); }, "guided_backprop.npy': its content does not match its checksum");
  fs::remove(map + ".sha256");
  test::expect_input_error([&] { grid_with_index(st, good); }, "guided_backprop.npy' has no checksum");
}

// `sanity check` writes no study.json (yet): the configuration then comes from each run's
// maps/<run>/config.json, or from the runs table for a run without one; a broken config.json is an
// error naming it.
TEST(ReportErrors, WithoutStudyJsonTheRunsConfigurationIsShown) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-no-study-json"));
  fs::remove(st.dir + "/study.json");
  test::write_text(st.dir + "/maps/1/config.json", R"({"methods": ["gradient"], "count": 20})");
  {
    const Study study(st.dir);
    EXPECT_NE(study.config_source().find("no study.json"), std::string::npos);
    const json& c = study.config();
    ASSERT_EQ(c.size(), 2u) << c;  // one entry per run
    EXPECT_EQ(c["run 1"]["source"], "maps/1/config.json");
    EXPECT_EQ(c["run 1"]["config"]["count"], 20);
    EXPECT_EQ(c["run 2"]["source"], "results.sqlite, table runs");  // the MLP run saved no maps
    EXPECT_EQ(c["run 2"]["config"]["model"], "mlp");
    EXPECT_EQ(c["run 2"]["sanity_version"], SANITY_VERSION);
  }
  test::write_text(st.dir + "/maps/1/config.json", "[1]");
  test::expect_input_error([&] { Study s(st.dir); }, "maps/1/config.json': expected a JSON object, got array");
  test::write_text(st.dir + "/study.json", "{\"x\": 1}");  // study.json, when present, wins
  EXPECT_EQ(Study(st.dir).config(), json({{"x", 1}}));
}
