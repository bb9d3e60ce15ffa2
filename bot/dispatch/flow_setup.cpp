#include "bot/dispatch/flow_setup.hpp"

#include <stdexcept>

#include "bot/assets.hpp"
#include "bot/facility/effects.hpp"
#include "bot/notify/effects.hpp"
#include "bot/log.hpp"
#include "flows/loader.hpp"
#include "flows/render.hpp"

namespace sapo::dispatch {

EffectRegistry all_effects(const facility::LinkMaker* links, const notify::DraftSettings* notifications,
                           std::shared_ptr<faq::Catalog> faq_catalog, faq::Hours faq_hours,
                           const health::HealthSettings* health, const support::SupportSettings* support) {
    auto r = builtin_effects();
    facility::add_facility_effects(r, links);
    notify::add_notification_effects(r, notifications);
    faq::add_faq_effects(r, std::move(faq_catalog), faq_hours);
    health::add_health_effects(r, health);
    support::add_support_effects(r, support);
    return r;
}

flows::Registry make_flow_registry(const EffectRegistry& effects, std::vector<std::string> flow_ids) {
    flows::Registry r;
    r.effects = effects.specs();
    for (const auto& file : assets::shipped_templates()) {
        if (file.path.find('/') != std::string::npos) continue;  // notifications/: not flow messages
        std::vector<std::string> problems;
        auto t = flows::load_template(file.content, problems);
        if (!t) throw std::runtime_error("templates/" + file.path + ": " + (problems.empty() ? "unreadable" : problems.front()));
        r.templates.emplace(t->id, std::move(*t));
    }
    r.globals = {"call_center_phone", "emergency_phone", "profile.language", "health_fever_alert", "health_spo2_alert",
                 "health_morning"};
    r.flow_ids = std::move(flow_ids);
    return r;
}

std::map<std::string, std::string> shipped_message_json(const std::string& path, const flows::Variables& globals) {
    for (const auto& file : assets::shipped_templates()) {
        if (file.path != path) continue;
        std::vector<std::string> problems;
        auto t = flows::load_template(file.content, problems);
        if (!t) throw std::runtime_error("templates/" + path + ": " + (problems.empty() ? "unreadable" : problems.front()));
        auto lookup = [&globals](std::string_view name) {
            auto it = globals.find(name);
            return it == globals.end() ? flows::Value{} : it->second;
        };
        std::map<std::string, std::string> out;
        for (const char* language : {"ja", "en"}) out[language] = "[" + flows::render_template(*t, language, {}, lookup) + "]";
        return out;
    }
    throw std::runtime_error("templates/" + path + " is not built into this sapo");
}

flows::Variables flow_globals(const Config& config) {
    return {
        {"call_center_phone", flows::Value(config.call_center_phone)},
        {"emergency_phone", flows::Value(config.emergency_phone)},
        {"health_fever_alert", flows::Value(config.health_fever_alert)},
        {"health_spo2_alert", flows::Value(config.health_spo2_alert)},
        {"health_morning", flows::Value(std::to_string(config.health_morning_minute / 60) + ":" +
                                        (config.health_morning_minute % 60 < 10 ? "0" : "") +
                                        std::to_string(config.health_morning_minute % 60))},
    };
}

std::vector<std::string> published_flow_ids(storage::FlowStore& store, const std::string& also) {
    std::vector<std::string> ids{also};
    for (const auto& f : store.list()) {
        if (f.published_version > 0) ids.push_back(f.flow_id);
    }
    return ids;
}

PublishResult publish_draft(storage::FlowStore& store, const EffectRegistry& effects, const std::string& flow_id,
                            const std::string& actor) {
    PublishResult r;
    auto draft = store.draft(flow_id);
    if (!draft) return r;
    r.version = draft->version;
    auto loaded = flows::load_flow(draft->definition, make_flow_registry(effects, published_flow_ids(store, flow_id)));
    r.problems = std::move(loaded.problems);
    if (loaded.flow && loaded.flow->id != flow_id) {
        r.problems.push_back({"", "the draft's \"id\" is \"" + loaded.flow->id + "\", not \"" + flow_id + "\""});
    }
    if (!r.problems.empty()) {
        r.status = PublishResult::Status::invalid;
        store.audit(actor, "flow.publish.refused", flow_id, "{\"version\":" + std::to_string(draft->version) + "}");
        return r;
    }
    r.status = store.publish(flow_id, draft->version, draft->definition, actor) ? PublishResult::Status::published
                                                                                 : PublishResult::Status::conflict;
    return r;
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
