#include "bot/notify/effects.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace sapo::notify {
namespace {

using flows::Value;
using flows::Variables;
constexpr auto param = dispatch::effect_param;


/// "18" (or "18.0", as a number may be rendered) -> "18:00"; empty when not a whole hour 0..24.
std::string hour_param(const std::string& s) {
    double h = -1;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), h);
    if (ec != std::errc{} || p != s.data() + s.size() || h < 0 || h > 24 || h != static_cast<int>(h)) return "";
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:00", static_cast<int>(h));
    return buf;
}

Variables staff_facility(const flows::Effect&, dispatch::EffectContext& c) {
    auto& store = c.store.facilities();
    auto facilities = store.staff_of(c.user_id);
    if (facilities.empty()) return {{"status", Value("not_staff")}};
    const auto& f = facilities.front();  // the newest; staff of several act for one at a time
    return {{"status", Value("ok")},
            {"facility", Value(f.name)},
            {"facility_id", Value(static_cast<double>(f.id))},
            {"role", Value(store.staff_role(f.id, c.user_id))}};
}

Variables request(const DraftSettings& settings, const flows::Effect& e, dispatch::EffectContext& c) {
    auto& store = c.store.facilities();
    auto facilities = store.staff_of(c.user_id);
    if (facilities.empty()) return {{"status", Value("not_staff")}};
    const auto& f = facilities.front();
    DraftRequest r;
    r.facility_id = f.id;
    r.date = param(e, "date");
    r.from = hour_param(param(e, "from_hour"));
    r.to = hour_param(param(e, "to_hour"));
    r.template_id = param(e, "template");
    r.requested_by = "line:" + store.staff_role(f.id, c.user_id);
    r.requested_by_user = c.user_id;
    std::vector<DraftProblem> problems;
    auto draft = prepare_draft(r, &f, shipped_notification_templates(), settings, c.clock.now_ms(), problems);
    if (!draft) {
        // the window problems the flow words for the manager; anything else is a call to the centre
        for (const auto& p : problems) {
            if (!p.code.empty()) return {{"status", Value(p.code)}};
        }
        if (!problems.empty() && problems.front().field == "to") return {{"status", Value("order")}};
        return {{"status", Value("invalid")}};
    }
    const auto id = store.request_notification(*draft);
    return {{"status", Value("ok")}, {"notification_id", Value(static_cast<double>(id))}};
}

}  // namespace

void add_notification_effects(dispatch::EffectRegistry& registry, const DraftSettings* settings) {
    registry.add(
        {"notification.staff_facility", "The facility the user acts for as its manager or employee.", {},
         {"status", "facility", "facility_id", "role"}},
        staff_facility
    );
    registry.add(
        {"notification.request", "Drafts a notification to the people who checked in at the user's facility.",
         {"date", "from_hour", "to_hour", "template"}, {"status", "notification_id"}},
        [settings](const flows::Effect& e, dispatch::EffectContext& c) {
            if (!settings) throw std::logic_error("notification effects are applied only by a serving sapo");
            return request(*settings, e, c);
        }
    );
}

}  // namespace sapo::notify
