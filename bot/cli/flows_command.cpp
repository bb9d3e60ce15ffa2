#include "bot/cli/flows_command.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "bot/assets.hpp"
#include "bot/cli/simulate.hpp"
#include "bot/dispatch/effects.hpp"
#include "bot/dispatch/flow_setup.hpp"
#include "flows/loader.hpp"
#include "storage/flow_store.hpp"

namespace sapo::cli {

const char* const kFlowsUsage = R"(usage: sapo flows <command>

  validate FILE...              check flow files; one line per problem; exit 1 if any
  import [DIR|FILE...]          load flows as drafts (default: ./flows/definitions, else
                                the flows built into this binary); identical ones are skipped
  publish ID                    publish the newest draft of ID if it is valid
  list                          every flow with its published and draft versions
  export ID [--version N]       print a flow version's JSON (default: the newest)
  simulate ID [--lang en] [--dir DIR]
                                talk to a flow in the terminal (no LINE, no database): the
                                shipped flows plus those in DIR; a number picks a quick
                                reply ('1 sends the text "1"), /follow adds the bot as a friend

options for import and publish:
  --as NAME                     who is acting, for the audit log (default: $USER)
)";

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;  // (name shown, content)

bool read_file(const std::string& path, std::string& content) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream s;
    s << f.rdbuf();
    content = s.str();
    return true;
}

/// The *.json files of a directory, or the given files; messages for unreadable ones.
bool read_inputs(const std::vector<std::string>& paths, Files& files) {
    bool ok = true;
    for (const auto& p : paths) {
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) {
            std::vector<std::string> found;
            for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
                if (e.path().extension() == ".json") found.push_back(e.path().string());
            }
            std::sort(found.begin(), found.end());
            for (const auto& f : found) {
                std::string content;
                if (read_file(f, content)) files.emplace_back(f, std::move(content));
            }
            continue;
        }
        std::string content;
        if (!read_file(p, content)) {
            std::cout << p << ": cannot read the file\n";
            ok = false;
            continue;
        }
        files.emplace_back(p, std::move(content));
    }
    return ok;
}

Files shipped() {
    Files files;
    for (const auto& f : assets::shipped_flows()) files.emplace_back("flows/definitions/" + f.path, std::string(f.content));
    return files;
}

/// The "id" of a flow document, if it has one, for goto checks across files.
std::string id_of(const std::string& json) {
    auto loaded = flows::load_flow(json, flows::Registry{});
    return loaded.id;
}

std::string actor_from(std::vector<std::string>& args) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--as") {
            auto name = args[i + 1];
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
            return "cli:" + name;
        }
    }
    const char* user = std::getenv("USER");
    return std::string("cli:") + (user && *user ? user : "unknown");
}

int validate(const std::vector<std::string>& paths) {
    if (paths.empty()) {
        std::cerr << "usage: sapo flows validate FILE...\n";
        return 2;
    }
    Files files;
    bool ok = read_inputs(paths, files);
    // A goto may name any flow given here or shipped with sapo.
    std::set<std::string> ids;
    for (const auto& id : dispatch::shipped_flow_ids()) ids.insert(id);
    for (const auto& [name, json] : files) {
        if (auto id = id_of(json); !id.empty()) ids.insert(id);
    }
    auto registry = dispatch::make_flow_registry(dispatch::all_effects(nullptr), {ids.begin(), ids.end()});
    std::size_t problems = 0;
    for (const auto& [name, json] : files) {
        auto loaded = flows::load_flow(json, registry);
        for (const auto& p : loaded.problems) std::cout << flows::format_problem(name, p) << "\n";
        problems += loaded.problems.size();
    }
    std::cerr << files.size() << (files.size() == 1 ? " file, " : " files, ") << problems
              << (problems == 1 ? " problem\n" : " problems\n");
    return ok && problems == 0 ? 0 : 1;
}

int import(std::vector<std::string> args, const std::function<Config()>& config) {
    auto actor = actor_from(args);
    Files files;
    bool ok = true;
    if (!args.empty()) {
        ok = read_inputs(args, files);
    } else if (std::error_code ec; std::filesystem::is_directory("flows/definitions", ec)) {
        // in a checkout: the files as they are now, edits included
        ok = read_inputs({"flows/definitions"}, files);
    } else {
        files = shipped();  // elsewhere: the flows this binary was built with
    }
    auto store = storage::make_pg_flow_store(config().database_url);
    std::set<std::string> ids;
    for (const auto& id : store->flow_ids()) ids.insert(id);
    for (const auto& [name, json] : files) {
        if (auto id = id_of(json); !id.empty()) ids.insert(id);
    }
    auto registry = dispatch::make_flow_registry(dispatch::all_effects(nullptr), {ids.begin(), ids.end()});
    for (const auto& [name, json] : files) {
        auto loaded = flows::load_flow(json, registry);
        if (!loaded.flow) {
            for (const auto& p : loaded.problems) std::cout << flows::format_problem(name, p) << "\n";
            std::cout << name << ": not imported\n";
            ok = false;
            continue;
        }
        auto r = store->put_draft(loaded.flow->id, json, actor, "flow.import");
        std::cout << loaded.flow->id << ": "
                  << (r.changed ? "draft version " + std::to_string(r.version)
                                : "unchanged (same as version " + std::to_string(r.version) + ")")
                  << "\n";
    }
    return ok ? 0 : 1;
}

