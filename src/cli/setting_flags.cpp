#include "cli/setting_flags.h"

namespace sanity::cli {
namespace {

// What --help shows for a setting's value: INTEGER, NUMBER, {ci,std}, STRING. Not CLI11's INT and
// TEXT, which require_well_formed_values would check a second way: the table's check is the one.
std::string value_name(const Setting& s) {
  switch (s.kind) {
    case Setting::Kind::Integer: return "INTEGER";
    case Setting::Kind::Number: return "NUMBER";
    case Setting::Kind::Boolean: return "{true,false}";
    case Setting::Kind::Text: return "STRING";
    case Setting::Kind::Choice: break;
  }
  std::string words;
  for (const auto& w : s.words) words += (words.empty() ? "" : ",") + w;
  return "{" + words + "}";
}

}  // namespace

void add_setting_flags(CLI::App* sub, const std::vector<Setting>& table, const void* defaults, nlohmann::json& given,
                       const std::string& help_prefix, const DefaultNote& note) {
  const SettingName flag = cli_flag();
  for (const Setting& s : table) {
    sub->add_option_function<std::string>(
           flag(s), [&given, s](const std::string& text) { given[s.flag] = s.from_text(text); }, help_prefix + s.help)
        ->type_name(value_name(s))
        ->default_str(note && !note(s).empty() ? note(s) : setting_value_text(s.get(defaults)));
  }
}

}  // namespace sanity::cli
