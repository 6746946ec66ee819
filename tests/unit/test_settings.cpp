// Settings tables (core/settings.h): one declaration per setting, read and written the same way by
// the study configuration, the CLI flags and the Python arguments (python/tests/test_settings.py).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/settings_tables.h"
#include "core/error.h"
#include "core/settings.h"
#include "study/study_config.h"
#include "test_util.h"

namespace sanity {
namespace {

struct Inner {
  double sigma = 5;
};

struct Outer {
  int64_t patch = 9;
  std::string mode = "fast";
  bool verbose = false;
  double alpha = 0.05;
  Inner inner;
};

const Settings<Outer>& outer_settings() {
  static const Settings<Outer> table =
      Settings<Outer>()
          .integer("patch", &Outer::patch, "side", Bounds::at_least(1))
          .choice("mode", &Outer::mode, {"fast", "exact"}, "how")
          .boolean("verbose", &Outer::verbose, "talk")
          .number("alpha", &Outer::alpha, "level", Bounds::between(0, 1, true, true))
          .nested("inner", &Outer::inner, Settings<Inner>().number("sigma", &Inner::sigma, "blur", Bounds::above(0)))
          .flag("inner_sigma");
  return table;
}

TEST(Settings, ATableReadsWritesAndRefusesOneWay) {
  const auto& t = outer_settings();
  EXPECT_EQ(t.to_json(Outer{}), nlohmann::json::parse(
                                    R"({"patch": 9, "mode": "fast", "verbose": false, "alpha": 0.05, "inner": {"sigma": 5.0}})"));
  Outer o;
  t.apply(nlohmann::json::parse(R"({"patch": 3, "inner": {"sigma": 2.5}, "mode": null})"), o, config_field("c.json", "x"));
  EXPECT_EQ(o.patch, 3);
  EXPECT_EQ(o.inner.sigma, 2.5);
  EXPECT_EQ(o.mode, "fast");  // null: the default
  Outer back;
  t.apply(t.to_json(o), back, config_field("c.json", "x"));
  EXPECT_EQ(t.to_json(back), t.to_json(o));

  const auto refuse = [&](const char* json, const std::string& message) {
    Outer s;
    test::expect_input_error([&] { t.apply(nlohmann::json::parse(json), s, config_field("c.json", "x")); }, message);
  };
  refuse(R"({"patch": 0})", "c.json: field 'x.patch': expected an integer >= 1, got 0");
  refuse(R"({"patch": 2.5})", "field 'x.patch': expected an integer >= 1, got 2.5");
  refuse(R"({"alpha": 1})", "field 'x.alpha': expected a number in (0, 1), got 1");
  refuse(R"({"mode": "slow"})", "field 'x.mode': expected fast or exact, got \"slow\"");
  refuse(R"({"verbose": 1})", "field 'x.verbose': expected true or false, got 1");
  refuse(R"({"inner": {"sigma": 0}})", "field 'x.inner.sigma': expected a number > 0, got 0");
  refuse(R"({"inner": 3})", "field 'x.inner': expected a JSON object, got 3");
  refuse(R"({"paches": 3})", "field 'x.paches': unknown field; expected patch, mode, verbose, alpha or inner.sigma");

  // Flags: flat names, values from text.
  Outer f;
  t.apply_flags({{"inner_sigma", t.entries().back().from_text("1.5")}, {"patch", t.entries()[0].from_text("+4")}}, f, cli_flag());
  EXPECT_EQ(f.inner.sigma, 1.5);
  EXPECT_EQ(f.patch, 4);
  test::expect_input_error([&] { t.apply_flags({{"patch", t.entries()[0].from_text("0x10")}}, f, cli_flag()); },
                           "--patch: expected an integer >= 1, got \"0x10\"");
  test::expect_input_error([&] { t.apply_flags({{"sigma", 2}}, f, python_argument("sanity.f")); },
                           "sanity.f: argument sigma: unknown setting; expected patch, mode, verbose, alpha or inner_sigma");
  EXPECT_EQ(t.entries()[3].from_text("inf"), "inf");  // refused as text, not as null
}

TEST(Settings, AStudyConfigurationRecordsEveryTableAsItReadsIt) {
  nlohmann::json given = nlohmann::json::parse(
      R"({"faithfulness": {"pixel_flipping": {"patch": 7}}, "verdicts": {"alpha": 0.01},
          "models": [{"builtin": "cnn", "train": {"epochs": 2, "lr_schedule": "constant"}}]})");
  const StudyConfig c = parse_study_config(given, "my.json");
  EXPECT_EQ(c.faithfulness.pixel_flipping.patch, 7);
  EXPECT_EQ(c.verdicts.alpha, 0.01);
  EXPECT_EQ(c.models[0].train.lr_schedule, "constant");
  const nlohmann::json written = c.to_json();
  EXPECT_EQ(written["faithfulness"], faithfulness_settings().to_json(c.faithfulness));
  EXPECT_EQ(written["models"][0]["train"], train_settings().to_json(c.models[0].train));
  EXPECT_EQ(parse_study_config(written, "again").to_json(), written);
  test::expect_input_error([&] { parse_study_config(nlohmann::json::parse(R"({"verdicts": {"resamples": 0}})"), "my.json"); },
                           "my.json: field 'verdicts.resamples': expected an integer in [1, 1000000], got 0");
}

// A value the setting refuses: below its bounds, or a word that is no number and no choice; text
// settings refuse only the empty text.
std::string refused_text(const Setting& s) {
  if (s.kind == Setting::Kind::Text) return "";
  if ((s.kind == Setting::Kind::Integer || s.kind == Setting::Kind::Number) && std::isfinite(s.bounds.min)) return "-1e9";
  return "nosuch";
}

// Every setting of the CLI's tables is a flag that refuses a bad value in one line naming it and what
// it expects, before any work: the flags are made from the tables, not written beside them.
TEST(Settings, EveryFlagComesFromItsTable) {
  const std::string dir = test::temp_dir("settings_flags");
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"train", "train --model mlp --out " + dir + "/t"},
      {"faithfulness", "faithfulness --model mlp --data mnist --methods gradient --out " + dir + "/f"},
      {"report", "report --study " + dir},
      {"verdicts", "report --study " + dir}};
  for (const auto& [table, command] : commands) {
    for (const Setting& s : *api::settings_table(table).entries) {
      std::string flag = "--" + s.flag;
      std::replace(flag.begin(), flag.end(), '_', '-');
      const auto r = test::run_cli(command + " " + flag + "='" + refused_text(s) + "'");
      EXPECT_EQ(r.exit_code, 2) << table << " " << flag << ": " << r.output;
      EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
      // CLI11 refuses an empty value itself (", 1 required STRING missing"), naming the flag too.
      const std::string says = s.kind == Setting::Kind::Text ? flag + ": " : flag + ": expected " + s.expected() + ", got ";
      EXPECT_NE(r.output.find(says), std::string::npos) << r.output;
    }
  }
}

TEST(Settings, DocsSettingsIsTheCurrentListing) {
  std::ifstream in(std::string(SANITY_SOURCE_DIR) + "/docs/SETTINGS.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const test::CommandResult md = test::run_cli("list settings --markdown");
  ASSERT_EQ(md.exit_code, 0);
  EXPECT_EQ(doc.str(), md.output) << "docs/SETTINGS.md is out of date: build/sanity list settings --markdown > docs/SETTINGS.md";
}

}  // namespace
}  // namespace sanity
