#include "bot/health/effects.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "bot/health/alerts.hpp"
#include "bot/health/enrollment.hpp"
#include "bot/log.hpp"
#include "bot/random.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::health {
namespace {

using flows::Value;
using flows::Variables;
constexpr auto param = dispatch::effect_param;

/// The answers a report keeps, as the flow passes them (yes/no/unknown, usual/not_usual/unknown).
constexpr const char* kAnswerParams[] = {"face",  "face_signs", "cough",         "breathing",  "breath_signs", "fatigue",
                                         "nausea", "diarrhea",   "consciousness", "mind_signs", "eating",       "urination"};

std::string today(const dispatch::EffectContext& c) { return flows::iso_date(flows::tokyo_date(c.clock.now_ms())); }

/// "2026-11-21" -> "11月21日" / "Nov 21"
std::string display_date(const std::string& iso, const std::string& language) {
    auto d = flows::parse_iso_date(iso);
    if (!d) return iso;
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (language == "en") return std::string(months[d->month - 1]) + " " + std::to_string(d->day);
    return std::to_string(d->month) + "月" + std::to_string(d->day) + "日";
}

Variables period(const storage::PatientRecord& p, const std::string& language) {
    return {{"from", Value(display_date(p.monitoring_from, language))}, {"to", Value(display_date(p.monitoring_to, language))}};
}

Variables with(Variables v, const char* key, Value value) {
    v[key] = std::move(value);
    return v;
}

Variables enrol(const flows::Effect& e, dispatch::EffectContext& c) {
    auto& h = c.store.health();
    const auto now = c.clock.now_ms();
    const auto day = today(c);
    if (auto current = h.patient_of(c.user_id); current && current->monitoring_to >= day) {
        return with(period(*current, c.language), "status", Value("already"));
    }
    auto failures = h.failed_attempts(c.user_id, now - kLookbackMs);
    if (auto until = locked_until(failures, now)) {
        // while locked nothing is recorded, so the lock ends when it said it would
        const auto minutes = static_cast<double>((*until - now + 59'999) / 60'000);
        return {{"status", Value("locked")}, {"locked_minutes", Value(minutes)}};
    }
    auto fail = [&](const char* status) {
        h.record_attempt(c.user_id, now, false);
        failures.push_back(now);
        if (auto until = locked_until(failures, now)) {
            return Variables{{"status", Value("locked")},
                             {"locked_minutes", Value(static_cast<double>((*until - now + 59'999) / 60'000))}};
        }
        int recent = 0;
        for (auto f : failures) recent += f > now - kFailureWindowMs ? 1 : 0;
        return Variables{{"status", Value(status)}, {"attempts_left", Value(kMaxFailures - recent)}};
    };
    auto code = read_enrollment_code(param(e, "code"));
    if (!code) return fail("bad_code");
    auto patient = h.patient_by_code(*code);
    if (!patient || patient->ended_ms) return fail("bad_code");
    if (patient->code_expires_ms && *patient->code_expires_ms <= now) return fail("expired");
    if (patient->monitoring_to < day) return fail("expired");
    h.link(patient->id, c.user_id, now, day);
    h.record_attempt(c.user_id, now, true);
    return with(period(*patient, c.language), "status", Value("ok"));
}

Variables begin(const flows::Effect&, dispatch::EffectContext& c) {
    auto patient = c.store.health().patient_of(c.user_id);
    if (!patient) return {{"status", Value("not_enrolled")}};
    auto out = period(*patient, c.language);
    const auto day = today(c);
    if (day < patient->monitoring_from) return with(out, "status", Value("not_started"));
    if (day > patient->monitoring_to) return with(out, "status", Value("ended"));
    out["status"] = Value("ok");
    out["date"] = Value(day);  // the report counts for the day it began, even if finished after midnight
    out["oximeter"] = Value(patient->pulse_oximeter ? "yes" : "no");
    out["run"] = Value(random_hex(8));
    return out;
}

void raise(const HealthSettings& settings, const flows::Effect& e, dispatch::EffectContext& c) {
    auto& h = c.store.health();
    auto patient = h.patient_of(c.user_id);
    if (!patient) return;  // unlinked meanwhile: nobody to alert about
    const auto now = c.clock.now_ms();
    const std::string reason = param(e, "reason");
    const std::string detail = param(e, "detail");
    const bool fresh = h.raise_alert(patient->id, param(e, "run"), reason, detail, now);
    log::warn("health alert", {{"patient", std::to_string(patient->id)}, {"reason", reason}, {"new", fresh ? "yes" : "no"}});
    if (!fresh || settings.alert_group.empty()) return;
    h.queue_push(settings.alert_group,
                 alert_push_json({patient->id, patient->label, patient->phone.value_or(""), reason, detail, now}));
}

std::optional<double> number(const std::string& s) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

void save(const flows::Effect& e, dispatch::EffectContext& c) {
    auto& h = c.store.health();
    auto patient = h.patient_of(c.user_id);
    if (!patient) return;
    storage::NewReport r;
    r.patient_id = patient->id;
    r.run = param(e, "run");
    r.completed_ms = c.clock.now_ms();
    // the day the report began (health.begin's date); today when the flow passes none
    const std::string began = param(e, "date");
    r.report_date = flows::parse_iso_date(began) && began <= today(c) ? began : today(c);
    if (auto t = number(param(e, "temperature")); t && *t >= 30 && *t <= 45) r.temperature = std::round(*t * 10) / 10;
    if (auto s = number(param(e, "spo2")); s && *s >= 0 && *s <= 100) r.spo2 = static_cast<int>(std::lround(*s));
    std::string answers = "{";
    for (const char* name : kAnswerParams) {
        const std::string v = param(e, name);
        if (v.empty()) continue;
        if (answers.size() > 1) answers += ',';
        answers += "\"" + std::string(name) + "\":\"" + log::json_escape(v) + "\"";
    }
    answers += "}";
    r.answers_json = answers;
    h.save_report(r);
}

}  // namespace

void add_health_effects(dispatch::EffectRegistry& registry, const HealthSettings* settings) {
    registry.add({"health.enrol", "Links the LINE user to the patient holding the enrollment code (5 wrong codes in 10 minutes lock enrolment for 30).",
                  {"code"}, {"status", "from", "to", "attempts_left", "locked_minutes"}},
                 enrol);
    registry.add({"health.begin", "Whether the user may report today: their patient, period, and whether to ask SpO2.", {},
                  {"status", "from", "to", "date", "oximeter", "run"}},
                 begin);
    registry.add({"alert.raise", "Stores a red flag for the user's patient and pushes it to the operators' LINE group.",
                  {"run", "reason"}, {}, true},
                 [settings](const flows::Effect& e, dispatch::EffectContext& c) {
                     if (!settings) throw std::logic_error("health effects are applied only by a serving sapo");
                     raise(*settings, e, c);
                     return Variables{};
                 });
    registry.add({"health.save", "Stores the user's complete health report (its flags: the alerts its conversation raised).",
                  {"run"}, {}},
                 [](const flows::Effect& e, dispatch::EffectContext& c) {
                     save(e, c);
                     return Variables{};
                 });
}

}  // namespace sapo::health
