// write_report and `sanity report`: the files it writes (SVG and PNG per figure, one HTML file that
// holds the charts' specs and the libraries), and what the user is told when a tool is missing.
// Needs node with the npm packages and rsvg-convert, as scripts/setup.sh installs them.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "metrics/aggregate.h"
#include "report/report.h"
#include "report_study.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The specs report.html embeds, by figure name. A plain scan: std::regex recurses once per
// character and overflows the stack on a long spec under AddressSanitizer.
std::map<std::string, json> embedded_specs(const std::string& html) {
  std::map<std::string, json> out;
  const std::string open = "<script type=\"application/json\" id=\"spec-", close = "</script>";
  for (size_t at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const size_t name = at + open.size(), quote = html.find('"', name);
    const size_t body = html.find('>', quote) + 1, end = html.find(close, body);
    if (quote == std::string::npos || end == std::string::npos) break;
    out[html.substr(name, quote - name)] = json::parse(html.substr(body, end - body));
  }
  return out;
}

// An SVG's width and height attributes.
std::pair<double, double> svg_size(const std::string& svg) {
  std::smatch m;
  const std::string head = svg.substr(0, svg.find('>'));
  EXPECT_TRUE(std::regex_search(head, m, std::regex("width=\"([0-9.]+)\" height=\"([0-9.]+)\""))) << head;
  return {std::stod(m[1]), std::stod(m[2])};
}

}  // namespace

TEST(ReportWrite, WritesSvgPngAndOneHtmlWhoseChartsHoldTheStoredNumbers) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-write"));
  report::ReportOptions options;
  options.grid_images = 1;
  const report::ReportFiles files = report::write_report(st.dir, "", options);
  EXPECT_EQ(files.html, st.dir + "/report/report.html");

  // run 1: 8 similarity + 3 accuracy + 1 activation + 2 grids + 1 csc + 1 pixel flipping + 2 ranking;
  // run 2: 2 similarity + 1 accuracy + 1 activation + 2 ranking. Each as SVG and PNG.
  EXPECT_EQ(files.figures.size(), 2u * (18 + 6));
  for (size_t i = 0; i < files.figures.size(); i += 2) {
    const std::string& svg_path = files.figures[i];
    const std::string& png_path = files.figures[i + 1];
    SCOPED_TRACE(svg_path);
    const std::string svg = read(svg_path);
    ASSERT_GT(svg.size(), 2000u);
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    const auto [w, h] = svg_size(svg);
    EXPECT_GT(w, 150);
    EXPECT_GT(h, 120);
    const cv::Mat png = cv::imread(png_path, cv::IMREAD_COLOR);
    ASSERT_FALSE(png.empty());
    // Zoom 2: twice the SVG's size (rsvg rounds up to whole pixels).
    EXPECT_NEAR(png.cols, 2 * w, 2);
    EXPECT_NEAR(png.rows, 2 * h, 2);
    // Not blank: a white background with a fair amount of ink on it.
    cv::Mat grey, ink;
    cv::cvtColor(png, grey, cv::COLOR_BGR2GRAY);
    cv::threshold(grey, ink, 200, 255, cv::THRESH_BINARY_INV);
    const double inked = cv::countNonZero(ink) / static_cast<double>(png.total());
    EXPECT_GT(inked, 0.01);
    EXPECT_LT(inked, 0.9);
  }
  // The legend of a similarity figure names every method; the SVG is drawn text, not a picture of it.
  const std::string casc = read(st.dir + "/report/figures/run1_similarity_cascading_spearman_abs.svg");
  for (const std::string& m : test::study_methods()) EXPECT_NE(casc.find(">" + m + "</text>"), std::string::npos) << m;
  EXPECT_TRUE(fs::exists(st.dir + "/report/figures/run1_similarity_cascading_spearman_abs.vl.json"));

  const std::string html = read(files.html);
  // One file: the libraries are inlined, nothing is fetched.
  EXPECT_NE(html.find("<script data-package=\"vega\">"), std::string::npos);
  EXPECT_NE(html.find("<script data-package=\"vega-lite\">"), std::string::npos);
  EXPECT_NE(html.find("<script data-package=\"vega-embed\">"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex("(src|href)=\"(https?:)?//"))) << "an external reference";
  EXPECT_EQ(html.find("<link rel=\"stylesheet\""), std::string::npos);
  // The page's own markup (before the inlined libraries) refers to nothing but data: URIs, and the
  // Content-Security-Policy forbids any request the browser might still try. (A plain scan: std::regex
  // recurses per character and the data URIs are long.) The saliency grids are inline SVG, their tiles
  // PNG data URIs: the two grids of run 1, cascading (3 methods x (the input + 5 stages)) and data
  // (3 x (1 + 2)), each with its colour bar.
  const std::string markup = html.substr(0, html.find("<script data-package="));
  const auto count = [&](const std::string& what, const char* must_start) {
    int n = 0;
    for (size_t at = markup.find(what); at != std::string::npos; at = markup.find(what, at + 1), n++)
      if (must_start) EXPECT_EQ(markup.compare(at + what.size(), std::strlen(must_start), must_start), 0) << markup.substr(at, 80);
    return n;
  };
  EXPECT_EQ(count(" src=\"", "data:"), 0);
  EXPECT_EQ(count("xlink:href=\"", "data:image/png;base64,"), 3 * 6 + 1 + 3 * 3 + 1);
  EXPECT_EQ(count("<div class=\"grid\"", nullptr), 2);
  EXPECT_NE(html.find("content=\"default-src 'none';"), std::string::npos);
  // Options and versions: study.json's fields and the runs table.
  EXPECT_NE(html.find("sanity run --model cnn --data mnist"), std::string::npos);
  EXPECT_NE(html.find("<code>mlp</code>"), std::string::npos);
  // The MLP run saved no maps: the report says so.
  EXPECT_NE(html.find("No saliency maps were saved for this run"), std::string::npos);

  // Each embedded spec is the figure's data: the cascading similarity means and stds over images,
  // recomputed from the generating function.
  const auto specs = embedded_specs(html);
  EXPECT_EQ(specs.size(), 16u + 6u);  // every Vega-Lite figure (not the two grids)
  ASSERT_TRUE(specs.count("run1_similarity_cascading_spearman_abs"));
  const json& values = specs.at("run1_similarity_cascading_spearman_abs")["data"]["values"];
  ASSERT_EQ(values.size(), 15u);
  for (const json& row : values) {
    const auto& methods = test::study_methods();
    const int m = static_cast<int>(std::find(methods.begin(), methods.end(), row["method"]) - methods.begin());
    std::vector<double> v;
    for (int i = 0; i < test::kImages; i++) v.push_back(test::similarity("cascading", m, row["stage"], 0, i));
    const Summary s = summarize(v);
    EXPECT_NEAR(row["mean"].get<double>(), s.mean, 1e-12) << row;
    if (row["stage"] != 0) EXPECT_NEAR(row["std"].get<double>(), s.std, 1e-12) << row;
  }
  // And the same spec was written next to the figure.
  EXPECT_EQ(json::parse(read(st.dir + "/report/figures/run1_similarity_cascading_spearman_abs.vl.json")),
            specs.at("run1_similarity_cascading_spearman_abs"));
  // The ranking table is in the page as a table too, with the rank correlation matrix.
  EXPECT_NE(html.find("<table class=\"ranking\">"), std::string::npos);
  EXPECT_NE(html.find("Rank correlation between the rankings"), std::string::npos);
}

