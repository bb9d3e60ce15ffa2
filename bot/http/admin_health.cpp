#include "bot/http/admin_health.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>

#include "bot/health/alerts.hpp"
#include "bot/health/enrollment.hpp"
#include "bot/http/admin_replies.hpp"
#include "bot/log.hpp"
#include "bot/phone_number.hpp"
#include "flows/tokyo_time.hpp"
#include "flows/value.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;
using admin::message;
using admin::not_allowed;
using admin::parse_id;
using admin::query_param;
using admin::reply;
using admin::write_string;
using admin::Writer;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
/// The longest monitoring period (HER-SYS's home care lasts days to weeks; a longer one is a typo).
constexpr std::int64_t kMaxPeriodDays = 60;
/// The HER-SYS items in report order, as the flow names them: the CSV's answer columns.
constexpr const char* kAnswerColumns[] = {"face",   "face_signs", "cough",         "breathing",  "breath_signs", "fatigue",
                                          "nausea", "diarrhea",   "consciousness", "mind_signs", "eating",       "urination"};

/// A calendar date sapo can store and mean: YYYY-MM-DD from 2000 to 2100.
bool plausible_date(const std::string& s) {
    auto d = flows::parse_iso_date(s);
    return d && d->year >= 2000 && d->year <= 2100;
}

/// "2026-11-21T10:05:00+09:00"
std::string iso_tokyo(std::int64_t ms) {
    const auto date = flows::tokyo_date(ms);
    const int minute = flows::tokyo_minute_of_day(ms);
    const int second = static_cast<int>(((ms % 60000) + 60000) % 60000 / 1000);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d+09:00", flows::iso_date(date).c_str(), minute / 60, minute % 60, second);
    return buf;
}

void write_time(Writer& w, const std::optional<std::int64_t>& ms) {
    if (ms) write_string(w, iso_tokyo(*ms));
    else w.Null();
}

void write_opt(Writer& w, const std::optional<std::string>& s) {
    if (s) write_string(w, *s);
    else w.Null();
}

std::string patient_json(const storage::PatientRecord& p, const std::string& today) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("id");
    w.Int64(p.id);
    w.Key("label");
    write_string(w, p.label);
    w.Key("monitoring_from");
    write_string(w, p.monitoring_from);
    w.Key("monitoring_to");
    write_string(w, p.monitoring_to);
    w.Key("phone");
    write_opt(w, p.phone);
    w.Key("risk");
    write_opt(w, p.risk);
    w.Key("pulse_oximeter");
    w.Bool(p.pulse_oximeter);
    w.Key("enrollment_code");
    write_opt(w, p.enrollment_code);
    w.Key("code_expires_at");
    write_time(w, p.enrollment_code ? p.code_expires_ms : std::nullopt);
    w.Key("enrolled");
    w.Bool(p.enrolled);
    w.Key("enrolled_at");
    write_time(w, p.enrolled_ms);
    w.Key("status");
    // ended by an operator, over by its dates, running, or not begun yet
    write_string(w, p.ended_ms                     ? "ended"
                    : p.monitoring_to < today      ? "finished"
                    : p.monitoring_from > today    ? "upcoming"
                                                   : "monitoring");
    w.Key("ended_at");
    write_time(w, p.ended_ms);
    w.Key("created_by");
    write_string(w, p.created_by);
    w.Key("created_at");
    write_time(w, p.created_ms);
    w.EndObject();
    return buf.GetString();
}

Response invalid(const Request& req, const std::map<std::string, std::string>& errors) {
    return admin::invalid_fields(req, "the patient", errors);
}

/// The body as a JSON object; a 400 response otherwise.
std::optional<Response> parse_body(const Request& req, rapidjson::Document& doc) {
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(req.body().data(), req.body().size());
    if (doc.HasParseError() && doc.GetParseError() == rapidjson::kParseErrorStringInvalidEncoding) {
        return message(req, 400, "the body is not UTF-8 text");
    }
    if (doc.HasParseError() || !doc.IsObject()) return message(req, 400, "the body must be a JSON object");
    return std::nullopt;
}

/// The fields a registration or a change may carry, checked one by one.
struct PatientFields {
    storage::PatientPatch patch;
    std::map<std::string, std::string> errors;
};

