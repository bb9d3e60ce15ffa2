// Notifications to everyone who checked in at a facility in a time window, as operators drive them:
// the admin API over HTTP against a real `sapo serve` (LINE pointed at the fake) and a real
// PostgreSQL, and `sapo notify` against the same database. Drafting (exact targets, previews,
// every refusal by field), the two-person rule, targets frozen at approval, cancelling, the
// templates, the audit log, and no recipient's LINE user id in anything an operator sees.
//
// Check-ins are written with SQL at times relative to "yesterday in Asia/Tokyo", computed when the
// test runs (by PostgreSQL, UTC+9), so the windows are always in the past and within retention.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "test/integration/service_fixture.hpp"
#include "test/support/cli_runner.hpp"

using namespace sapo;
using namespace sapo::test;

namespace {

constexpr const char* kAdminToken = "notification-admin-test-token-0123456789";
constexpr const char* kFacilityName = "喫茶さくら";
constexpr const char* kFacilityPhone = "03-1111-2222";

rapidjson::Document json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    return doc;
}

std::string str(const rapidjson::Value& v) { return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : "<not text>"; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// A LINE user id anywhere in a text.
bool has_user_id(const std::string& text) {
    static const std::regex kUserId("U[0-9a-f]{32}");
    return std::regex_search(text, kUserId);
}

/// The Tokyo calendar day `offset` days from today, "YYYY-MM-DD", computed by PostgreSQL (Tokyo
/// is UTC+9 all year).
std::string tokyo_day(int offset) {
    return query_value(test_server_url(), "SELECT to_char((now() AT TIME ZONE 'UTC' + interval '9 hours')::date + (" +
                                              std::to_string(offset) + "), 'YYYY-MM-DD')");
}

/// "11月20日" for "2026-11-20", written out here rather than taken from sapo.
std::string date_ja(const std::string& iso) {
    return std::to_string(std::stoi(iso.substr(5, 2))) + "月" + std::to_string(std::stoi(iso.substr(8, 2))) + "日";
}

/// "20 November 2026" for "2026-11-20".
std::string date_en(const std::string& iso) {
    static const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};
    return std::to_string(std::stoi(iso.substr(8, 2))) + " " + kMonths[std::stoi(iso.substr(5, 2)) - 1] + " " +
           iso.substr(0, 4);
}

/// The set of keys of the "errors" object of a 422.
std::set<std::string> error_keys(const rapidjson::Document& d) {
    std::set<std::string> keys;
    if (!d.IsObject() || !d.HasMember("errors") || !d["errors"].IsObject()) return keys;
    for (const auto& m : d["errors"].GetObject()) keys.insert(m.name.GetString());
    return keys;
}

std::string joined(const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
}

/// A running sapo with the admin API on, a fake LINE, a fresh database, and helpers to put
/// facilities, users and check-ins in it. Every admin API answer is kept, for the user-id check.
struct NotifyService {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;
    std::vector<std::string> answers;
    const std::string yesterday = tokyo_day(-1);

    NotifyService()
        : sapo({"serve"}, service_env(db.url(), line,
                                      {{"SAPO_ADMIN_TOKEN", kAdminToken},
                                       {"SAPO_LINE_BASIC_ID", "@sapo-test"},
                                       {"SAPO_CALL_CENTER_PHONE", "019-629-6085"},
                                       {"SAPO_FANOUT_POLL_MS", "100"}})) {
        sapo.start_serving();
    }

    /// An admin API request as `operator_name` (no X-Operator when empty).
    HttpResult call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& operator_name = "sato") {
        std::map<std::string, std::string> headers{{"Authorization", std::string("Bearer ") + kAdminToken}};
        if (!operator_name.empty()) headers["X-Operator"] = operator_name;
        auto r = http_request(sapo.port(), method, target, body, headers);
        answers.push_back(r.body);
        for (const auto& [name, value] : r.headers) answers.push_back(name + ": " + value);
        return r;
    }

    /// A facility registered through the admin API; its id.
    std::int64_t facility(const std::string& name = kFacilityName, const std::string& phone = kFacilityPhone) {
        std::string body = R"({"name":")" + name + R"(","kind":"飲食店")";
        if (!phone.empty()) body += R"(,"phone":")" + phone + "\"";
        auto r = call("POST", "/admin/api/facilities", body + "}", "setup");
        INFO(r.body);
        REQUIRE(r.status == 201);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        return d["id"].GetInt64();
    }

    void close_facility(std::int64_t id) {
        REQUIRE(call("POST", "/admin/api/facilities/" + std::to_string(id) + "/close", "", "setup").status == 200);
    }

    void add_user(unsigned n, const std::string& language, const std::string& follow_state = "followed") {
        exec_sql(db.url(), "INSERT INTO users (user_id, follow_state, language) VALUES ('" + user(n) + "', '" +
                               follow_state + "', " + (language.empty() ? "NULL" : "'" + language + "'") + ")");
    }

    /// User n checked in at `facility` on `date` at `time` ("HH:MM:SS.mmm"), Tokyo time.
    void checkin(unsigned n, std::int64_t facility_id, const std::string& date, const std::string& time) {
        const std::string at = "'" + date + " " + time + "+09'::timestamptz";
        exec_sql(db.url(), "SELECT sapo_ensure_checkin_partition(" + at + ")");
        exec_sql(db.url(), "INSERT INTO checkins (user_id, facility_id, checked_in_at) VALUES ('" + user(n) + "', " +
                               std::to_string(facility_id) + ", " + at + ")");
    }

    /// The create body for a window of `date`.
    static std::string draft_body(std::int64_t facility_id, const std::string& date, const std::string& from, const std::string& to,
                            const std::string& template_id = "tokyo_1", const std::string& params = "{}") {
        return R"({"facility_id":)" + std::to_string(facility_id) + R"(,"date":")" + date + R"(","from":")" + from +
               R"(","to":")" + to + R"(","template":")" + template_id + R"(","params":)" + params + "}";
    }

    /// Drafts a notification (expects 201); its id.
    std::int64_t create(const std::string& request_body, const std::string& operator_name = "sato") {
        auto r = call("POST", "/admin/api/notifications", request_body, operator_name);
        INFO(r.body);
        REQUIRE(r.status == 201);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        return d["id"].GetInt64();
    }

    std::string path(std::int64_t id, const std::string& action = "") {
        return "/admin/api/notifications/" + std::to_string(id) + (action.empty() ? "" : "/" + action);
    }

    rapidjson::Document get(std::int64_t id) {
        auto r = call("GET", path(id));
        INFO(r.body);
        REQUIRE(r.status == 200);
        return json(r.body);
    }

    std::string status_of(std::int64_t id) { return query_value(db.url(), "SELECT status FROM notifications WHERE id = " + std::to_string(id)); }

    /// "actor action subject" of the notification audit rows, in order.
    std::vector<std::string> audit() {
        std::vector<std::string> out;
        for (const auto& r : query_rows(db.url(), "SELECT actor, action, subject FROM audit_log "
                                                  "WHERE action LIKE 'notification.%' ORDER BY id")) {
            out.push_back(r[0] + " " + r[1] + " " + r[2]);
        }
        return out;
    }

    /// No admin API answer so far named a LINE user.
    void check_no_user_ids() {
        for (const auto& a : answers) {
            INFO(a);
            CHECK_FALSE(has_user_id(a));
        }
    }
};

