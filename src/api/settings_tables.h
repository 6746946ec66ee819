#pragma once
// The settings tables (core/settings.h) a user meets: the training recipe, the faithfulness
// protocol, the verdict rule and the report. `sanity list settings` prints them, docs/SETTINGS.md is
// their markdown (a test keeps it current) and the Python package builds its functions' arguments
// from them (sanity._sanity.settings).
#include <memory>
#include <string>
#include <vector>

#include "core/settings.h"

namespace sanity::api {

struct SettingsTable {
  std::string name;     // "faithfulness"
  std::string field;    // where a study configuration holds it ("faithfulness"); "" when it does not
  std::string takers;   // the commands and functions whose flags and arguments it makes
  const std::vector<Setting>* entries = nullptr;
  std::shared_ptr<const void> defaults;  // the struct with its own initializers
};

const std::vector<SettingsTable>& settings_tables();
// InputError naming the valid tables.
const SettingsTable& settings_table(const std::string& name);
std::string settings_text();
std::string settings_markdown();

}  // namespace sanity::api
