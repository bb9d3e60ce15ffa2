#include "bot/facility/effects.hpp"

#include <stdexcept>

#include "flows/tokyo_time.hpp"

namespace sapo::facility {
namespace {

using flows::Value;
using flows::Variables;
constexpr auto param = dispatch::effect_param;


/// `s` without spaces around it, and with no line breaks or control characters inside.
std::string clean(std::string s) {
    std::string out;
    for (char c : s) out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    auto b = out.find_first_not_of(' ');
    auto e = out.find_last_not_of(' ');
    return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

Variables checkin(const LinkMaker& links, const flows::Effect& e, dispatch::EffectContext& c) {
    auto code = param(e, "code");
    if (clean(code).empty()) return {{"status", Value("no_code")}};
    auto id = links.codes().facility_of(code);
    if (!id) return {{"status", Value("bad_code")}};
    const auto at = c.event_ms > 0 ? c.event_ms : c.clock.now_ms();
    auto r = c.store.facilities().check_in(
        c.user_id, *id, at, std::chrono::duration_cast<std::chrono::milliseconds>(kRepeatWindow).count()
    );
    if (!r.facility) return {{"status", Value("bad_code")}};  // a genuine code of a facility that never existed
    Variables out{{"facility", Value(r.facility->name)}, {"facility_id", Value(static_cast<double>(r.facility->id))}};
    if (r.facility->status != "active") {
        out["status"] = Value("closed");
        return out;
    }
    out["status"] = Value(r.recorded ? "ok" : "repeat");
    out["time"] = Value(flows::format_tokyo_time(r.at_ms, c.language));
    return out;
}

Variables register_facility(const LinkMaker& links, const flows::Effect& e, dispatch::EffectContext& c) {
    storage::NewFacility f;
    f.name = clean(param(e, "name"));
    f.kind = clean(param(e, "kind"));
    f.address = clean(param(e, "address"));
    f.phone = clean(param(e, "phone"));
    f.manager_user_id = c.user_id;
    if (f.name.empty() || f.kind.empty()) return {{"status", Value("incomplete")}};
    auto& store = c.store.facilities();
    auto created = store.create_facility(f);
    store.add_staff(created.id, c.user_id, "manager");
    auto l = links.links(created.id);
    return {
        {"status", Value("ok")},
        {"facility_id", Value(static_cast<double>(created.id))},
        {"name", Value(created.name)},
        {"code", Value(l.code)},
        {"checkin_text", Value(l.checkin_text)},
        {"checkin_url", Value(l.checkin_url)},
        {"qr_png_url", Value(l.qr_png_url)},
        // LINE shows image messages only from https addresses
        {"qr_image", Value(l.qr_png_url.rfind("https://", 0) == 0 ? "yes" : "no")},
        {"poster_url", Value(l.poster_url)},
    };
}

Variables staff_keyword(const LinkMaker& links, const flows::Effect&, dispatch::EffectContext& c) {
    auto managed = c.store.facilities().managed_by(c.user_id);
    if (managed.empty()) return {{"status", Value("not_manager")}};
    const auto& f = managed.front();  // the newest; managers of several get one at a time
    auto today = flows::tokyo_date(c.clock.now_ms());
    return {
        {"status", Value("ok")},
        {"facility", Value(f.name)},
        {"keyword", Value(links.codes().staff_keyword(f.id, today))},
        {"facilities", Value(static_cast<double>(managed.size()))},
    };
}

Variables join(const LinkMaker& links, const flows::Effect& e, dispatch::EffectContext& c) {
    auto id = links.codes().facility_of_keyword(param(e, "keyword"), flows::tokyo_date(c.clock.now_ms()));
    if (!id) return {{"status", Value("bad_keyword")}};
    auto& store = c.store.facilities();
    auto f = store.facility(*id);
    if (!f || f->status != "active") return {{"status", Value("bad_keyword")}};
    store.add_staff(f->id, c.user_id, "employee");
    return {{"status", Value("ok")}, {"facility", Value(f->name)}};
}

/// The facility effects need the code key and the service's addresses, known only when serving.
const LinkMaker& need(const LinkMaker* links) {
    if (!links) throw std::logic_error("facility effects are applied only by a serving sapo");
    return *links;
}

}  // namespace

void add_facility_effects(dispatch::EffectRegistry& registry, const LinkMaker* links) {
    registry.add(
        {"checkin.record", "Records a check-in at the facility of a code (once per 30 minutes).", {"code"},
         {"status", "facility", "facility_id", "time"}},
        [links](const flows::Effect& e, dispatch::EffectContext& c) { return checkin(need(links), e, c); }
    );
    registry.add(
        {"facility.register", "Registers a facility with the user as its manager.", {"name", "kind", "address", "phone"},
         {"status", "facility_id", "name", "code", "checkin_text", "checkin_url", "qr_png_url", "qr_image", "poster_url"}},
        [links](const flows::Effect& e, dispatch::EffectContext& c) { return register_facility(need(links), e, c); }
    );
    registry.add(
        {"facility.staff_keyword", "The day's employee keyword of the facility the user manages.", {},
         {"status", "facility", "keyword", "facilities"}},
        [links](const flows::Effect& e, dispatch::EffectContext& c) { return staff_keyword(need(links), e, c); }
    );
    registry.add(
        {"facility.join", "Makes the user an employee of the facility whose keyword they give.", {"keyword"},
         {"status", "facility"}},
        [links](const flows::Effect& e, dispatch::EffectContext& c) { return join(need(links), e, c); }
    );
}

}  // namespace sapo::facility