/// Users 1..n (user 2 reads English) who checked in at `facility` yesterday between 10:00 and 11:59.
void people_in_window(NotifyService& s, std::int64_t facility, unsigned first, unsigned count) {
    for (unsigned n = first; n < first + count; ++n) {
        s.add_user(n, n % 2 == 0 ? "en" : "ja");
        s.checkin(n, facility, s.yesterday, "10:" + std::string(n % 60 < 10 ? "0" : "") + std::to_string(n % 60) + ":00.000");
    }
}

/// The recipients of each multicast the fake accepted, by the text's language.
struct Multicasts {
    std::set<std::string> ja, en;
    std::vector<std::string> retry_keys;
    std::size_t requests = 0;
};

Multicasts multicasts(const line::FakeLineServer& line) {
    Multicasts m;
    for (const auto& r : line.accepted(line::FakeLineServer::kMulticastPath)) {
        ++m.requests;
        m.retry_keys.push_back(r.header("x-line-retry-key"));
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        const std::string text = str(d["messages"][0]["text"]);
        auto& into = contains(text, "COVID-19") ? m.en : m.ja;
        for (const auto& to : d["to"].GetArray()) into.insert(to.GetString());
    }
    return m;
}

}  // namespace

TEST_CASE("notification admin API: a draft counts exactly the people in the window and previews both texts",
          "[pg][net][e2e][notify][admin]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    const auto cafe = s.facility();
    const auto other = s.facility("隣の本屋", "03-3333-4444");
    const auto& day = s.yesterday;
    const auto day_before = tokyo_day(-2);
    // in the window [10:00, 12:00): users 1 (twice), 2 (English), 3 (no users row), 4 (at 10:00 sharp)
    s.add_user(1, "ja");
    s.add_user(2, "en");
    s.add_user(4, "");
    s.checkin(1, cafe, day, "10:15:00.000");
    s.checkin(1, cafe, day, "11:30:00.000");
    s.checkin(2, cafe, day, "10:30:00.000");
    s.checkin(3, cafe, day, "11:59:59.999");
    s.checkin(4, cafe, day, "10:00:00.000");
    // not in it: at 12:00 sharp, a millisecond before 10:00, another facility, blocked the bot, another day
    s.checkin(5, cafe, day, "12:00:00.000");
    s.checkin(6, cafe, day, "09:59:59.999");
    s.checkin(7, other, day, "10:30:00.000");
    s.add_user(8, "ja", "unfollowed");
    s.checkin(8, cafe, day, "10:30:00.000");
    s.checkin(9, cafe, day_before, "10:30:00.000");

    auto r = s.call("POST", "/admin/api/notifications", NotifyService::draft_body(cafe, day, "10:00", "12:00"));
    INFO(r.body);
    REQUIRE(r.status == 201);
    CHECK(r.headers["content-type"].find("application/json") == 0);
    auto d = json(r.body);
    REQUIRE(d.IsObject());
    const auto id = d["id"].GetInt64();
    CHECK(r.headers["location"] == "/admin/api/notifications/" + std::to_string(id));
    CHECK(str(d["status"]) == "draft");
    CHECK(d["targets"].GetInt64() == 4);
    CHECK_FALSE(d["targets_frozen"].GetBool());
    CHECK(d["facility"]["id"].GetInt64() == cafe);
    CHECK(str(d["facility"]["name"]) == kFacilityName);
    CHECK(str(d["date"]) == day);
    CHECK(str(d["from"]) == "10:00");
    CHECK(str(d["to"]) == "12:00");
    CHECK(str(d["template"]) == "tokyo_1");
    CHECK(d["params"].IsObject());
    CHECK(d["params"].MemberCount() == 0);
    CHECK(str(d["requested_by"]) == "admin:sato");
    CHECK_FALSE(d["requested_in_line"].GetBool());
    CHECK(d["approved_by"].IsNull());
    CHECK(d["cancelled_by"].IsNull());
    CHECK(d["approved_at"].IsNull());
    CHECK(d["finished_at"].IsNull());
    CHECK(d["sent"].GetInt64() == 0);
    CHECK(d["batches"]["total"].GetInt() == 0);
    CHECK(str(d["created_at"]).size() == 20);
    const auto ja = str(d["preview"]["ja"]);
    const auto en = str(d["preview"]["en"]);
    INFO(ja << "\n" << en);
    CHECK(contains(ja, "あなたが" + date_ja(day) + "に立ち寄られた『喫茶さくら』"));
    CHECK(contains(ja, "10:00から12:00頃までの間"));
    CHECK(contains(ja, "『喫茶さくら』（03-1111-2222）"));
    CHECK(contains(en, "used 喫茶さくら, which you visited on " + date_en(day) + ", between 10:00 and about 12:00"));
    CHECK(contains(en, "contact 喫茶さくら (03-1111-2222)"));
    CHECK_FALSE(contains(ja + en, "{{"));

    // GET shows the same, with the live count
    auto got = s.get(id);
    CHECK(str(got["status"]) == "draft");
    CHECK(got["targets"].GetInt64() == 4);
    CHECK(str(got["preview"]["ja"]) == ja);
    CHECK(str(got["preview"]["en"]) == en);

    // a parameter given replaces the facility's phone and is shown as given
    auto with_phone = s.call("POST", "/admin/api/notifications",
                             NotifyService::draft_body(cafe, day, "11:00", "24:00", "tokyo_1", R"({"phone":"0120-000-111"})"));
    INFO(with_phone.body);
    REQUIRE(with_phone.status == 201);
    auto wp = json(with_phone.body);
    CHECK(wp["targets"].GetInt64() == 3);  // users 1 (11:30), 3 and 5 (12:00)
    CHECK(str(wp["params"]["phone"]) == "0120-000-111");
    CHECK(contains(str(wp["preview"]["ja"]), "（0120-000-111）"));
    CHECK(contains(str(wp["preview"]["en"]), "between 11:00 and about 24:00"));

    // iwate: the call centre's phone from SAPO_CALL_CENTER_PHONE
    auto iwate = s.call("POST", "/admin/api/notifications", NotifyService::draft_body(other, day, "00:00", "24:00", "iwate"));
    INFO(iwate.body);
    REQUIRE(iwate.status == 201);
    auto iw = json(iwate.body);
    CHECK(iw["targets"].GetInt64() == 1);
    CHECK(contains(str(iw["preview"]["ja"]), "（隣の本屋、" + date_ja(day) + "）"));
    CHECK(contains(str(iw["preview"]["ja"]), "（019-629-6085）"));
    CHECK(contains(str(iw["preview"]["en"]), "(隣の本屋, " + date_en(day) + ")"));

    // nothing is frozen or sent before approval
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_recipients") == "0");
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_batches") == "0");
    CHECK(s.audit() == std::vector<std::string>{
                           "admin:sato notification.create notification:" + std::to_string(id),
                           "admin:sato notification.create notification:" + std::to_string(id + 1),
                           "admin:sato notification.create notification:" + std::to_string(id + 2),
                       });
    s.check_no_user_ids();
}