PatientFields read_fields(const rapidjson::Document& doc, bool creating) {
    PatientFields f;
    auto text = [&](const char* name, const rapidjson::Value& v, std::size_t max) -> std::optional<std::string> {
        if (!v.IsString()) {
            f.errors[name] = std::string(name) + " must be text";
            return std::nullopt;
        }
        std::string s(v.GetString(), v.GetStringLength());
        if (s.empty() || s.size() > max) {
            f.errors[name] = std::string(name) + " must be 1 to " + std::to_string(max) + " bytes of text";
            return std::nullopt;
        }
        if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
            f.errors[name] = std::string(name) + " must be one line of text, without control characters";
            return std::nullopt;
        }
        return s;
    };
    auto date = [&](const char* name, const rapidjson::Value& v) -> std::optional<std::string> {
        if (!v.IsString() || !plausible_date(v.GetString())) {
            f.errors[name] = std::string(name) + " must be a date as YYYY-MM-DD (Asia/Tokyo), e.g. 2026-11-21";
            return std::nullopt;
        }
        return std::string(v.GetString());
    };
    for (const auto& m : doc.GetObject()) {
        const std::string name = m.name.GetString();
        const auto& v = m.value;
        if (name == "label") {
            if (auto s = text("label", v, 100)) f.patch.label = s;
        } else if (name == "monitoring_from") {
            if (auto d = date("monitoring_from", v)) f.patch.monitoring_from = d;
        } else if (name == "monitoring_to") {
            if (auto d = date("monitoring_to", v)) f.patch.monitoring_to = d;
        } else if (name == "phone") {
            if (v.IsNull() && !creating) {
                f.patch.phone = std::optional<std::string>{};
            } else if (!v.IsString() || !is_phone_number(v.GetString())) {
                f.errors["phone"] = "phone must be a phone number such as 090-1234-5678 (digits, hyphens, spaces, parentheses, +)";
            } else {
                f.patch.phone = std::optional<std::string>{v.GetString()};
            }
        } else if (name == "risk") {
            if (v.IsNull() && !creating) {
                f.patch.risk = std::optional<std::string>{};
            } else if (auto s = text("risk", v, 100)) {
                f.patch.risk = std::optional<std::string>{*s};
            }
        } else if (name == "pulse_oximeter") {
            if (!v.IsBool()) f.errors["pulse_oximeter"] = "pulse_oximeter must be true or false";
            else f.patch.pulse_oximeter = v.GetBool();
        } else if (name == "ended" && !creating) {
            if (!v.IsBool() || !v.GetBool()) f.errors["ended"] = "ended can only be true (monitoring cannot be restarted; register again)";
            else f.patch.end = true;
        } else {
            f.errors[name] = creating ? "unknown field; use label, monitoring_from, monitoring_to, phone, risk, pulse_oximeter"
                                      : "unknown field; use label, monitoring_from, monitoring_to, phone, risk, pulse_oximeter, ended";
        }
    }
    if (creating) {
        for (const char* required : {"label", "monitoring_from", "monitoring_to"}) {
            if (!doc.HasMember(required)) f.errors[required] = std::string(required) + " is required";
        }
    }
    return f;
}

/// The period's own rules: it ends on or after it starts, lasts at most kMaxPeriodDays, and a new
/// one does not end in the past.
void check_period(const std::string& from, const std::string& to, const std::string& today, bool creating,
                  std::map<std::string, std::string>& errors) {
    auto f = flows::parse_iso_date(from);
    auto t = flows::parse_iso_date(to);
    if (!f || !t) return;
    if (*t < *f) {
        errors["monitoring_to"] = "monitoring_to must be on or after monitoring_from (" + from + ")";
    } else if (flows::days_from_civil(*t) - flows::days_from_civil(*f) >= kMaxPeriodDays) {
        errors["monitoring_to"] = "a monitoring period can be at most " + std::to_string(kMaxPeriodDays) + " days";
    } else if (creating && to < today) {
        errors["monitoring_to"] = "monitoring_to (" + to + ") is already over; today is " + today;
    }
}

