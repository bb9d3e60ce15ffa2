#include "bot/cli/faq_command.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bot/faq/shipped.hpp"
#include "storage/faq_store.hpp"

namespace sapo::cli {

const char* const kFaqUsage = R"(usage: sapo faq <command>   (よくある質問)

  import [FILE]      replace the FAQ with the entries of FILE ({"entries": [...]}, as
                     config/faq/starter.json); without FILE, the set built into this binary.
                     Every problem is printed and nothing changes when there is one.
  export             print the FAQ as JSON (the same form import reads)

options:
  --as NAME          who is acting, for the audit log (default: $USER)
)";

int faq_command(const std::vector<std::string>& raw, const std::function<Config()>& load) {
    std::vector<std::string> args;
    std::string actor;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == "--as" && i + 1 < raw.size()) actor = "cli:" + raw[++i];
        else args.push_back(raw[i]);
    }
    if (actor.empty()) {
        const char* user = std::getenv("USER");
        actor = std::string("cli:") + (user && *user ? user : "unknown");
    }
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        (args.empty() ? std::cerr : std::cout) << kFaqUsage;
        return args.empty() ? 2 : 0;
    }
    const auto& cmd = args[0];
    if (cmd == "export" && args.size() == 1) {
        auto store = storage::make_pg_faq_store(load().database_url);
        std::cout << flows::faq::entries_json(store->entries()) << "\n";
        return 0;
    }
    if (cmd != "import" || args.size() > 2) {
        std::cerr << "sapo faq: unknown command or extra words; see sapo faq --help\n";
        return 2;
    }
    std::vector<flows::faq::Entry> entries;
    std::string source = "the FAQ built into sapo";
    if (args.size() == 2) {
        source = args[1];
        std::ifstream f(source, std::ios::binary);
        if (!f) {
            std::cerr << "sapo faq: can't read " << source << "\n";
            return 1;
        }
        std::ostringstream s;
        s << f.rdbuf();
        std::vector<flows::faq::EntryProblem> problems;
        entries = flows::faq::parse_entries(s.str(), problems);
        for (const auto& p : problems) std::cerr << source << ": " << flows::faq::format_problem(p) << "\n";
        if (!problems.empty()) return 1;
        if (entries.empty()) {
            std::cerr << source << ": no entries\n";
            return 1;
        }
    } else {
        entries = faq::shipped_entries();
    }
    auto store = storage::make_pg_faq_store(load().database_url);
    const auto version = store->replace(entries, actor);
    std::cout << entries.size() << " FAQ entries imported from " << source << " (version " << version << ")\n";
    return 0;
}

}  // namespace sapo::cli
