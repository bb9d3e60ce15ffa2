#include "bot/notify/draft.hpp"

#include <charconv>
#include <cstdio>

#include "bot/phone_number.hpp"
#include "flows/tokyo_time.hpp"
#include "flows/value.hpp"

namespace sapo::notify {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kTokyoOffsetMs = 9 * 3'600'000;
constexpr std::size_t kMaxParamBytes = 300;

/// Minutes since midnight of "HH:MM" (00:00..24:00), or -1.
int minutes_of(const std::string& s) {
    if (s.size() != 5 || s[2] != ':') return -1;
    int h = 0;
    int m = 0;
    auto r1 = std::from_chars(s.data(), s.data() + 2, h);
    auto r2 = std::from_chars(s.data() + 3, s.data() + 5, m);
    if (r1.ec != std::errc() || r1.ptr != s.data() + 2 || r2.ec != std::errc() || r2.ptr != s.data() + 5) return -1;
    if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
    return h * 60 + m;
}


bool valid_url(const std::string& s) {
    if (s.rfind("https://", 0) != 0 || s.size() <= 8 || s.size() > 1000) return false;
    for (unsigned char c : s) {
        if (c <= 0x20 || c == 0x7f) return false;
    }
    return true;
}

std::string tokyo_date_text(std::int64_t ms) { return flows::iso_date(flows::tokyo_date(ms)); }

std::string hh_mm(int minutes) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", (minutes / 60) % 100, minutes % 60);
    return buf;
}

}  // namespace

std::optional<Window> check_window(const std::string& date, const std::string& from, const std::string& to,
                                   std::int64_t now_ms, int retention_days, std::vector<DraftProblem>& problems) {
    const auto before = problems.size();
    auto day = flows::parse_iso_date(date);
    if (!day) problems.push_back({"date", "date must be a day as YYYY-MM-DD (Asia/Tokyo), e.g. 2026-11-20"});
    const int from_min = minutes_of(from);
    const int to_min = minutes_of(to);
    if (from_min < 0 || from_min == 24 * 60) problems.push_back({"from", "from must be a time as HH:MM between 00:00 and 23:59"});
    if (to_min < 0) problems.push_back({"to", "to must be a time as HH:MM between 00:01 and 24:00"});
    if (problems.size() != before) return std::nullopt;
    if (to_min <= from_min) {
        problems.push_back({"to", "to (" + to + ") must be later than from (" + from + ") on the same day"});
        return std::nullopt;
    }
    Window w{date, from, to, 0, 0};
    const std::int64_t midnight = flows::days_from_civil(*day) * kDayMs - kTokyoOffsetMs;
    w.start_ms = midnight + from_min * 60'000LL;
    w.end_ms = midnight + to_min * 60'000LL;
    if (w.start_ms > now_ms) {
        problems.push_back({"from", "the window starts in the future (now is " + flows::format_tokyo_time(now_ms, "en") +
                                        " in Tokyo): nobody can have checked in yet",
                            "future"});
    } else if (w.end_ms > now_ms) {
        problems.push_back({"to", "the window has not ended yet (now is " + flows::format_tokyo_time(now_ms, "en") +
                                      " in Tokyo): set to to a time that has passed, so that everyone in it is told",
                            "not_ended"});
    }
    const std::int64_t oldest = now_ms - static_cast<std::int64_t>(retention_days) * kDayMs;
    if (w.start_ms < oldest) {
        problems.push_back({"date", "check-ins are kept for " + std::to_string(retention_days) +
                                        " days: the window must start after " + tokyo_date_text(oldest) + " " +
                                        hh_mm(flows::tokyo_minute_of_day(oldest)) + " (Asia/Tokyo)",
                            "too_old"});
    }
    if (problems.size() != before) return std::nullopt;
    return w;
}

std::string format_date(const std::string& iso_date, const std::string& language) {
    auto d = flows::parse_iso_date(iso_date);
    if (!d) return iso_date;
    if (language == "en") {
        static const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                              "July",    "August",   "September", "October", "November", "December"};
        return std::to_string(d->day) + " " + kMonths[d->month - 1] + " " + std::to_string(d->year);
    }
    return std::to_string(d->month) + "月" + std::to_string(d->day) + "日";
}

