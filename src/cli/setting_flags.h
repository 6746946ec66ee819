#pragma once
// CLI flags generated from a settings table (core/settings.h): one --flag per setting, with the
// setting's help and default. Given values are gathered as JSON by flag name and checked by the
// table when the command runs, so a flag refuses exactly what the study configuration refuses:
//   --patch 0  ->  --patch: expected an integer >= 1, got 0
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "core/settings.h"

namespace sanity::cli {

// What --help shows as a flag's default where it is not the struct's ("the recipe"); "": the struct's.
using DefaultNote = std::function<std::string(const Setting&)>;

// `defaults` gives the defaults shown in --help, `help_prefix` starts every flag's help ("verdicts: ").
void add_setting_flags(CLI::App* sub, const std::vector<Setting>& table, const void* defaults, nlohmann::json& given,
                       const std::string& help_prefix = "", const DefaultNote& note = nullptr);

template <class S>
void add_setting_flags(CLI::App* sub, const Settings<S>& settings, const S& defaults, nlohmann::json& given,
                       const std::string& help_prefix = "", const DefaultNote& note = nullptr) {
  add_setting_flags(sub, settings.entries(), &defaults, given, help_prefix, note);
}

}  // namespace sanity::cli