int publish(std::vector<std::string> args, const std::function<Config()>& config) {
    auto actor = actor_from(args);
    if (args.size() != 1) {
        std::cerr << "usage: sapo flows publish ID [--as NAME]\n";
        return 2;
    }
    const auto& id = args[0];
    auto store = storage::make_pg_flow_store(config().database_url);
    auto r = dispatch::publish_draft(*store, dispatch::all_effects(nullptr), id, actor);
    switch (r.status) {
        case dispatch::PublishResult::Status::no_draft:
            std::cout << id << ": there is no draft to publish (sapo flows import, or PUT /admin/api/flows/" << id << "/draft)\n";
            return 1;
        case dispatch::PublishResult::Status::invalid:
            for (const auto& p : r.problems) std::cout << flows::format_problem(id + " draft", p) << "\n";
            std::cout << id << ": not published\n";
            return 1;
        case dispatch::PublishResult::Status::conflict:
            std::cout << id << ": the draft changed meanwhile; run publish again\n";
            return 1;
        case dispatch::PublishResult::Status::published:
            break;
    }
    std::cout << id << ": published version " << r.version << "\n";
    return 0;
}

int list(const std::function<Config()>& config) {
    auto store = storage::make_pg_flow_store(config().database_url);
    std::cout << "flow                 published  draft  updated\n";
    for (const auto& f : store->list()) {
        std::string id = f.flow_id;
        id.resize(std::max<std::size_t>(id.size(), 20), ' ');
        auto num = [](int v, std::size_t w) {
            std::string s = v ? std::to_string(v) : "-";
            s.resize(std::max(s.size(), w), ' ');
            return s;
        };
        std::cout << id << " " << num(f.published_version, 10) << " " << num(f.draft_version, 6) << " " << f.updated_at << "\n";
    }
    return 0;
}

int export_flow(std::vector<std::string> args, const std::function<Config()>& config) {
    std::optional<int> version;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--version" && i + 1 < args.size()) {
            try {
                version = std::stoi(args[i + 1]);
            } catch (const std::exception&) {
                std::cerr << "sapo: --version needs a number\n";
                return 2;
            }
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
            break;
        }
    }
    if (args.size() != 1) {
        std::cerr << "usage: sapo flows export ID [--version N]\n";
        return 2;
    }
    auto store = storage::make_pg_flow_store(config().database_url);
    auto record = store->get(args[0], version);
    if (!record) {
        std::cerr << args[0] << ": no such flow" << (version ? " version" : "") << "\n";
        return 1;
    }
    std::cout << record->definition;
    if (record->definition.empty() || record->definition.back() != '\n') std::cout << "\n";
    return 0;
}

int simulate_command(std::vector<std::string> args) {
    SimulateOptions options;
    std::string dir;
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if ((args[i] == "--lang" || args[i] == "--dir") && i + 1 < args.size()) {
            (args[i] == "--lang" ? options.language : dir) = args[i + 1];
            ++i;
        } else {
            rest.push_back(args[i]);
        }
    }
    if (rest.size() != 1) {
        std::cerr << "usage: sapo flows simulate ID [--lang en] [--dir DIR]\n";
        return 2;
    }
    options.flow_id = rest[0];
    if (const char* phone = std::getenv("SAPO_CALL_CENTER_PHONE")) options.call_center_phone = phone;
    // the shipped flows, then those of --dir (which replace shipped ones with the same file name)
    options.flows = shipped();
    if (!dir.empty()) {
        Files extra;
        if (!read_inputs({dir}, extra)) return 1;
        for (auto& [name, json] : extra) {
            auto base = std::filesystem::path(name).filename().string();
            std::erase_if(options.flows, [&](const auto& f) { return std::filesystem::path(f.first).filename() == base; });
            options.flows.emplace_back(std::move(name), std::move(json));
        }
    }
    return simulate(options, std::cin, std::cout, std::cerr);
}

}  // namespace

int flows_command(const std::vector<std::string>& args, const std::function<Config()>& config) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        (args.empty() ? std::cerr : std::cout) << kFlowsUsage;
        return args.empty() ? 2 : 0;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    const auto& command = args[0];
    if (command == "validate") return validate(rest);
    if (command == "import") return import(rest, config);
    if (command == "publish") return publish(rest, config);
    if (command == "list") return list(config);
    if (command == "export") return export_flow(rest, config);
    if (command == "simulate") return simulate_command(rest);
    std::cerr << "sapo: unknown flows command \"" << command << "\"\n" << kFlowsUsage;
    return 2;
}

}  // namespace sapo::cli
