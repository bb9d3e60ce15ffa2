#pragma once
/// @file
/// @brief FAQ entries: what an entry is, and the JSON form operators edit (config/faq/*.json,
/// PUT /admin/api/faq, sapo faq import|export). Pure: no I/O.

#include <string>
#include <string_view>
#include <vector>

namespace sapo::flows::faq {

struct Link {
    std::string label;
    std::string url;  ///< https://
};

struct Entry {
    std::string id;        ///< a-z, 0-9, '-' and '_', 1..64
    std::string category;
    std::string question;  ///< the canonical question, also shown as a choice
    std::vector<std::string> phrasings;  ///< other ways people ask it
    std::string answer_ja;
    std::string answer_en;
    std::vector<Link> links;
    bool enabled = true;
};

/// One problem with one entry (or the whole set: index -1), in a sentence.
struct EntryProblem {
    int index = -1;
    std::string id;
    std::string message;
};

/// Reads `{"entries": [...]}`, checking every entry (required fields, lengths, unique ids and
/// questions, https links); all problems are reported. On problems the result is empty.
std::vector<Entry> parse_entries(std::string_view json, std::vector<EntryProblem>& problems);

/// Reads one entry object (for PATCH, merged over `base`): the fields present replace base's.
/// Problems as above (index -1).
Entry parse_entry_patch(std::string_view json, const Entry& base, std::vector<EntryProblem>& problems);

/// Checks a whole set (ids and questions unique, each entry valid).
void check_entries(const std::vector<Entry>& entries, std::vector<EntryProblem>& problems);

/// `{"entries": [...]}` as parse_entries reads it.
std::string entries_json(const std::vector<Entry>& entries);
/// One entry as a JSON object.
std::string entry_json(const Entry& e);

/// "entry 3 (fever-what-to-do): …" for messages.
std::string format_problem(const EntryProblem& p);

}  // namespace sapo::flows::faq
