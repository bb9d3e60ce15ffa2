#include "bot/faq/shipped.hpp"

#include <stdexcept>

#include "bot/assets.hpp"

namespace sapo::faq {

std::vector<flows::faq::Entry> shipped_entries() {
    std::vector<flows::faq::Entry> all;
    for (const auto& file : assets::shipped_faq()) {
        std::vector<flows::faq::EntryProblem> problems;
        auto entries = flows::faq::parse_entries(file.content, problems);
        if (!problems.empty()) {
            throw std::runtime_error("config/faq/" + file.path + ": " + flows::faq::format_problem(problems.front()));
        }
        all.insert(all.end(), entries.begin(), entries.end());
    }
    std::vector<flows::faq::EntryProblem> problems;
    flows::faq::check_entries(all, problems);  // ids unique across files too
    if (!problems.empty()) throw std::runtime_error("config/faq: " + flows::faq::format_problem(problems.front()));
    return all;
}

}  // namespace sapo::faq