TEST_CASE("notification admin API: each invalid request is 422 naming its fields, nothing is written",
          "[pg][net][e2e][notify][admin]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    const auto cafe = s.facility();
    const auto no_phone = s.facility("電話のない店", "");
    const auto closed = s.facility("閉店した店", "03-5555-6666");
    s.close_facility(closed);
    s.checkin(1, cafe, s.yesterday, "10:30:00.000");
    const auto& y = s.yesterday;
    std::string slashed = y;
    std::replace(slashed.begin(), slashed.end(), '-', '/');
    const auto b = [&](std::int64_t f, const std::string& date, const std::string& from, const std::string& to,
                       const std::string& tmpl = "tokyo_1", const std::string& params = "{}") {
        return NotifyService::draft_body(f, date, from, to, tmpl, params);
    };
    const std::string fields = R"("date":")" + y + R"(","from":"10:00","to":"12:00","template":"tokyo_1")";

    struct Case {
        std::string what;
        std::string body;
        std::set<std::string> errors;
    };
    const std::vector<Case> cases{
        {"to equal to from", b(cafe, y, "10:00", "10:00"), {"to"}},
        {"to before from", b(cafe, y, "12:00", "10:00"), {"to"}},
        {"a malformed date", b(cafe, slashed, "10:00", "12:00"), {"date"}},
        {"a date that does not exist", b(cafe, y.substr(0, 8) + "32", "10:00", "12:00"), {"date"}},
        {"a malformed from", b(cafe, y, "9:00", "12:00"), {"from"}},
        {"a malformed to", b(cafe, y, "10:00", "24:30"), {"to"}},
        {"an unknown facility", b(999999, y, "10:00", "12:00", "tokyo_1", R"({"phone":"03-1234-5678"})"), {"facility_id"}},
        {"a closed facility", b(closed, y, "10:00", "12:00"), {"facility_id"}},
        {"an unknown template", b(cafe, y, "10:00", "12:00", "tokyo_9"), {"template"}},
        {"a parameter the template does not take", b(cafe, y, "10:00", "12:00", "tokyo_1", R"({"fax":"03-1234-5678"})"),
         {"params.fax"}},
        {"a bad phone", b(cafe, y, "10:00", "12:00", "tokyo_1", R"({"phone":"call us"})"), {"params.phone"}},
        {"a url that is not https", b(cafe, y, "10:00", "12:00", "tokyo_2", R"({"url":"http://example.com/"})"), {"params.url"}},
        {"no phone: the facility has none", b(no_phone, y, "10:00", "12:00"), {"params.phone"}},
        {"a window starting in the future", b(cafe, tokyo_day(1), "10:00", "11:00"), {"from"}},
        {"a window before the check-ins kept", b(cafe, tokyo_day(-40), "10:00", "11:00"), {"date"}},
        {"an empty object", "{}", {"facility_id", "date", "from", "to", "template"}},
        {"no template", R"({"facility_id":)" + std::to_string(cafe) + R"(,"date":")" + y + R"(","from":"10:00","to":"12:00"})",
         {"template"}},
        {"facility_id as text", R"({"facility_id":")" + std::to_string(cafe) + R"(",)" + fields + "}", {"facility_id"}},
        {"facility_id not whole", R"({"facility_id":1.5,)" + fields + "}", {"facility_id"}},
        {"facility_id zero", R"({"facility_id":0,)" + fields + "}", {"facility_id"}},
        {"facility_id negative", R"({"facility_id":-3,)" + fields + "}", {"facility_id"}},
        {"date as a number", R"({"facility_id":)" + std::to_string(cafe) +
                                 R"(,"date":20261120,"from":"10:00","to":"12:00","template":"tokyo_1"})",
         {"date"}},
        {"from null", R"({"facility_id":)" + std::to_string(cafe) + R"(,"date":")" + y +
                          R"(","from":null,"to":"12:00","template":"tokyo_1"})",
         {"from"}},
        {"template as a number", R"({"facility_id":)" + std::to_string(cafe) + R"(,"date":")" + y +
                                     R"(","from":"10:00","to":"12:00","template":1})",
         {"template"}},
        {"params an array", b(cafe, y, "10:00", "12:00", "tokyo_1", "[]"), {"params"}},
        {"a param as a number", b(cafe, y, "10:00", "12:00", "tokyo_1", R"({"phone":312345678})"), {"params.phone"}},
        {"an unknown field", R"({"facility_id":)" + std::to_string(cafe) + "," + fields + R"(,"recipients":["x"]})",
         {"recipients"}},
    };
    for (const auto& c : cases) {
        INFO(c.what << ": " << c.body);
        auto r = s.call("POST", "/admin/api/notifications", c.body);
        INFO(r.body);
        CHECK(r.status == 422);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        CHECK(d["message"].IsString());
        CHECK(joined(error_keys(d)) == joined(c.errors));
        for (const auto& field : c.errors) {
            if (!d["errors"].HasMember(field.c_str())) continue;
            CHECK_FALSE(str(d["errors"][field.c_str()]).empty());
            CHECK(contains(str(d["message"]), str(d["errors"][field.c_str()])));
        }
    }

    // the window of today so far has not ended (unless Tokyo's midnight passed meanwhile)
    const auto today = tokyo_day(0);
    auto open = s.call("POST", "/admin/api/notifications", b(cafe, today, "00:00", "24:00"));
    if (tokyo_day(0) == today) {
        INFO(open.body);
        CHECK(open.status == 422);
        CHECK(joined(error_keys(json(open.body))) == "to");
        CHECK(contains(open.body, "not ended"));
    }

    // not a JSON object: 400
    for (const std::string bad : {"", "[1]", "\"text\"", "null", "{", "{\"facility_id\": 1,}"}) {
        INFO("body: " << bad);
        auto r = s.call("POST", "/admin/api/notifications", bad);
        CHECK(r.status == 400);
        CHECK(json(r.body)["message"].IsString());
    }

    // bytes that are not UTF-8 in a field sapo repeats in its answer: refused, and the answer is
    // still UTF-8 JSON (RFC 8259 8.1), as PUT /admin/api/flows/{id}/draft answers such a body
    for (const std::string& bad : {R"({"facility_id":)" + std::to_string(cafe) + "," + fields + ",\"\xff\xfe\":\"x\"}",
                                  b(cafe, y, "10:00", "12:00", "tok\xffyo_1"),
                                  b(cafe, y, "10:00", "12:00", "tokyo_1", "{\"f\xe3\x81x\":\"1\"}")}) {
        INFO("body: " << bad);
        auto r = s.call("POST", "/admin/api/notifications", bad);
        INFO("answer: " << r.body);
        CHECK((r.status == 400 || r.status == 422));
        rapidjson::Document d;
        d.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.c_str(), r.body.size());
        CHECK_FALSE(d.HasParseError());
        CHECK(d.IsObject());
    }

    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notifications") == "0");
    CHECK(s.audit().empty());
    s.check_no_user_ids();
}

