#include "bot/dispatch/flow_setup.hpp"

#include <stdexcept>

#include "bot/assets.hpp"
#include "bot/log.hpp"
#include "flows/loader.hpp"

namespace sapo::dispatch {

flows::Registry make_flow_registry(const EffectRegistry& effects, std::vector<std::string> flow_ids) {
    flows::Registry r;
    r.effects = effects.specs();
    for (const auto& file : assets::shipped_templates()) {
        std::vector<std::string> problems;
        auto t = flows::load_template(file.content, problems);
        if (!t) throw std::runtime_error("templates/" + file.path + ": " + (problems.empty() ? "unreadable" : problems.front()));
        r.templates.emplace(t->id, std::move(*t));
    }
    r.globals = {"call_center_phone", "emergency_phone", "profile.language"};
    r.flow_ids = std::move(flow_ids);
    return r;
}

flows::Variables flow_globals(const Config& config) {
    return {
        {"call_center_phone", flows::Value(config.call_center_phone)},
        {"emergency_phone", flows::Value(config.emergency_phone)},
    };
}

std::vector<std::string> shipped_flow_ids() {
    std::vector<std::string> ids;
    for (const auto& file : assets::shipped_flows()) {
        auto id = file.path.substr(0, file.path.rfind('.'));
        ids.push_back(id);
    }
    return ids;
}

std::vector<std::string> seed_shipped_flows(storage::FlowStore& store, const EffectRegistry& effects) {
    auto registry = make_flow_registry(effects, shipped_flow_ids());
    std::vector<std::string> installed;
    for (const auto& file : assets::shipped_flows()) {
        auto loaded = flows::load_flow(file.content, registry);
        if (!loaded.flow) {
            for (const auto& p : loaded.problems) {
                log::error("a shipped flow is invalid", {{"problem", flows::format_problem(file.path, p)}});
            }
            continue;
        }
        if (store.seed(loaded.flow->id, std::string(file.content), "sapo (shipped flows)")) installed.push_back(loaded.flow->id);
    }
    return installed;
}

}  // namespace sapo::dispatch
