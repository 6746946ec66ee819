#include "api/settings_tables.h"

#include "core/error.h"
#include "faithfulness/faithfulness.h"
#include "models/train.h"
#include "report/report.h"
#include "stats/verdicts.h"

namespace sanity::api {
namespace {

template <class S>
SettingsTable table_of(std::string name, std::string field, std::string takers, const Settings<S>& settings) {
  return {std::move(name), std::move(field), std::move(takers), &settings.entries(), std::make_shared<const S>()};
}

}  // namespace

const std::vector<SettingsTable>& settings_tables() {
  static const std::vector<SettingsTable> tables = {
      table_of("train", "models[].train, models[].permuted_train",
               "`sanity train`. The defaults below are the recipe's starting point: each model's recipe "
               "(recommended_train_options) sets its own epochs, lr and batch_size",
               train_settings()),
      table_of("faithfulness", "faithfulness", "`sanity faithfulness`, `sanity.faithfulness()`", faithfulness_settings()),
      table_of("verdicts", "verdicts", "`sanity report` and `sanity.report()` override the study's rule", verdict_settings()),
      table_of("report", "", "`sanity report`, `sanity.report()`", report::report_settings())};
  return tables;
}

const SettingsTable& settings_table(const std::string& name) {
  std::string valid;
  for (const SettingsTable& t : settings_tables()) {
    if (t.name == name) return t;
    valid += (valid.empty() ? "" : ", ") + t.name;
  }
  throw InputError("settings '" + name + "': no such table; valid: " + valid);
}

std::string settings_text() {
  std::string s;
  for (const SettingsTable& t : settings_tables()) {
    s += t.name + (t.field.empty() ? "" : " (study configuration: " + t.field + ")") + "; " + t.takers + "\n";
    for (const Setting& e : *t.entries)
      s += "  " + e.key + " = " + setting_value_text(e.get(t.defaults.get())) + "  (" + e.expected() + ") " + e.help + "\n";
  }
  return s;
}

std::string settings_markdown() {
  std::string s =
      "# Settings\n\nGenerated from the settings tables by `sanity list settings --markdown` (a test keeps this file "
      "current). Each table is declared once in the code; the study configuration's fields, the CLI flags and the "
      "Python arguments come from it and refuse the same values. A flag is the field's last part with `-` for `_`; "
      "the Python argument is the flag with `_`.\n\n";
  for (const SettingsTable& t : settings_tables()) {
    s += "## " + t.name + "\n\n" + (t.field.empty() ? "Not in the study configuration" : "Study configuration: `" + t.field + "`") +
         ". Flags and arguments: " + t.takers + ".\n\n";
    s += sanity::settings_markdown(*t.entries, t.defaults.get(), t.field.empty() || t.field.find(',') != std::string::npos ? "" : t.field + ".") + "\n";
  }
  return s;
}

}  // namespace sanity::api