TEST_CASE("notification admin API: the bearer token is required, unknown ids are 404, wrong methods 405 with Allow",
          "[pg][net][e2e][notify][admin]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    const auto cafe = s.facility();
    const auto id = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"));
    const std::vector<std::pair<std::string, std::string>> paths{
        {"GET", "/admin/api/notifications"},
        {"POST", "/admin/api/notifications"},
        {"GET", s.path(id)},
        {"POST", s.path(id, "approve")},
        {"POST", s.path(id, "cancel")},
        {"GET", "/admin/api/notification-templates"},
    };
    const std::vector<std::map<std::string, std::string>> wrong{
        {},
        {{"X-Operator", "suzuki"}},
        {{"Authorization", "Bearer wrong"}, {"X-Operator", "suzuki"}},
        {{"Authorization", std::string("Basic ") + kAdminToken}},
        {{"Authorization", std::string("Bearer ") + kAdminToken + "x"}},
    };
    for (const auto& [method, path] : paths) {
        for (const auto& headers : wrong) {
            INFO(method << " " << path);
            auto r = http_request(s.sapo.port(), method, path, NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"), headers);
            CHECK(r.status == 401);
            CHECK(r.headers["www-authenticate"] == "Bearer");
            CHECK_FALSE(has_user_id(r.body));
        }
    }
    // an operator name that is not UTF-8 is refused before anything is done
    CHECK(s.call("POST", "/admin/api/notifications", NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"),
                 "\xff\xfe").status == 400);
    CHECK(s.call("POST", s.path(id, "approve"), "", "\xff\xfe").status == 400);
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notifications") == "1");
    CHECK(s.status_of(id) == "draft");

    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/admin/api/notifications/999999"},
             {"GET", "/admin/api/notifications/abc"},
             {"GET", "/admin/api/notifications/0"},
             {"GET", "/admin/api/notifications/-1"},
             {"GET", "/admin/api/notifications/"},
             {"POST", "/admin/api/notifications/999999/approve"},
             {"POST", "/admin/api/notifications/999999/cancel"},
             {"POST", s.path(id, "send")},
             {"POST", s.path(id, "approve/now")},
         }) {
        INFO(method << " " << path);
        auto r = s.call(method, path, "", "suzuki");
        CHECK(r.status == 404);
        CHECK(json(r.body)["message"].IsString());
    }
    struct Wrong {
        std::string method, path, allow;
    };
    for (const auto& w : std::vector<Wrong>{
             {"DELETE", "/admin/api/notifications", "GET, POST"},
             {"PUT", "/admin/api/notifications", "GET, POST"},
             {"PUT", s.path(id), "GET"},
             {"DELETE", s.path(id), "GET"},
             {"POST", s.path(id), "GET"},
             {"GET", s.path(id, "approve"), "POST"},
             {"PUT", s.path(id, "approve"), "POST"},
             {"GET", s.path(id, "cancel"), "POST"},
             {"POST", "/admin/api/notification-templates", "GET"},
             {"DELETE", "/admin/api/notification-templates", "GET"},
         }) {
        INFO(w.method << " " << w.path);
        auto r = s.call(w.method, w.path, "{}", "suzuki");
        CHECK(r.status == 405);
        CHECK(r.headers["allow"] == w.allow);
    }
    // none of it changed anything
    CHECK(s.status_of(id) == "draft");
    CHECK(s.audit() == std::vector<std::string>{"admin:sato notification.create notification:" + std::to_string(id)});
    s.check_no_user_ids();
}

