#pragma once
/// @file
/// @brief The data sapo ships, built into the binary: flows/definitions/*.json and
/// templates/*.json as they were at build time. `sapo serve` installs shipped flows that a fresh
/// database lacks; `sapo flows import` without a directory imports them as drafts.

#include <string>
#include <string_view>
#include <vector>

namespace sapo::assets {

struct File {
    std::string path;  ///< relative to its folder, e.g. "welcome.json"
    std::string_view content;
};

const std::vector<File>& shipped_flows();
const std::vector<File>& shipped_templates();
/// config/faq/*.json: the starter FAQ a fresh database gets.
const std::vector<File>& shipped_faq();
/// config/regions/*.csv: consultation centres by postal code (path = file name).
const std::vector<File>& shipped_regions();

}  // namespace sapo::assets
