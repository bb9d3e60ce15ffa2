// Notification drafts (bot/notify/draft.hpp) and templates (bot/notify/templates.hpp): the time
// window as instants, the checks of a request, the rendered texts, the shipped templates, and the
// "same operator" rule of storage/notification_records.hpp. Pure functions, no database.
//
// The instants below were computed outside sapo (`date -u -d 2026-11-20T03:00:00Z +%s`): Tokyo is
// UTC+9 all year, so 2026-11-20 12:00 in Tokyo is 2026-11-20T03:00:00Z.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "bot/http/admin_notifications.hpp"
#include "bot/notify/draft.hpp"
#include "bot/notify/templates.hpp"
#include "storage/notification_records.hpp"

using sapo::notify::check_window;
using sapo::notify::DraftProblem;
using sapo::notify::DraftRequest;
using sapo::notify::DraftSettings;
using sapo::notify::fill_placeholders;
using sapo::notify::format_date;
using sapo::notify::load_notification_template;
using sapo::notify::prepare_draft;
using sapo::notify::shipped_notification_templates;
using sapo::storage::same_operator;

namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
/// 2026-11-20 12:00 Asia/Tokyo == 2026-11-20T03:00:00Z.
constexpr std::int64_t kNov20Noon = 1'795'143'600'000;
/// 2026-11-20 00:00 Asia/Tokyo == 2026-11-19T15:00:00Z.
constexpr std::int64_t kNov20Midnight = kNov20Noon - 12 * kHour;
/// "Now" in most tests: 2026-11-21 12:00 Asia/Tokyo.
constexpr std::int64_t kNow = kNov20Noon + kDay;

bool has_field(const std::vector<DraftProblem>& problems, const std::string& field) {
    for (const auto& p : problems) {
        if (p.field == field) return true;
    }
    return false;
}

bool has_problem(const std::vector<DraftProblem>& problems, const std::string& field, const std::string& fragment) {
    for (const auto& p : problems) {
        if (p.field == field && p.message.find(fragment) != std::string::npos) return true;
    }
    return false;
}

std::string describe(const std::vector<DraftProblem>& problems) {
    std::string out;
    for (const auto& p : problems) out += p.field + ": " + p.message + "\n";
    return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

sapo::storage::FacilityRecord facility(std::string phone = "03-1111-2222", std::string status = "active") {
    sapo::storage::FacilityRecord f;
    f.id = 7;
    f.name = "喫茶さくら";
    f.kind = "飲食店";
    f.phone = std::move(phone);
    f.status = std::move(status);
    return f;
}

DraftRequest request(std::string template_id = "tokyo_1", std::map<std::string, std::string> params = {}) {
    DraftRequest r;
    r.facility_id = 7;
    r.date = "2026-11-20";
    r.from = "12:00";
    r.to = "13:30";
    r.template_id = std::move(template_id);
    r.params = std::move(params);
    r.requested_by = "admin:sato";
    return r;
}

DraftSettings settings(std::string call_center = "019-629-6085") {
    DraftSettings s;
    s.retention_days = 31;
    s.call_center_phone = std::move(call_center);
    return s;
}

/// prepare_draft with the shipped templates; problems into `problems`.
std::optional<sapo::storage::NewNotification> draft(const DraftRequest& r, const sapo::storage::FacilityRecord* f,
                                                    std::vector<DraftProblem>& problems, const DraftSettings& s = settings()) {
    return prepare_draft(r, f, shipped_notification_templates(), s, kNow, problems);
}

/// A template that loads: one declared parameter, every placeholder used.
const std::string kValidTemplate = R"({
  "id": "test_template",
  "title": {"ja": "テスト", "en": "Test"},
  "source": "unit test",
  "params": {
    "phone": {"default": "{{facility_phone}}", "description": {"ja": "電話", "en": "phone"}}
  },
  "text": {
    "ja": "{{facility}}（{{date}} {{from}}〜{{to}}）電話 {{phone}}",
    "en": "{{facility}} ({{date}} {{from}}-{{to}}) phone {{phone}}"
  }
})";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

bool any_problem_contains(const std::vector<std::string>& problems, const std::string& fragment) {
    for (const auto& p : problems) {
        if (contains(p, fragment)) return true;
    }
    return false;
}

}  // namespace

// --- check_window --------------------------------------------------------------------------------