TEST_CASE("notification admin API: the two-person rule, and approval freezes the targets that LINE then gets",
          "[pg][net][e2e][notify][admin]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    const auto cafe = s.facility();
    people_in_window(s, cafe, 1, 3);  // users 1, 3 (ja) and 2 (en)
    const auto id = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"), "sato");
    CHECK(s.get(id)["targets"].GetInt64() == 3);

    // before approval, a draft's count is live
    s.add_user(4, "en");
    s.checkin(4, cafe, s.yesterday, "11:00:00.000");
    auto live = s.get(id);
    CHECK(live["targets"].GetInt64() == 4);
    CHECK_FALSE(live["targets_frozen"].GetBool());
    // the list shows no count for a draft (its live count is on GET /{id})
    auto listed = json(s.call("GET", "/admin/api/notifications").body);
    REQUIRE(listed["notifications"].Size() == 1);
    CHECK(listed["notifications"][0]["targets"].IsNull());

    // the one who drafted it can't approve it, by the API or under the same name
    auto own = s.call("POST", s.path(id, "approve"), "", "sato");
    INFO(own.body);
    CHECK(own.status == 403);
    CHECK(contains(own.body, "two-person rule"));
    CHECK(s.status_of(id) == "draft");
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_recipients") == "0");

    // another operator can
    auto approved = s.call("POST", s.path(id, "approve"), "", "suzuki");
    INFO(approved.body);
    REQUIRE(approved.status == 200);
    auto a = json(approved.body);
    REQUIRE(a.IsObject());
    // "approved"; the job runner (polling every 100 ms) may already have taken it
    const auto approved_status = str(a["status"]);
    CHECK((approved_status == "approved" || approved_status == "sending" || approved_status == "done"));
    CHECK(a["targets"].GetInt64() == 4);
    CHECK(a["targets_frozen"].GetBool());
    CHECK(str(a["approved_by"]) == "admin:suzuki");
    CHECK(str(a["requested_by"]) == "admin:sato");
    CHECK(a["approved_at"].IsString());
    CHECK(a["batches"]["total"].GetInt() == 2);  // one per language
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_recipients WHERE notification_id = " + std::to_string(id)) == "4");
    CHECK(query_value(s.db.url(), "SELECT string_agg(language || ':' || recipients, ',' ORDER BY language) "
                                  "FROM notification_batches WHERE notification_id = " + std::to_string(id)) == "en:2,ja:2");

    // approved once only
    auto again = s.call("POST", s.path(id, "approve"), "", "tanaka");
    CHECK(again.status == 409);
    CHECK(contains(again.body, "only a draft can be approved"));
    CHECK(s.call("POST", "/admin/api/notifications/999999/approve", "", "tanaka").status == 404);

    // a check-in found after approval changes nothing: the targets are frozen
    s.checkin(5, cafe, s.yesterday, "11:10:00.000");
    auto frozen = s.get(id);
    CHECK(frozen["targets"].GetInt64() == 4);
    CHECK(frozen["targets_frozen"].GetBool());
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_recipients WHERE user_id = '" + user(5) + "'") == "0");

    // the job runner sends it: one multicast per language, to exactly the frozen people
    REQUIRE(s.line.wait_for_accepted(2, std::chrono::seconds(20), line::FakeLineServer::kMulticastPath));
    REQUIRE(wait_until([&] { return s.status_of(id) == "done"; }, std::chrono::seconds(20)));
    auto m = multicasts(s.line);
    CHECK(m.requests == 2);
    CHECK(m.ja == std::set<std::string>{user(1), user(3)});
    CHECK(m.en == std::set<std::string>{user(2), user(4)});
    for (const auto& key : m.retry_keys) CHECK(line::FakeLineServer::is_uuid(key));
    auto done = s.get(id);
    CHECK(str(done["status"]) == "done");
    CHECK(done["targets"].GetInt64() == 4);
    CHECK(done["sent"].GetInt64() == 4);
    CHECK(done["batches"]["accepted"].GetInt() == 2);
    CHECK(done["finished_at"].IsString());
    // a finished notification can't be cancelled or approved
    CHECK(s.call("POST", s.path(id, "cancel"), "", "tanaka").status == 409);
    CHECK(s.call("POST", s.path(id, "approve"), "", "tanaka").status == 409);
    auto list = json(s.call("GET", "/admin/api/notifications").body);
    REQUIRE(list["notifications"].Size() == 1);
    CHECK(list["notifications"][0]["targets"].GetInt64() == 4);

    const auto subject = " notification:" + std::to_string(id);
    CHECK(s.audit() == std::vector<std::string>{"admin:sato notification.create" + subject,
                                                "admin:suzuki notification.approve" + subject});
    CHECK(query_value(s.db.url(), "SELECT details->>'targets' FROM audit_log WHERE action = 'notification.approve'") == "4");
    s.check_no_user_ids();
}

