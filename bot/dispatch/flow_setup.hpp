#pragma once
/// @file
/// @brief What flows are checked against in this binary (its effects, its templates, the
/// settings placeholders may use), and installing the shipped flows into a fresh database.

#include <map>
#include <string>
#include <vector>

#include "bot/config.hpp"
#include "bot/dispatch/effects.hpp"
#include "bot/facility/links.hpp"
#include "bot/faq/effects.hpp"
#include "bot/health/effects.hpp"
#include "bot/support/effects.hpp"
#include "bot/notify/draft.hpp"
#include "flows/loader.hpp"
#include "flows/model.hpp"
#include "storage/flow_store.hpp"

namespace sapo::dispatch {

/// Every effect this sapo has: builtin_effects(), the facility, notification, FAQ, health and
/// questionnaire effects.
/// `links` and `notifications` may be null where effects are only validated or printed (sapo
/// flows validate, simulate).
EffectRegistry all_effects(const facility::LinkMaker* links, const notify::DraftSettings* notifications = nullptr,
                           std::shared_ptr<faq::Catalog> faq_catalog = nullptr, faq::Hours faq_hours = {},
                           const health::HealthSettings* health = nullptr,
                           const support::SupportSettings* support = nullptr);

/// Effects from `effects`, the shipped templates, the settings as globals; goto targets checked
/// against `flow_ids` (empty: not checked). Throws when a shipped template does not load.
flows::Registry make_flow_registry(const EffectRegistry& effects, std::vector<std::string> flow_ids = {});

/// A shipped message template that is not a flow's (templates/health/…, templates/support/…)
/// rendered for "ja" and "en" with `globals` filling its placeholders: language -> a JSON array of
/// LINE messages. Throws std::runtime_error when the file is missing or broken (a build defect).
std::map<std::string, std::string> shipped_message_json(const std::string& path, const flows::Variables& globals);

/// The placeholder values from the configuration: call_center_phone, emergency_phone, and the
/// health report's health_fever_alert, health_spo2_alert, health_morning ("9:00").
flows::Variables flow_globals(const Config& config);

/// Installs each shipped flow whose id the database has never seen, as published version 1.
/// Returns the ids installed. A shipped flow that does not validate is skipped with an error log.
std::vector<std::string> seed_shipped_flows(storage::FlowStore& store, const EffectRegistry& effects);

/// Ids of the flows with a published version, plus `also` (the flow being checked): what a goto
/// may name when a flow is published.
std::vector<std::string> published_flow_ids(storage::FlowStore& store, const std::string& also);

struct PublishResult {
    enum class Status { published, no_draft, invalid, conflict };
    Status status = Status::no_draft;
    int version = 0;
    std::vector<flows::Problem> problems;
};

/// Publishes the flow's draft if it is valid against this binary and the published flows (a
/// goto must name a flow that is published); refusals are audited. The exact document that was
/// validated is published, never one that replaced it meanwhile (then: conflict).
PublishResult publish_draft(storage::FlowStore& store, const EffectRegistry& effects, const std::string& flow_id,
                            const std::string& actor);

/// Ids of the shipped flows.
std::vector<std::string> shipped_flow_ids();

}  // namespace sapo::dispatch