TEST_CASE("notify window: a known date and times become exact instants in Tokyo time", "[unit][notify]") {
    std::vector<DraftProblem> problems;
    auto w = check_window("2026-11-20", "12:00", "13:30", kNow, 31, problems);
    INFO(describe(problems));
    REQUIRE(w);
    CHECK(problems.empty());
    CHECK(w->date == "2026-11-20");
    CHECK(w->from == "12:00");
    CHECK(w->to == "13:30");
    CHECK(w->start_ms == kNov20Noon);  // 2026-11-20T03:00:00Z
    CHECK(w->end_ms == kNov20Noon + 90 * kMinute);

    auto whole_day = check_window("2026-11-20", "00:00", "24:00", kNow, 31, problems);
    REQUIRE(whole_day);
    CHECK(whole_day->start_ms == kNov20Midnight);   // 2026-11-19T15:00:00Z
    CHECK(whole_day->end_ms == kNov20Midnight + kDay);  // 2026-11-20T15:00:00Z, the next Tokyo midnight
    CHECK(whole_day->to == "24:00");

    auto last_minute = check_window("2026-11-20", "23:59", "24:00", kNow, 31, problems);
    REQUIRE(last_minute);
    CHECK(last_minute->end_ms - last_minute->start_ms == kMinute);
    CHECK(problems.empty());
}

TEST_CASE("notify window: each malformed date or time is named by its field", "[unit][notify]") {
    struct Case {
        std::string date, from, to, field;
    };
    const std::vector<Case> cases{
        {"2026/11/20", "12:00", "13:00", "date"},
        {"20261120", "12:00", "13:00", "date"},
        {"2026-11-31", "12:00", "13:00", "date"},
        {"2026-02-29", "12:00", "13:00", "date"},  // 2026 is not a leap year
        {"2026-13-01", "12:00", "13:00", "date"},
        {"2026-1-20", "12:00", "13:00", "date"},
        {" 2026-11-20", "12:00", "13:00", "date"},
        {"", "12:00", "13:00", "date"},
        {"2026-11-20", "9:00", "13:00", "from"},
        {"2026-11-20", "09:60", "13:00", "from"},
        {"2026-11-20", "24:00", "13:00", "from"},  // 24:00 only ends a window
        {"2026-11-20", "25:00", "23:00", "from"},
        {"2026-11-20", "ab:cd", "13:00", "from"},
        {"2026-11-20", "-1:00", "13:00", "from"},
        {"2026-11-20", "12.00", "13:00", "from"},
        {"2026-11-20", "12:00:00", "13:00", "from"},
        {"2026-11-20", "", "13:00", "from"},
        {"2026-11-20", "12:00", "24:01", "to"},
        {"2026-11-20", "12:00", "25:00", "to"},
        {"2026-11-20", "12:00", "13:5", "to"},
        {"2026-11-20", "12:00", "13:0a", "to"},
        {"2026-11-20", "12:00", "", "to"},
    };
    for (const auto& c : cases) {
        INFO("date \"" << c.date << "\" from \"" << c.from << "\" to \"" << c.to << "\"");
        std::vector<DraftProblem> problems;
        auto w = check_window(c.date, c.from, c.to, kNow, 31, problems);
        INFO(describe(problems));
        CHECK_FALSE(w);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == c.field);
        CHECK_FALSE(problems[0].message.empty());
    }
    // every malformed field is reported at once
    std::vector<DraftProblem> problems;
    CHECK_FALSE(check_window("yesterday", "noon", "later", kNow, 31, problems));
    CHECK(problems.size() == 3);
    CHECK(has_field(problems, "date"));
    CHECK(has_field(problems, "from"));
    CHECK(has_field(problems, "to"));
}

TEST_CASE("notify window: to must be after from", "[unit][notify]") {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"12:00", "12:00"}, {"13:00", "12:00"}, {"12:00", "00:00"}, {"23:59", "23:58"}}) {
        INFO(from << "-" << to);
        std::vector<DraftProblem> problems;
        CHECK_FALSE(check_window("2026-11-20", from, to, kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "to");
        CHECK(contains(problems[0].message, "must be later than from"));
        CHECK(contains(problems[0].message, "(" + to + ")"));
        CHECK(contains(problems[0].message, "(" + from + ")"));
    }
}