TEST_CASE("notification admin API: without X-Operator the token can't approve its own draft",
          "[pg][net][e2e][notify][admin]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    const auto cafe = s.facility();
    people_in_window(s, cafe, 1, 1);
    const auto id = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"), "");
    CHECK(str(s.get(id)["requested_by"]) == "admin-token");
    auto own = s.call("POST", s.path(id, "approve"), "", "");
    INFO(own.body);
    CHECK(own.status == 403);
    CHECK(s.status_of(id) == "draft");
    auto other = s.call("POST", s.path(id, "approve"), "", "suzuki");
    INFO(other.body);
    CHECK(other.status == 200);
    const auto subject = " notification:" + std::to_string(id);
    CHECK(s.audit() == std::vector<std::string>{"admin-token notification.create" + subject,
                                                "admin:suzuki notification.approve" + subject});
    s.check_no_user_ids();
}

TEST_CASE("notification admin API: a cancelled draft can't be approved, and one with nobody in it is done at approval",
          "[pg][net][e2e][notify][admin]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    const auto cafe = s.facility();
    const auto empty = s.facility("誰も来ない店", "03-7777-8888");
    people_in_window(s, cafe, 1, 2);

    // cancel a draft
    const auto cancelled = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"), "sato");
    auto c = s.call("POST", s.path(cancelled, "cancel"), "", "tanaka");
    INFO(c.body);
    REQUIRE(c.status == 200);
    auto cd = json(c.body);
    CHECK(str(cd["status"]) == "cancelled");
    CHECK(str(cd["cancelled_by"]) == "admin:tanaka");
    CHECK(cd["finished_at"].IsString());
    CHECK(str(s.get(cancelled)["status"]) == "cancelled");
    auto approve_cancelled = s.call("POST", s.path(cancelled, "approve"), "", "suzuki");
    CHECK(approve_cancelled.status == 409);
    CHECK(contains(approve_cancelled.body, "cancelled"));
    CHECK(s.call("POST", s.path(cancelled, "cancel"), "", "tanaka").status == 409);
    CHECK(s.call("POST", "/admin/api/notifications/999999/cancel", "", "tanaka").status == 404);
    CHECK(s.status_of(cancelled) == "cancelled");

    // nobody checked in: the draft counts 0 and approval finishes it at once
    const auto nobody = s.create(NotifyService::draft_body(empty, s.yesterday, "00:00", "24:00"), "sato");
    CHECK(s.get(nobody)["targets"].GetInt64() == 0);
    auto a = s.call("POST", s.path(nobody, "approve"), "", "suzuki");
    INFO(a.body);
    REQUIRE(a.status == 200);
    auto ad = json(a.body);
    CHECK(str(ad["status"]) == "done");
    CHECK(ad["targets"].GetInt64() == 0);
    CHECK(ad["targets_frozen"].GetBool());
    CHECK(ad["batches"]["total"].GetInt() == 0);
    CHECK(ad["finished_at"].IsString());
    CHECK(s.call("POST", s.path(nobody, "cancel"), "", "tanaka").status == 409);

    // the runner polls every 100 ms: give it time to (wrongly) send anything
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(s.line.requests(line::FakeLineServer::kMulticastPath).empty());
    CHECK(s.line.requests(line::FakeLineServer::kPushPath).empty());
    CHECK(s.status_of(nobody) == "done");
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_recipients") == "0");
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_batches") == "0");

    CHECK(s.audit() == std::vector<std::string>{
                           "admin:sato notification.create notification:" + std::to_string(cancelled),
                           "admin:tanaka notification.cancel notification:" + std::to_string(cancelled),
                           "admin:sato notification.create notification:" + std::to_string(nobody),
                           "admin:suzuki notification.approve notification:" + std::to_string(nobody),
                       });
    s.check_no_user_ids();
}

TEST_CASE("notification admin API: the templates and the list", "[pg][net][e2e][notify][admin]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    auto r = s.call("GET", "/admin/api/notification-templates");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.headers["content-type"].find("application/json") == 0);
    auto d = json(r.body);
    REQUIRE(d.IsObject());
    REQUIRE(d["templates"].IsArray());
    REQUIRE(d["templates"].Size() == 3);
    std::vector<std::string> ids;
    for (const auto& t : d["templates"].GetArray()) {
        ids.push_back(str(t["id"]));
        INFO(ids.back());
        CHECK_FALSE(str(t["title"]["ja"]).empty());
        CHECK_FALSE(str(t["title"]["en"]).empty());
        CHECK_FALSE(str(t["source"]).empty());
        CHECK(contains(str(t["text"]["ja"]), "{{facility}}"));
        CHECK(contains(str(t["text"]["en"]), "{{facility}}"));
        REQUIRE(t["params"].IsArray());
        REQUIRE(t["params"].Size() == 1);
        const auto& p = t["params"][0];
        CHECK_FALSE(str(p["default"]).empty());
        CHECK_FALSE(str(p["description"]["ja"]).empty());
        CHECK_FALSE(str(p["description"]["en"]).empty());
        CHECK(str(p["name"]) == (ids.back() == "tokyo_2" ? "url" : "phone"));
    }
    CHECK(ids == std::vector<std::string>{"iwate", "tokyo_1", "tokyo_2"});

    // the list, newest first
    CHECK(s.call("GET", "/admin/api/notifications").body == R"({"notifications":[]})");
    const auto cafe = s.facility();
    people_in_window(s, cafe, 1, 2);
    const auto first = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"));
    const auto second = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "10:02", "tokyo_2"));
    REQUIRE(s.call("POST", s.path(first, "approve"), "", "suzuki").status == 200);
    auto list = s.call("GET", "/admin/api/notifications");
    REQUIRE(list.status == 200);
    auto l = json(list.body);
    REQUIRE(l["notifications"].Size() == 2);
    CHECK(l["notifications"][0]["id"].GetInt64() == second);
    CHECK(str(l["notifications"][0]["status"]) == "draft");
    CHECK(str(l["notifications"][0]["template"]) == "tokyo_2");
    CHECK(l["notifications"][1]["id"].GetInt64() == first);
    CHECK(l["notifications"][1]["targets"].GetInt64() == 2);
    CHECK(str(l["notifications"][1]["approved_by"]) == "admin:suzuki");
    CHECK(s.get(second)["targets"].GetInt64() == 1);  // user 1 at 10:01
    REQUIRE(s.line.wait_for_accepted(2, std::chrono::seconds(20), line::FakeLineServer::kMulticastPath));
    s.check_no_user_ids();
}