TEST(ReportWrite, CliWritesTheReportAndBadStudiesExitTwoWithOneLine) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-cli"));
  const std::string out = st.dir + "/elsewhere";
  test::CommandResult r = test::run_cli("report --study " + st.dir + " --out " + out + " --images 1 --zoom 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote " + out + "/report.html (48 figure files)"), std::string::npos) << r.output;
  const cv::Mat png = cv::imread(out + "/figures/run1_csc.png");
  const auto [w, h] = svg_size(read(out + "/figures/run1_csc.svg"));
  EXPECT_NEAR(png.cols, w, 1);  // zoom 1
  EXPECT_NEAR(png.rows, h, 1);

  r = test::run_cli("report --study " + st.dir + "/nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;

  test::write_text(st.dir + "/study.json", "{\"a\": ");
  r = test::run_cli("report --study " + st.dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(st.dir + "/study.json': not valid JSON"), std::string::npos) << r.output;
}

// `sanity check` writes maps/<run>/index.json before the maps: a run in progress lists maps not yet
// written. Its grid is left out with a note; the rest of the report is drawn.
TEST(ReportWrite, MapsNotYetWrittenLeaveOutThatGridWithANote) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-partial-maps"));
  fs::remove_all(st.dir + "/maps/1/data/1");
  report::ReportOptions options;
  options.grid_images = 1;
  const report::ReportFiles files = report::write_report(st.dir, "", options);
  EXPECT_EQ(files.figures.size(), 2u * (17 + 6));  // one grid fewer than the full study
  EXPECT_TRUE(fs::exists(st.dir + "/report/figures/run1_saliency_cascading_image3.png"));
  EXPECT_FALSE(fs::exists(st.dir + "/report/figures/run1_saliency_data_image3.png"));
  const std::string html = read(files.html);
  EXPECT_NE(html.find("No saliency grid for check &#39;data&#39;: its maps are not all written yet"), std::string::npos);
}

TEST(ReportWrite, AMissingToolIsOneLineSayingWhatToInstall) {
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-tools"));
  report::ReportOptions o;
  o.node = "/nonexistent/node";
  test::expect_input_error([&] { report::write_report(st.dir, "", o); }, "Node.js ('/nonexistent/node') not found: install");
  o = {};
  o.rsvg_convert = "no-such-rsvg-convert";
  test::expect_input_error([&] { report::write_report(st.dir, "", o); }, "install Debian's librsvg2-bin");
  o = {};
  o.js_root = test::temp_dir("report-no-js");
  test::expect_input_error([&] { report::write_report(st.dir, "", o); }, "run `npm ci` in " + o.js_root);
  o = {};
  o.png_zoom = 0;
  test::expect_input_error([&] { report::write_report(st.dir, "", o); }, "--zoom: expected a number in (0, 16], got 0.0");
  // Nothing was written by the failed attempts.
  EXPECT_FALSE(fs::exists(st.dir + "/report"));
}