std::string csv_field(const std::string& s) {
    // a cell that a spreadsheet would run as a formula is kept as text
    std::string v = (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
                        ? "'" + s
                        : s;
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string number_text(double v) { return flows::display(flows::Value(v)); }

void write_flags(Writer& w, const std::vector<std::string>& flags) {
    w.StartArray();
    for (const auto& f : flags) write_string(w, f);
    w.EndArray();
}

std::string alert_json(const storage::AlertRecord& a) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("id");
    w.Int64(a.id);
    w.Key("patient_id");
    w.Int64(a.patient_id);
    w.Key("label");
    write_string(w, a.label);
    w.Key("phone");
    write_opt(w, a.phone);
    w.Key("reason");
    write_string(w, a.reason);
    w.Key("reason_text");
    w.StartObject();
    w.Key("ja");
    write_string(w, health::reason_text(a.reason, "ja"));
    w.Key("en");
    write_string(w, health::reason_text(a.reason, "en"));
    w.EndObject();
    w.Key("detail");
    write_string(w, a.detail);
    w.Key("raised_at");
    write_string(w, iso_tokyo(a.raised_ms));
    w.Key("state");
    write_string(w, a.state);
    w.Key("acked_by");
    write_opt(w, a.acked_by);
    w.Key("acked_at");
    write_time(w, a.acked_ms);
    w.EndObject();
    return buf.GetString();
}

}  // namespace

std::string day_reports_csv(const std::string& date, const std::vector<storage::DayReport>& reports) {
    std::string out = "\xEF\xBB\xBF";  // BOM: Excel reads UTF-8 Japanese correctly only with it
    out += "patient_id,label,date,completed,completed_at,reports,temperature,spo2";
    for (const char* c : kAnswerColumns) out += std::string(",") + c;
    out += ",flags\r\n";
    for (const auto& r : reports) {
        rapidjson::Document answers;
        answers.Parse(r.answers_json.c_str());
        out += std::to_string(r.patient_id) + "," + csv_field(r.label) + "," + date + "," + (r.completed ? "yes" : "no") + "," +
               (r.completed_ms ? iso_tokyo(*r.completed_ms) : "") + "," + std::to_string(r.reports) + "," +
               (r.temperature ? number_text(*r.temperature) : "") + "," + (r.spo2 ? std::to_string(*r.spo2) : "");
        for (const char* c : kAnswerColumns) {
            out += ",";
            if (answers.IsObject() && answers.HasMember(c) && answers[c].IsString()) out += csv_field(answers[c].GetString());
        }
        std::string flags;
        for (const auto& f : r.flags) flags += (flags.empty() ? "" : " ") + f;
        out += "," + csv_field(flags) + "\r\n";
    }
    return out;
}

std::string AdminHealth::today() const { return flows::iso_date(flows::tokyo_date(clock_.now_ms())); }

Response AdminHealth::patients(const Request& req, const std::string& rest, const std::string& actor) {
    const auto method = req.method();
    if (rest.empty()) {
        if (method == bhttp::verb::post) return create_patient(req, actor);
        if (method != bhttp::verb::get) return not_allowed(req, "GET, POST");
        std::string body = "[";
        const auto day = today();
        for (const auto& p : store_.patients(1000)) body += (body.size() > 1 ? "," : "") + patient_json(p, day);
        return reply(req, 200, body + "]");
    }
    auto parts = rest.substr(1);
    auto slash = parts.find('/');
    auto id = parse_id(parts.substr(0, slash));
    if (!id) return message(req, 404, "no patient \"" + parts.substr(0, slash) + "\"");
    auto action = slash == std::string::npos ? "" : parts.substr(slash + 1);
    if (action == "enrollment-code") {
        if (method != bhttp::verb::post) return not_allowed(req, "POST");
        const auto expires = clock_.now_ms() + settings_.code_valid_days * kDayMs;
        auto p = store_.renew_code(*id, health::make_enrollment_code, expires, actor);
        if (!p) {
            auto existing = store_.patient(*id);
            if (!existing) return message(req, 404, "no patient " + std::to_string(*id));
            return message(req, 409, existing->enrolled ? "the patient has already linked their LINE account; no code is needed"
                                                        : "monitoring of this patient has ended");
        }
        log::info("enrollment code renewed", {{"patient", std::to_string(*id)}, {"by", actor}});
        return reply(req, 200, patient_json(*p, today()));
    }
    if (!action.empty()) return message(req, 404, "not found");
    if (method == bhttp::verb::patch) return update_patient(req, *id, actor);
    if (method != bhttp::verb::get) return not_allowed(req, "GET, PATCH");
    auto p = store_.patient(*id);
    if (!p) return message(req, 404, "no patient " + std::to_string(*id));
    return reply(req, 200, patient_json(*p, today()));
}