// `sapo notify` against the database a running sapo serves, mixed with the admin API: the same
// person by either tool can't approve their own draft.
TEST_CASE("notification cli: create, approve, status, cancel and templates, next to the admin API",
          "[pg][net][e2e][notify][admin][cli]") {
    if (!have_test_postgres()) return;
    NotifyService s;
    INFO(s.sapo.log());
    const auto cafe = s.facility();
    people_in_window(s, cafe, 1, 3);
    const std::map<std::string, std::string> env{{"DATABASE_URL", s.db.url()}};
    std::vector<std::string> outputs;
    auto sapo_notify = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "notify");
        auto r = run_sapo(args, env);
        outputs.push_back(r.out);
        outputs.push_back(r.err);
        return r;
    };
    const auto fac = std::to_string(cafe);

    // create: the count and both texts
    auto created = sapo_notify({"create", "--facility", fac, "--date", s.yesterday, "--from", "10:00", "--to", "12:00",
                                "--template", "tokyo_1", "--as", "tanaka"});
    INFO("stdout:\n" << created.out << "stderr:\n" << created.err);
    REQUIRE(created.code == 0);
    std::smatch m;
    REQUIRE(std::regex_search(created.out, m, std::regex("notification ([0-9]+): draft")));
    const auto cli_id = std::stoll(m[1].str());
    CHECK(contains(created.out, "targets 3 "));
    CHECK(contains(created.out, "--- ja ---\n"));
    CHECK(contains(created.out, "--- en ---\n"));
    CHECK(contains(created.out, "あなたが" + date_ja(s.yesterday) + "に立ち寄られた『喫茶さくら』"));
    CHECK(contains(created.out, "which you visited on " + date_en(s.yesterday) + ", between 10:00 and about 12:00"));
    CHECK(contains(created.out, "drafted by cli:tanaka"));
    CHECK(str(s.get(cli_id)["requested_by"]) == "cli:tanaka");

    // create with a param
    auto with_param = sapo_notify({"create", "--facility", fac, "--date", s.yesterday, "--from", "10:00", "--to", "11:00",
                                   "--template", "tokyo_2", "--param", "url=https://example.com/soudan", "--as", "tanaka"});
    INFO(with_param.err);
    CHECK(with_param.code == 0);
    CHECK(contains(with_param.out, "\nhttps://example.com/soudan"));

    // create refused: a sentence per problem on stderr, exit 1, nothing written
    const auto before = query_value(s.db.url(), "SELECT count(*) FROM notifications");
    auto bad_window = sapo_notify({"create", "--facility", fac, "--date", s.yesterday, "--from", "12:00", "--to", "10:00",
                                   "--template", "tokyo_1", "--as", "tanaka"});
    INFO(bad_window.err);
    CHECK(bad_window.code == 1);
    CHECK(bad_window.out.empty());
    CHECK(contains(bad_window.err, "sapo notify: to: to (10:00) must be later than from (12:00)"));
    auto future = sapo_notify({"create", "--facility", fac, "--date", tokyo_day(1), "--from", "10:00", "--to", "11:00",
                               "--template", "tokyo_1"});
    CHECK(future.code == 1);
    CHECK(contains(future.err, "sapo notify: from: the window starts in the future"));
    auto unknown = sapo_notify({"create", "--facility", "999999", "--date", s.yesterday, "--from", "10:00", "--to", "11:00",
                                "--template", "nope", "--param", "phone=03-1234-5678"});
    CHECK(unknown.code == 1);
    CHECK(contains(unknown.err, "facility_id: there is no facility 999999"));
    CHECK(contains(unknown.err, "template: unknown template"));
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notifications") == before);

    // the same person drafting with the API and approving with the CLI is refused
    const auto api_id = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "12:00"), "sato");
    const auto api = std::to_string(api_id);
    auto own = sapo_notify({"approve", api, "--as", "sato"});
    INFO(own.err);
    CHECK(own.code == 1);
    CHECK(contains(own.err, "two-person rule"));
    CHECK(s.status_of(api_id) == "draft");
    // and the other way round: drafted with the CLI as tanaka, approved through the API as tanaka
    auto own_api = s.call("POST", s.path(cli_id, "approve"), "", "tanaka");
    CHECK(own_api.status == 403);
    CHECK(s.status_of(cli_id) == "draft");

    // another person approves
    auto approved = sapo_notify({"approve", api, "--as", "suzuki"});
    INFO(approved.err);
    CHECK(approved.code == 0);
    CHECK(std::regex_search(approved.out, std::regex("notification " + api + ": (approved|sending|done) ")));
    CHECK(contains(approved.out, "approved by cli:suzuki"));
    CHECK(str(s.get(api_id)["approved_by"]) == "cli:suzuki");
    auto twice = sapo_notify({"approve", api, "--as", "yamada"});
    CHECK(twice.code == 1);

    // the API and the CLI approving one draft at the same moment: exactly one of them does
    const auto raced = s.create(NotifyService::draft_body(cafe, s.yesterday, "10:00", "10:03"), "sato");
    HttpResult by_api;
    std::thread api_approver([&] { by_api = s.call("POST", s.path(raced, "approve"), "", "suzuki"); });
    auto by_cli = run_sapo({"notify", "approve", std::to_string(raced), "--as", "yamada"}, env);
    api_approver.join();
    outputs.push_back(by_cli.out);
    outputs.push_back(by_cli.err);
    INFO("api: " << by_api.status << " " << by_api.body << "\ncli: " << by_cli.code << " " << by_cli.err);
    CHECK(((by_api.status == 200 && by_cli.code == 1) || (by_api.status == 409 && by_cli.code == 0)));
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM audit_log WHERE action = 'notification.approve' AND subject = "
                                  "'notification:" + std::to_string(raced) + "'") == "1");
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notification_recipients WHERE notification_id = " +
                                      std::to_string(raced)) == "2");  // users 1 and 2 (10:01, 10:02)

    // status --json is the API's JSON
    auto status = sapo_notify({"status", api, "--json"});
    INFO(status.out << status.err);
    REQUIRE(status.code == 0);
    auto sd = json(status.out);
    REQUIRE(sd.IsObject());
    CHECK(sd["id"].GetInt64() == api_id);
    const auto st = str(sd["status"]);
    CHECK((st == "approved" || st == "sending" || st == "done"));
    CHECK(sd["targets"].GetInt64() == 3);
    CHECK(str(sd["approved_by"]) == "cli:suzuki");
    auto text_status = sapo_notify({"status", std::to_string(cli_id)});
    CHECK(text_status.code == 0);
    CHECK(contains(text_status.out, "notification " + std::to_string(cli_id) + ": draft"));
    CHECK(contains(text_status.out, "targets 3 (now; frozen at approval)"));
    auto all = sapo_notify({"status"});
    INFO(all.out);
    CHECK(all.code == 0);
    // every notification listed has 3 people in it: no line may say nobody would be told
    CHECK_FALSE(contains(all.out, "targets 0 "));
    CHECK(contains(all.out, "notification " + api + ": "));
    CHECK(contains(all.out, "notification " + std::to_string(cli_id) + ": draft"));
    CHECK(sapo_notify({"status", "999999"}).code == 1);
    CHECK(sapo_notify({"approve", "999999", "--as", "suzuki"}).code == 1);
    CHECK(sapo_notify({"cancel", "999999"}).code == 1);

    // cancel from the CLI
    auto cancel = sapo_notify({"cancel", std::to_string(cli_id), "--as", "yamada"});
    INFO(cancel.err);
    CHECK(cancel.code == 0);
    CHECK(contains(cancel.out, "cancelled by cli:yamada"));
    CHECK(s.status_of(cli_id) == "cancelled");
    CHECK(sapo_notify({"cancel", std::to_string(cli_id)}).code == 1);
    CHECK(sapo_notify({"approve", std::to_string(cli_id), "--as", "suzuki"}).code == 1);

    // the running sapo sends what was approved: api_id (users 1 to 3) and the raced one (1 and 2)
    REQUIRE(s.line.wait_for_accepted(4, std::chrono::seconds(20), line::FakeLineServer::kMulticastPath));
    auto sent = multicasts(s.line);
    CHECK(sent.requests == 4);
    CHECK(sent.ja == std::set<std::string>{user(1), user(3)});
    CHECK(sent.en == std::set<std::string>{user(2)});

    // templates, help, usage
    auto templates = sapo_notify({"templates"});
    CHECK(templates.code == 0);
    std::vector<std::string> ids;
    std::istringstream lines(templates.out);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] != ' ') ids.push_back(line.substr(0, line.find(':')));
    }
    CHECK(ids == std::vector<std::string>{"iwate", "tokyo_1", "tokyo_2"});
    CHECK(contains(templates.out, "--param phone="));
    CHECK(contains(templates.out, "--param url="));
    auto help = sapo_notify({"--help"});
    CHECK(help.code == 0);
    CHECK(contains(help.out, "usage: sapo notify"));
    for (const auto& args : std::vector<std::vector<std::string>>{
             {},
             {"frobnicate"},
             {"approve"},
             {"cancel"},
             {"approve", "abc"},
             {"status", "x1"},
             {"create", "--facility"},
             {"create", "--bogus", "1"},
             {"create", "--param", "no-equals-sign"},
             {"create", "--date", s.yesterday, "--from", "10:00", "--to", "11:00", "--template", "tokyo_1"},
         }) {
        std::string shown;
        for (const auto& a : args) shown += a + " ";
        INFO("sapo notify " << shown);
        auto r = sapo_notify(args);
        CHECK(r.code == 2);
        CHECK_FALSE(r.err.empty());
    }

    const auto api_subject = " notification:" + api;
    const auto cli_subject = " notification:" + std::to_string(cli_id);
    const auto audit = s.audit();
    CHECK(std::count(audit.begin(), audit.end(), "cli:tanaka notification.create" + cli_subject) == 1);
    CHECK(std::count(audit.begin(), audit.end(), "admin:sato notification.create" + api_subject) == 1);
    CHECK(std::count(audit.begin(), audit.end(), "cli:suzuki notification.approve" + api_subject) == 1);
    CHECK(std::count(audit.begin(), audit.end(), "cli:yamada notification.cancel" + cli_subject) == 1);
    CHECK(audit.size() == 7);  // and the second CLI draft, and the raced one drafted and approved
    for (const auto& o : outputs) {
        INFO(o);
        CHECK_FALSE(has_user_id(o));
    }
    s.check_no_user_ids();
}
