#include "bot/support/effects.hpp"

#include <stdexcept>

#include "bot/assets.hpp"
#include "bot/log.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::support {
namespace {

using flows::Value;
using flows::Variables;
constexpr auto param = dispatch::effect_param;
constexpr std::int64_t kDayMs = 86'400'000;

/// The answers the questionnaire keeps (with consent), as the flow passes them.
constexpr const char* kAnswerParams[] = {"fever",      "temperature", "fever_days", "breathing", "fatigue",  "taste_smell",
                                         "cough",      "throat",      "conditions", "pregnant",  "contact"};

const SupportSettings& need(const SupportSettings* s) {
    if (!s) throw std::logic_error("questionnaire effects are applied only by a serving sapo");
    return *s;
}

Variables centre(const SupportSettings& s, const flows::Effect& e, dispatch::EffectContext& c) {
    const std::string postal = param(e, "postal_code");
    const Centre* found = postal.size() == 7 ? s.regions->find(postal) : s.regions->fallback();
    if (!found) throw std::runtime_error("no consultation centre, not even a fallback: config/regions is empty");
    const auto now = c.clock.now_ms();
    const bool open = open_at(*found, tokyo_weekday(now), flows::tokyo_minute_of_day(now));
    const Centre* line24 = s.regions->fallback();
    return {{"status", Value(found->prefix == "*" ? "fallback" : "found")},
            {"centre", Value(found->prefix)},
            {"name", Value(found->name(c.language))},
            {"phone", Value(found->phone)},
            {"hours", Value(found->hours_text(c.language))},
            {"url", Value(found->url)},
            {"open_now", Value(open ? "yes" : "no")},
            {"area", Value(postal.size() == 7 ? postal.substr(0, 3) : "")},
            {"line24_name", Value(line24 ? line24->name(c.language) : "")},
            {"line24_phone", Value(line24 && line24->all_day ? line24->phone : "")}};
}

Variables save(const SupportSettings& s, const flows::Effect& e, dispatch::EffectContext& c) {
    auto& tx = c.store.support();
    const auto now = c.clock.now_ms();
    const std::string outcome = param(e, "outcome");
    if (param(e, "consent") == "yes") {
        storage::QuestionnaireAnswer a;
        a.answered_ms = now;
        a.answered_date = flows::iso_date(flows::tokyo_date(now));
        a.outcome = outcome;
        if (auto age = param(e, "age"); !age.empty()) a.age_band = age;
        // the full postal code is not kept: its area is enough for the totals
        if (auto postal = param(e, "postal_code"); postal.size() == 7) a.area = postal.substr(0, 3);
        if (auto centre_prefix = param(e, "centre"); !centre_prefix.empty()) a.centre = centre_prefix;
        std::string answers = "{";
        for (const char* name : kAnswerParams) {
            const std::string v = param(e, name);
            if (v.empty()) continue;
            if (answers.size() > 1) answers += ',';
            answers += "\"" + std::string(name) + "\":\"" + log::json_escape(v) + "\"";
        }
        a.answers_json = answers + "}";
        tx.save_answer(a);
    }
    const bool wants_followup = (outcome == "B" || outcome == "C") && s.followup_days > 0;
    const bool scheduled = wants_followup && tx.schedule_followup(c.user_id, outcome, now + s.followup_days * kDayMs, now);
    if (!wants_followup) tx.drop_followup(c.user_id);  // told to call now: "how are you now?" later would be wrong
    return {{"followup", Value(scheduled ? "yes" : "no")}, {"followup_days", Value(s.followup_days)}};
}

}  // namespace

std::shared_ptr<const RegionTable> load_shipped_regions(const std::string& home) {
    auto table = std::make_shared<RegionTable>();
    bool home_found = false;
    for (const auto& file : assets::shipped_regions()) {
        std::vector<std::string> problems;
        auto t = parse_regions(file.content, problems);
        if (!problems.empty()) throw std::runtime_error("config/regions/" + file.path + ": " + problems.front());
        const bool is_home = file.path == home + ".csv";
        home_found = home_found || is_home;
        for (auto& centre : t.centres) {
            if (centre.prefix == "*" && !is_home) continue;  // one fallback: the home prefecture's
            table->centres.push_back(std::move(centre));
        }
    }
    if (!home_found) throw std::runtime_error("config/regions/" + home + ".csv is not built into this sapo (SAPO_SUPPORT_REGION)");
    return table;
}

void add_support_effects(dispatch::EffectRegistry& registry, const SupportSettings* settings) {
    registry.add({"support.centre", "The consultation centre for a postal code (or the prefecture-wide line) and whether it is open now.",
                  {"postal_code"},
                  {"status", "centre", "name", "phone", "hours", "url", "open_now", "area", "line24_name", "line24_phone"}},
                 [settings](const flows::Effect& e, dispatch::EffectContext& c) { return centre(need(settings), e, c); });
    registry.add({"support.save", "Keeps the consented answers (area only, no user) and schedules the follow-up of outcomes B and C.",
                  {"outcome", "consent"}, {"followup", "followup_days"}},
                 [settings](const flows::Effect& e, dispatch::EffectContext& c) { return save(need(settings), e, c); });
    registry.add({"support.stop", "配信停止: stops the user's follow-ups for good.", {}, {"status"}},
                 [](const flows::Effect&, dispatch::EffectContext& c) {
                     const bool was_pending = c.store.support().opt_out(c.user_id, c.clock.now_ms());
                     return Variables{{"status", Value(was_pending ? "stopped" : "none_pending")}};
                 });
}

}  // namespace sapo::support