std::optional<storage::NewNotification> prepare_draft(const DraftRequest& request, const storage::FacilityRecord* facility,
                                                      const std::map<std::string, NotificationTemplate>& templates,
                                                      const DraftSettings& settings, std::int64_t now_ms,
                                                      std::vector<DraftProblem>& problems) {
    const auto before = problems.size();
    if (!facility) {
        problems.push_back({"facility_id", "there is no facility " + std::to_string(request.facility_id)});
    } else if (facility->status != "active") {
        problems.push_back({"facility_id", "facility " + std::to_string(facility->id) + " is closed"});
    }
    auto window = check_window(request.date, request.from, request.to, now_ms, settings.retention_days, problems);
    auto tmpl = templates.find(request.template_id);
    if (tmpl == templates.end()) {
        std::string known;
        for (const auto& [id, t] : templates) known += (known.empty() ? "" : ", ") + id;
        problems.push_back({"template", "unknown template \"" + request.template_id + "\"; the templates are: " + known});
    }
    std::map<std::string, std::string> values;
    if (tmpl != templates.end()) {
        for (const auto& [name, value] : request.params) {
            bool declared = false;
            for (const auto& p : tmpl->second.params) declared = declared || p.name == name;
            if (!declared) {
                std::string allowed;
                for (const auto& p : tmpl->second.params) allowed += (allowed.empty() ? "" : ", ") + p.name;
                problems.push_back({"params." + name, "template " + tmpl->first + " takes no parameter \"" + name + "\"" +
                                                          (allowed.empty() ? "" : " (it takes: " + allowed + ")")});
            }
        }
        const std::map<std::string, std::string> defaults{
            {"facility_phone", facility ? facility->phone : ""}, {"call_center_phone", settings.call_center_phone}};
        for (const auto& p : tmpl->second.params) {
            auto given = request.params.find(p.name);
            std::string value = given != request.params.end() ? given->second : fill_placeholders(p.default_value, defaults);
            const std::string field = "params." + p.name;
            if (value.empty()) {
                problems.push_back({field, p.name + " is required: there is no default for it here (" + p.description_en + ")"});
            } else if (value.size() > kMaxParamBytes || !flows::is_valid_utf8(value)) {
                problems.push_back({field, p.name + " must be UTF-8 text of at most 300 bytes"});
            } else if (p.name == "phone" && !is_phone_number(value)) {
                problems.push_back({field, "phone must be a phone number (digits, -, +, parentheses), e.g. 03-1234-5678"});
            } else if (p.name == "url" && !valid_url(value)) {
                problems.push_back({field, "url must be an https:// address without spaces"});
            }
            values[p.name] = value;
        }
    }
    if (problems.size() != before || !window || !facility || tmpl == templates.end()) return std::nullopt;

    storage::NewNotification n;
    n.facility_id = facility->id;
    n.window_date = window->date;
    n.window_from = window->from;
    n.window_to = window->to;
    n.start_ms = window->start_ms;
    n.end_ms = window->end_ms;
    n.template_id = tmpl->first;
    std::string params = "{";
    for (const auto& [name, value] : request.params) {
        params += (params.size() > 1 ? "," : "") + std::string("\"") + flows::json_escape(name) + "\":\"" +
                  flows::json_escape(value) + "\"";
    }
    n.params_json = params + "}";
    values["facility"] = facility->name;
    values["from"] = window->from;
    values["to"] = window->to;
    values["date"] = format_date(window->date, "ja");
    n.text_ja = fill_placeholders(tmpl->second.text_ja, values);
    values["date"] = format_date(window->date, "en");
    n.text_en = fill_placeholders(tmpl->second.text_en, values);
    n.requested_by = request.requested_by;
    n.requested_by_user = request.requested_by_user;
    return n;
}

}  // namespace sapo::notify