TEST_CASE("notify window: a window must have started and ended, and not start before the retention",
          "[unit][notify]") {
    std::vector<DraftProblem> problems;
    SECTION("it starts in the future") {
        CHECK_FALSE(check_window("2026-11-22", "09:00", "10:00", kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "from");
        CHECK(contains(problems[0].message, "future"));
        CHECK(contains(problems[0].message, "Nov 21, 12:00"));  // now, in Tokyo
        problems.clear();
        // one minute after now on the same day
        CHECK_FALSE(check_window("2026-11-21", "12:01", "13:00", kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "from");
    }
    SECTION("it has not ended yet") {
        CHECK_FALSE(check_window("2026-11-21", "11:00", "13:00", kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "to");
        CHECK(contains(problems[0].message, "not ended"));
        problems.clear();
        CHECK_FALSE(check_window("2026-11-21", "00:00", "24:00", kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "to");
        problems.clear();
        // starting exactly now: started, but not ended
        CHECK_FALSE(check_window("2026-11-21", "12:00", "12:01", kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "to");
    }
    SECTION("a window ending exactly now is over") {
        auto w = check_window("2026-11-21", "11:00", "12:00", kNow, 31, problems);
        INFO(describe(problems));
        REQUIRE(w);
        CHECK(w->end_ms == kNow);
        CHECK(problems.empty());
    }
    SECTION("it starts before the check-ins kept") {
        // now - 31 days = 2026-10-21 12:00 Tokyo: a window may start then, not a minute earlier
        auto oldest = check_window("2026-10-21", "12:00", "13:00", kNow, 31, problems);
        INFO(describe(problems));
        REQUIRE(oldest);
        CHECK(oldest->start_ms == kNow - 31 * kDay);
        CHECK_FALSE(check_window("2026-10-21", "11:59", "13:00", kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "date");
        CHECK(contains(problems[0].message, "kept for 31 days"));
        CHECK(contains(problems[0].message, "2026-10-21 12:00"));
        problems.clear();
        CHECK_FALSE(check_window("2026-09-01", "00:00", "24:00", kNow, 31, problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "date");
        problems.clear();
        // the retention is the caller's
        auto kept_longer = check_window("2026-09-01", "00:00", "24:00", kNow, 90, problems);
        CHECK(kept_longer);
        CHECK(problems.empty());
        CHECK_FALSE(check_window("2026-11-20", "11:00", "13:00", kNow, 1, problems));
        REQUIRE(problems.size() == 1);
        CHECK(contains(problems[0].message, "kept for 1 days"));
    }
}

TEST_CASE("notify window: problems already in the list do not make a good window fail", "[unit][notify]") {
    std::vector<DraftProblem> problems{{"facility_id", "there is no facility 9"}};
    auto w = check_window("2026-11-20", "12:00", "13:00", kNow, 31, problems);
    CHECK(w);
    CHECK(problems.size() == 1);
    CHECK_FALSE(check_window("2026-11-20", "13:00", "12:00", kNow, 31, problems));
    CHECK(problems.size() == 2);
    CHECK(problems[0].field == "facility_id");
    CHECK(problems[1].field == "to");
}

// --- format_date -----------------------------------------------------------------------------------

TEST_CASE("notify format_date: Japanese and English", "[unit][notify]") {
    CHECK(format_date("2026-11-20", "ja") == "11月20日");
    CHECK(format_date("2026-11-20", "en") == "20 November 2026");
    CHECK(format_date("2027-01-05", "ja") == "1月5日");
    CHECK(format_date("2027-01-05", "en") == "5 January 2027");
    CHECK(format_date("2028-02-29", "en") == "29 February 2028");
    CHECK(format_date("2026-12-31", "en") == "31 December 2026");
    CHECK(format_date("not a date", "en") == "not a date");
}

// --- prepare_draft -----------------------------------------------------------------------------------

TEST_CASE("notify draft: tokyo_1 renders the facility, the date and the window in both languages", "[unit][notify]") {
    const auto f = facility();
    std::vector<DraftProblem> problems;
    auto n = draft(request(), &f, problems);
    INFO(describe(problems));
    REQUIRE(n);
    CHECK(problems.empty());
    CHECK(n->facility_id == 7);
    CHECK(n->window_date == "2026-11-20");
    CHECK(n->window_from == "12:00");
    CHECK(n->window_to == "13:30");
    CHECK(n->start_ms == kNov20Noon);
    CHECK(n->end_ms == kNov20Noon + 90 * kMinute);
    CHECK(n->template_id == "tokyo_1");
    CHECK(n->params_json == "{}");  // the operator gave none: the default is not stored as given
    CHECK(n->requested_by == "admin:sato");
    CHECK_FALSE(n->requested_by_user);
    INFO(n->text_ja << "\n" << n->text_en);
    CHECK(contains(n->text_ja, "あなたが11月20日に立ち寄られた『喫茶さくら』"));
    CHECK(contains(n->text_ja, "12:00から13:30頃までの間"));
    CHECK(contains(n->text_ja, "『喫茶さくら』（03-1111-2222）"));  // the facility's phone by default
    CHECK(contains(n->text_en, "used 喫茶さくら, which you visited on 20 November 2026, between 12:00 and about 13:30"));
    CHECK(contains(n->text_en, "contact 喫茶さくら (03-1111-2222)"));
    for (const auto* text : {&n->text_ja, &n->text_en}) {
        CHECK_FALSE(contains(*text, "{{"));
        CHECK_FALSE(contains(*text, "}}"));
    }
    CHECK_FALSE(contains(n->text_ja, "November"));
    CHECK_FALSE(contains(n->text_en, "11月"));
}

TEST_CASE("notify draft: the window may end at 24:00 and the request's LINE user is kept", "[unit][notify]") {
    const auto f = facility();
    auto r = request("tokyo_2");
    r.from = "18:00";
    r.to = "24:00";
    r.requested_by = "line:manager";
    r.requested_by_user = "U0123456789abcdef0123456789abcdef";
    std::vector<DraftProblem> problems;
    auto n = draft(r, &f, problems);
    INFO(describe(problems));
    REQUIRE(n);
    CHECK(n->end_ms == kNov20Midnight + kDay);
    CHECK(contains(n->text_ja, "18:00から24:00頃"));
    CHECK(contains(n->text_en, "between 18:00 and about 24:00"));
    // tokyo_2's URL default
    CHECK(contains(n->text_ja, "https://www.fukushihoken.metro.tokyo.lg.jp/iryo/kansen/coronasodan.html"));
    CHECK(contains(n->text_en, "https://www.fukushihoken.metro.tokyo.lg.jp/iryo/kansen/coronasodan.html"));
    CHECK(n->requested_by == "line:manager");
    REQUIRE(n->requested_by_user);
    CHECK(*n->requested_by_user == "U0123456789abcdef0123456789abcdef");
}

TEST_CASE("notify draft: a phone given as a parameter replaces the facility's, and is kept as given", "[unit][notify]") {
    const auto f = facility();
    std::vector<DraftProblem> problems;
    auto n = draft(request("tokyo_1", {{"phone", "03-9999-0000"}}), &f, problems);
    INFO(describe(problems));
    REQUIRE(n);
    CHECK(n->params_json == R"({"phone":"03-9999-0000"})");
    CHECK(contains(n->text_ja, "（03-9999-0000）"));
    CHECK(contains(n->text_en, "(03-9999-0000)"));
    CHECK_FALSE(contains(n->text_ja, "03-1111-2222"));
}

TEST_CASE("notify draft: tokyo_1 needs a phone: the facility's, or one given", "[unit][notify]") {
    const auto f = facility("");
    std::vector<DraftProblem> problems;
    CHECK_FALSE(draft(request(), &f, problems));
    INFO(describe(problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "params.phone");
    CHECK(contains(problems[0].message, "required"));
    problems.clear();
    auto n = draft(request("tokyo_1", {{"phone", "0120-123-456"}}), &f, problems);
    REQUIRE(n);
    CHECK(contains(n->text_ja, "（0120-123-456）"));
}

TEST_CASE("notify draft: iwate takes the call centre's phone by default", "[unit][notify]") {
    const auto f = facility();
    std::vector<DraftProblem> problems;
    auto n = draft(request("iwate"), &f, problems, settings("019-629-6085"));
    INFO(describe(problems));
    REQUIRE(n);
    CHECK(n->params_json == "{}");
    CHECK(contains(n->text_ja, "（喫茶さくら、11月20日）"));
    CHECK(contains(n->text_ja, "県の相談センター（019-629-6085）"));
    CHECK(contains(n->text_en, "(喫茶さくら, 20 November 2026)"));
    CHECK(contains(n->text_en, "consultation centre (019-629-6085)"));
    CHECK_FALSE(contains(n->text_ja, "03-1111-2222"));  // not the facility's
    // given, it wins
    auto given = draft(request("iwate", {{"phone", "019-000-1111"}}), &f, problems, settings("019-629-6085"));
    REQUIRE(given);
    CHECK(contains(given->text_ja, "（019-000-1111）"));
    // no call centre configured and none given
    CHECK_FALSE(draft(request("iwate"), &f, problems, settings("")));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "params.phone");
}

TEST_CASE("notify draft: an unknown or closed facility is refused", "[unit][notify]") {
    std::vector<DraftProblem> problems;
    CHECK_FALSE(draft(request("tokyo_1", {{"phone", "03-1234-5678"}}), nullptr, problems));
    INFO(describe(problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "facility_id");
    CHECK(problems[0].message == "there is no facility 7");

    problems.clear();
    const auto closed = facility("03-1111-2222", "closed");
    CHECK_FALSE(draft(request(), &closed, problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "facility_id");
    CHECK(problems[0].message == "facility 7 is closed");
}

TEST_CASE("notify draft: an unknown template is refused with the list of templates", "[unit][notify]") {
    const auto f = facility();
    std::vector<DraftProblem> problems;
    CHECK_FALSE(draft(request("tokyo_3"), &f, problems));
    INFO(describe(problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "template");
    CHECK(contains(problems[0].message, "\"tokyo_3\""));
    CHECK(contains(problems[0].message, "iwate, tokyo_1, tokyo_2"));
    problems.clear();
    CHECK_FALSE(draft(request(""), &f, problems));
    CHECK(has_field(problems, "template"));
}

TEST_CASE("notify draft: a parameter the template does not take is refused", "[unit][notify]") {
    const auto f = facility();
    std::vector<DraftProblem> problems;
    CHECK_FALSE(draft(request("tokyo_1", {{"url", "https://example.com/"}}), &f, problems));
    INFO(describe(problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "params.url");
    CHECK(contains(problems[0].message, "takes no parameter \"url\""));
    CHECK(contains(problems[0].message, "phone"));
    problems.clear();
    CHECK_FALSE(draft(request("tokyo_2", {{"phone", "03-1234-5678"}}), &f, problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "params.phone");
    problems.clear();
    CHECK_FALSE(draft(request("tokyo_1", {{"fax", "03-1234-5678"}}), &f, problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "params.fax");
}

TEST_CASE("notify draft: a phone parameter must be a phone number", "[unit][notify]") {
    const auto f = facility();
    for (const std::string bad : {"abc", "12345", "03-1234-567x", "03_1234_5678", "1234567890123456789012", "---------"}) {
        INFO(bad);
        std::vector<DraftProblem> problems;
        CHECK_FALSE(draft(request("tokyo_1", {{"phone", bad}}), &f, problems));
        INFO(describe(problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "params.phone");
    }
    for (const std::string good : {"03-1234-5678", "+81 3 1234 5678", "(03) 1234-5678", "0120123456"}) {
        INFO(good);
        std::vector<DraftProblem> problems;
        CHECK(draft(request("tokyo_1", {{"phone", good}}), &f, problems));
        CHECK(problems.empty());
    }
    // a facility whose registered phone is not a phone number cannot lend it
    const auto odd = facility("ask the owner");
    std::vector<DraftProblem> problems;
    CHECK_FALSE(draft(request(), &odd, problems));
    CHECK(has_field(problems, "params.phone"));
}

TEST_CASE("notify draft: a url parameter must be https without spaces", "[unit][notify]") {
    const auto f = facility();
    for (const std::string bad : {"http://example.com/", "https://", "ftp://example.com/", "example.com",
                                  "https://example.com/a b", "https://example.com/\t", "javascript:alert(1)"}) {
        INFO(bad);
        std::vector<DraftProblem> problems;
        CHECK_FALSE(draft(request("tokyo_2", {{"url", bad}}), &f, problems));
        INFO(describe(problems));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].field == "params.url");
        CHECK(contains(problems[0].message, "https://"));
    }
    std::vector<DraftProblem> problems;
    auto n = draft(request("tokyo_2", {{"url", "https://example.com/soudan"}}), &f, problems);
    REQUIRE(n);
    CHECK(contains(n->text_ja, "\nhttps://example.com/soudan"));
    CHECK(contains(n->text_en, "\nhttps://example.com/soudan"));
}

TEST_CASE("notify draft: parameters are at most 300 bytes of UTF-8", "[unit][notify]") {
    const auto f = facility();
    std::vector<DraftProblem> problems;
    CHECK_FALSE(draft(request("tokyo_2", {{"url", "https://example.com/" + std::string(290, 'a')}}), &f, problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "params.url");
    CHECK(contains(problems[0].message, "300 bytes"));
    problems.clear();
    CHECK_FALSE(draft(request("tokyo_2", {{"url", std::string("https://example.com/\xff\xfe")}}), &f, problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "params.url");
    CHECK(contains(problems[0].message, "UTF-8"));
    problems.clear();
    const std::string exactly_300 = "https://example.com/" + std::string(280, 'a');
    REQUIRE(exactly_300.size() == 300);
    CHECK(draft(request("tokyo_2", {{"url", exactly_300}}), &f, problems));
    CHECK(problems.empty());
}

TEST_CASE("notify draft: params_json escapes quotes and backslashes", "[unit][notify]") {
    const auto f = facility();
    std::vector<DraftProblem> problems;
    const std::string url = R"(https://example.com/?q="x"&p=\y)";
    auto n = draft(request("tokyo_2", {{"url", url}}), &f, problems);
    INFO(describe(problems));
    REQUIRE(n);
    CHECK(n->params_json == R"({"url":"https://example.com/?q=\"x\"&p=\\y"})");
    rapidjson::Document doc;
    doc.Parse(n->params_json.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    REQUIRE(doc["url"].IsString());
    CHECK(std::string(doc["url"].GetString()) == url);
    CHECK(contains(n->text_en, url));  // the text carries it as it is
}

TEST_CASE("notify draft: a facility name with braces is put in as it is, not filled again", "[unit][notify]") {
    auto f = facility();
    f.name = "Bar {{phone}} & {{url}}";
    std::vector<DraftProblem> problems;
    auto n = draft(request(), &f, problems);
    REQUIRE(n);
    CHECK(contains(n->text_ja, "『Bar {{phone}} & {{url}}』"));
    CHECK(contains(n->text_en, "used Bar {{phone}} & {{url}}, which"));
}

TEST_CASE("notify draft: every problem of a request is reported together", "[unit][notify]") {
    const auto closed = facility("", "closed");
    auto r = request("tokyo_1", {{"phone", "nope"}, {"url", "https://example.com/"}});
    r.date = "2026-11-32";
    r.to = "99:99";
    std::vector<DraftProblem> problems;
    CHECK_FALSE(draft(r, &closed, problems));
    INFO(describe(problems));
    CHECK(has_problem(problems, "facility_id", "closed"));
    CHECK(has_field(problems, "date"));
    CHECK(has_field(problems, "to"));
    CHECK(has_field(problems, "params.phone"));
    CHECK(has_problem(problems, "params.url", "takes no parameter"));
}

// --- templates ---------------------------------------------------------------------------------------

TEST_CASE("notify templates: exactly tokyo_1, tokyo_2 and iwate are shipped, complete", "[unit][notify]") {
    const auto& all = shipped_notification_templates();
    std::vector<std::string> ids;
    for (const auto& [id, t] : all) {
        ids.push_back(id);
        INFO(id);
        CHECK(t.id == id);
        CHECK_FALSE(t.title_ja.empty());
        CHECK_FALSE(t.title_en.empty());
        CHECK_FALSE(t.source.empty());
        CHECK_FALSE(t.text_ja.empty());
        CHECK_FALSE(t.text_en.empty());
        for (const auto& p : t.params) {
            INFO(p.name);
            CHECK((p.name == "phone" || p.name == "url"));
            CHECK_FALSE(p.default_value.empty());
            CHECK_FALSE(p.description_ja.empty());
            CHECK_FALSE(p.description_en.empty());
        }
    }
    CHECK(ids == std::vector<std::string>{"iwate", "tokyo_1", "tokyo_2"});
    REQUIRE(all.at("tokyo_1").params.size() == 1);
    CHECK(all.at("tokyo_1").params[0].name == "phone");
    CHECK(all.at("tokyo_1").params[0].default_value == "{{facility_phone}}");
    REQUIRE(all.at("iwate").params.size() == 1);
    CHECK(all.at("iwate").params[0].name == "phone");
    CHECK(all.at("iwate").params[0].default_value == "{{call_center_phone}}");
    REQUIRE(all.at("tokyo_2").params.size() == 1);
    CHECK(all.at("tokyo_2").params[0].name == "url");
    // the same map each time
    CHECK(&shipped_notification_templates() == &all);
}

TEST_CASE("notify templates: every shipped text fills completely", "[unit][notify]") {
    const std::map<std::string, std::string> values{{"facility", "F"}, {"date", "D"}, {"from", "10:00"},
                                                    {"to", "11:00"},   {"phone", "P"}, {"url", "U"}};
    for (const auto& [id, t] : shipped_notification_templates()) {
        for (const auto* text : {&t.text_ja, &t.text_en}) {
            INFO(id << ": " << *text);
            auto filled = fill_placeholders(*text, values);
            CHECK_FALSE(contains(filled, "{{"));
            CHECK_FALSE(contains(filled, "}}"));
            CHECK(contains(filled, "F"));
            CHECK(contains(filled, "D"));
        }
    }
    // and through prepare_draft with each template's defaults
    const auto f = facility();
    for (const auto& [id, t] : shipped_notification_templates()) {
        INFO(id);
        std::vector<DraftProblem> problems;
        auto n = draft(request(id), &f, problems);
        INFO(describe(problems));
        REQUIRE(n);
        CHECK_FALSE(contains(n->text_ja, "{{"));
        CHECK_FALSE(contains(n->text_en, "{{"));
        CHECK(contains(n->text_ja, "喫茶さくら"));
        CHECK(contains(n->text_en, "喫茶さくら"));
        CHECK(contains(n->text_ja, "11月20日"));
        CHECK(contains(n->text_en, "20 November 2026"));
    }
}

TEST_CASE("notify templates: a valid template file loads", "[unit][notify]") {
    std::vector<std::string> problems;
    auto t = load_notification_template(kValidTemplate, problems);
    INFO((problems.empty() ? std::string() : problems.front()));
    REQUIRE(t);
    CHECK(problems.empty());
    CHECK(t->id == "test_template");
    CHECK(t->title_ja == "テスト");
    CHECK(t->title_en == "Test");
    CHECK(t->source == "unit test");
    REQUIRE(t->params.size() == 1);
    CHECK(t->params[0].name == "phone");
    CHECK(t->params[0].default_value == "{{facility_phone}}");
    CHECK(t->params[0].description_en == "phone");
    CHECK(t->text_en == "{{facility}} ({{date}} {{from}}-{{to}}) phone {{phone}}");
}

TEST_CASE("notify templates: a broken template file is refused with a sentence", "[unit][notify]") {
    auto refused = [](const std::string& json, const std::string& fragment) {
        std::vector<std::string> problems;
        auto t = load_notification_template(json, problems);
        std::string all;
        for (const auto& p : problems) all += p + "\n";
        INFO(all);
        CHECK_FALSE(t);
        CHECK(any_problem_contains(problems, fragment));
    };
    SECTION("an unknown field") {
        refused(replaced(kValidTemplate, R"("source": "unit test",)", R"("source": "unit test", "language": "ja",)"),
                "unknown field \"language\"");
    }
    SECTION("a placeholder that is neither built in nor declared") {
        refused(replaced(kValidTemplate, "phone {{phone}}\"\n", "phone {{phone}} {{fax}}\"\n"), "{{fax}}");
        refused(replaced(kValidTemplate, "電話 {{phone}}", "電話 {{call_center_phone}}"), "{{call_center_phone}}");
    }
    SECTION("a parameter used in the text but not declared") {
        auto no_params = replaced(kValidTemplate, R"("phone": {"default": "{{facility_phone}}", "description": {"ja": "電話", "en": "phone"}})", "");
        refused(no_params, "{{phone}}");
    }
    SECTION("a parameter other than phone and url") {
        refused(replaced(kValidTemplate, R"("phone": {"default")", R"("fax": {"default": "1"}, "phone": {"default")"),
                "params.fax");
    }
    SECTION("a missing or empty text") {
        refused(replaced(kValidTemplate, R"(,
    "en": "{{facility}} ({{date}} {{from}}-{{to}}) phone {{phone}}")", ""),
                "text.en");
        refused(replaced(kValidTemplate, R"("ja": "{{facility}}（{{date}} {{from}}〜{{to}}）電話 {{phone}}")", R"("ja": "")"),
                "text.ja");
        refused(R"({"id": "x", "title": {"ja": "a", "en": "b"}})", "text is missing");
    }
    SECTION("a missing title or id") {
        refused(replaced(kValidTemplate, R"("title": {"ja": "テスト", "en": "Test"},)", ""), "title is missing");
        refused(replaced(kValidTemplate, R"("en": "Test")", R"("en": 5)"), "title.en");
        refused(replaced(kValidTemplate, R"("id": "test_template",)", ""), "template.id");
    }
    SECTION("not a JSON object") {
        refused("[1, 2]", "not a JSON object");
        refused("{", "not a JSON object");
        refused("", "not a JSON object");
    }
}

TEST_CASE("notify templates: fill_placeholders", "[unit][notify]") {
    const std::map<std::string, std::string> v{{"a", "1"}, {"b", "two"}, {"empty", ""}, {"loop", "{{a}}"}};
    CHECK(fill_placeholders("", v).empty());
    CHECK(fill_placeholders("no placeholders", v) == "no placeholders");
    CHECK(fill_placeholders("{{a}}", v) == "1");
    CHECK(fill_placeholders("x{{a}}y{{b}}z{{a}}", v) == "x1ytwoz1");
    CHECK(fill_placeholders("{{a}}{{b}}", v) == "1two");
    CHECK(fill_placeholders("[{{empty}}]", v) == "[]");
    CHECK(fill_placeholders("{{unknown}} stays", v) == "{{unknown}} stays");
    CHECK(fill_placeholders("unterminated {{a", v) == "unterminated {{a");
    CHECK(fill_placeholders("{{a}} then {{b", v) == "1 then {{b");
    CHECK(fill_placeholders("{{loop}}", v) == "{{a}}");  // values are not filled again
    CHECK(fill_placeholders("{a} {{ a }}", v) == "{a} {{ a }}");
    CHECK(fill_placeholders("日本語{{b}}です", v) == "日本語twoです");
}

// --- same_operator -----------------------------------------------------------------------------------

TEST_CASE("notify same_operator: the API's and the CLI's names for one person are the same", "[unit][notify]") {
    CHECK(same_operator("admin:sato", "admin:sato"));
    CHECK(same_operator("admin:sato", "cli:sato"));
    CHECK(same_operator("cli:sato", "admin:sato"));
    CHECK(same_operator("cli:sato", "cli:sato"));
    CHECK(same_operator("admin-token", "admin-token"));
    CHECK(same_operator("line:manager", "line:manager"));
    CHECK_FALSE(same_operator("admin:sato", "admin:suzuki"));
    CHECK_FALSE(same_operator("admin:sato", "cli:suzuki"));
    CHECK_FALSE(same_operator("admin:sato", "admin:sato2"));
    CHECK_FALSE(same_operator("admin-token", "admin:sato"));
    CHECK_FALSE(same_operator("admin-token", "cli:sato"));
    CHECK_FALSE(same_operator("line:manager", "admin:sato"));
}

// --- the admin API's view of a notification ------------------------------------------------------------

TEST_CASE("notify notification_json: counts and texts, never a LINE user id", "[unit][notify]") {
    sapo::storage::NotificationRecord n;
    n.id = 12;
    n.facility_id = 7;
    n.facility_name = "喫茶\"さくら\"";
    n.window_date = "2026-11-20";
    n.window_from = "12:00";
    n.window_to = "13:30";
    n.template_id = "tokyo_1";
    n.params_json = R"({"phone":"03-9999-0000"})";
    n.text_ja = "日本語\n2行目";
    n.text_en = "English";
    n.status = "draft";
    n.requested_by = "line:manager";
    n.requested_in_line = true;
    n.created_at = "2026-11-21T03:00:00Z";
    auto text = sapo::http::notification_json(n, 42);
    INFO(text);
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    CHECK(d["id"].GetInt64() == 12);
    CHECK(d["facility"]["id"].GetInt64() == 7);
    CHECK(std::string(d["facility"]["name"].GetString()) == "喫茶\"さくら\"");
    CHECK(std::string(d["status"].GetString()) == "draft");
    CHECK(d["targets"].GetInt64() == 42);
    CHECK_FALSE(d["targets_frozen"].GetBool());
    CHECK(std::string(d["params"]["phone"].GetString()) == "03-9999-0000");
    CHECK(std::string(d["preview"]["ja"].GetString()) == "日本語\n2行目");
    CHECK(std::string(d["preview"]["en"].GetString()) == "English");
    CHECK(d["approved_by"].IsNull());
    CHECK(d["approved_at"].IsNull());
    CHECK(d["requested_in_line"].GetBool());
    CHECK_FALSE(std::regex_search(text, std::regex("U[0-9a-f]{32}")));
    auto uncounted = sapo::http::notification_json(n, std::nullopt);
    rapidjson::Document u;
    u.Parse(uncounted.c_str());
    REQUIRE(u.IsObject());
    CHECK(u["targets"].IsNull());
}