Response AdminHealth::create_patient(const Request& req, const std::string& actor) {
    rapidjson::Document doc;
    if (auto bad = parse_body(req, doc)) return *bad;
    auto f = read_fields(doc, true);
    const auto day = today();
    if (f.patch.monitoring_from && f.patch.monitoring_to) {
        check_period(*f.patch.monitoring_from, *f.patch.monitoring_to, day, true, f.errors);
    }
    if (!f.errors.empty()) return invalid(req, f.errors);
    storage::NewPatient p;
    p.label = *f.patch.label;
    p.monitoring_from = *f.patch.monitoring_from;
    p.monitoring_to = *f.patch.monitoring_to;
    p.phone = f.patch.phone.value_or(std::nullopt);
    p.risk = f.patch.risk.value_or(std::nullopt);
    p.pulse_oximeter = f.patch.pulse_oximeter.value_or(false);
    p.created_by = actor;
    const auto expires = clock_.now_ms() + settings_.code_valid_days * kDayMs;
    auto created = store_.create_patient(p, health::make_enrollment_code, expires);
    log::info("patient registered", {{"patient", std::to_string(created.id)}, {"by", actor}});
    auto res = reply(req, 201, patient_json(created, day));
    res.set(bhttp::field::location, "/admin/api/patients/" + std::to_string(created.id));
    return res;
}

Response AdminHealth::update_patient(const Request& req, std::int64_t id, const std::string& actor) {
    rapidjson::Document doc;
    if (auto bad = parse_body(req, doc)) return *bad;
    auto f = read_fields(doc, false);
    if (!f.errors.empty()) return invalid(req, f.errors);
    auto current = store_.patient(id);
    if (!current) return message(req, 404, "no patient " + std::to_string(id));
    if (current->ended_ms && !f.patch.end) return message(req, 409, "monitoring of this patient has ended; register again");
    check_period(f.patch.monitoring_from.value_or(current->monitoring_from), f.patch.monitoring_to.value_or(current->monitoring_to),
                 today(), false, f.errors);
    if (!f.errors.empty()) return invalid(req, f.errors);
    auto updated = store_.update_patient(id, f.patch, actor);
    if (!updated) return message(req, 404, "no patient " + std::to_string(id));
    log::info(f.patch.end ? "patient monitoring ended" : "patient updated", {{"patient", std::to_string(id)}, {"by", actor}});
    return reply(req, 200, patient_json(*updated, today()));
}

Response AdminHealth::health(const Request& req, const std::string& rest) {
    if (rest == "reports" || rest == "reports.csv") {
        if (req.method() != bhttp::verb::get) return not_allowed(req, "GET");
        return reports(req, rest == "reports.csv");
    }
    if (rest == "missing") {
        if (req.method() != bhttp::verb::get) return not_allowed(req, "GET");
        return missing(req);
    }
    if (rest == "prompts") {
        if (req.method() != bhttp::verb::post) return not_allowed(req, "POST");
        return prompts(req);
    }
    return message(req, 404, "not found; use /admin/api/health/reports, reports.csv, missing or prompts");
}

namespace {

/// ?date= (default today); nullopt when malformed.
std::optional<std::string> date_param(const Request& req, const std::string& today) {
    auto d = query_param(req, "date");
    if (!d) return today;
    if (!plausible_date(*d)) return std::nullopt;
    return d;
}

}  // namespace

Response AdminHealth::reports(const Request& req, bool csv) {
    auto date = date_param(req, today());
    if (!date) return message(req, 400, "date must be YYYY-MM-DD (Asia/Tokyo), e.g. ?date=2026-11-21");
    auto rows = store_.day_reports(*date);
    if (csv) {
        auto res = reply(req, 200, day_reports_csv(*date, rows));
        res.set(bhttp::field::content_type, "text/csv; charset=utf-8");
        res.set(bhttp::field::content_disposition, "attachment; filename=\"health-reports-" + *date + ".csv\"");
        return res;
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartArray();
    for (const auto& r : rows) {
        w.StartObject();
        w.Key("patient_id");
        w.Int64(r.patient_id);
        w.Key("label");
        write_string(w, r.label);
        w.Key("date");
        write_string(w, *date);
        w.Key("completed");
        w.Bool(r.completed);
        w.Key("completed_at");
        write_time(w, r.completed_ms);
        w.Key("reports");
        w.Int(r.reports);
        w.Key("temperature");
        if (r.temperature) w.Double(*r.temperature);
        else w.Null();
        w.Key("spo2");
        if (r.spo2) w.Int(*r.spo2);
        else w.Null();
        w.Key("answers");
        w.RawValue(r.answers_json.data(), r.answers_json.size(), rapidjson::kObjectType);
        w.Key("flags");
        write_flags(w, r.flags);
        w.EndObject();
    }
    w.EndArray();
    return reply(req, 200, buf.GetString());
}

Response AdminHealth::missing(const Request& req) {
    const auto day = today();
    auto date = date_param(req, day);
    if (!date) return message(req, 400, "date must be YYYY-MM-DD (Asia/Tokyo), e.g. ?date=2026-11-21");
    if (*date > day) return message(req, 422, "date " + *date + " is in the future; today is " + day);
    // today, before the cut-off, only those who can't be prompted are listed: the rest may still answer
    const bool all = *date < day || flows::tokyo_minute_of_day(clock_.now_ms()) >= settings_.missing_minute;
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartArray();
    for (const auto& m : store_.missing(*date, all)) {
        w.StartObject();
        w.Key("patient_id");
        w.Int64(m.patient_id);
        w.Key("label");
        write_string(w, m.label);
        w.Key("phone");
        write_opt(w, m.phone);
        w.Key("reason");
        write_string(w, m.reason);
        w.Key("prompted");
        w.Bool(m.prompted);
        w.Key("reminded");
        w.Bool(m.reminded);
        w.EndObject();
    }
    w.EndArray();
    auto res = reply(req, 200, buf.GetString());
    res.set("X-Sapo-List-Complete", all ? "true" : "false");
    return res;
}

Response AdminHealth::prompts(const Request& req) {
    rapidjson::Document doc;
    if (auto bad = parse_body(req, doc)) return *bad;
    std::optional<storage::PromptSlot> slot;
    if (doc.HasMember("slot") && doc["slot"].IsString()) slot = storage::parse_prompt_slot(doc["slot"].GetString());
    if (!slot || doc.MemberCount() != 1) {
        return invalid(req, {{"slot", "slot must be \"morning\", \"reminder\" or \"closing\" (and the only field)"}});
    }
    const int queued = scheduler_.run_now(*slot);
    return reply(req, 200, std::string("{\"slot\":\"") + storage::prompt_slot_name(*slot) + "\",\"date\":\"" +
                               scheduler_.today() + "\",\"queued\":" + std::to_string(queued) + "}");
}

Response AdminHealth::alerts(const Request& req, const std::string& rest, const std::string& actor) {
    if (rest.empty()) {
        if (req.method() != bhttp::verb::get) return not_allowed(req, "GET");
        auto state = query_param(req, "state").value_or("");
        if (state != "" && state != "open" && state != "acknowledged") {
            return message(req, 400, "state must be open or acknowledged (or left out for all)");
        }
        std::string body = "[";
        for (const auto& a : store_.alerts(state, 500)) body += (body.size() > 1 ? "," : "") + alert_json(a);
        return reply(req, 200, body + "]");
    }
    auto parts = rest.substr(1);
    auto slash = parts.find('/');
    auto id = parse_id(parts.substr(0, slash));
    auto action = slash == std::string::npos ? "" : parts.substr(slash + 1);
    if (!id || action != "ack") return message(req, 404, "not found; use POST /admin/api/alerts/{id}/ack");
    if (req.method() != bhttp::verb::post) return not_allowed(req, "POST");
    switch (store_.acknowledge(*id, actor)) {
        case storage::HealthStore::AckResult::not_found:
            return message(req, 404, "no alert " + std::to_string(*id));
        case storage::HealthStore::AckResult::already:
            return message(req, 409, "alert " + std::to_string(*id) + " was already acknowledged");
        case storage::HealthStore::AckResult::acknowledged:
            break;
    }
    log::info("alert acknowledged", {{"alert", std::to_string(*id)}, {"by", actor}});
    for (const auto& a : store_.alerts("", 500)) {
        if (a.id == *id) return reply(req, 200, alert_json(a));
    }
    return reply(req, 200, "{\"id\":" + std::to_string(*id) + ",\"state\":\"acknowledged\"}");
}

}  // namespace sapo::http
