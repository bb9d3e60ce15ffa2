// Facility check-in end to end: a real `sapo serve` (LINE credentials pointed at the fake LINE
// API, so not local mode), a real PostgreSQL, signed webhooks over a real socket. Facilities are
// registered through the admin API or by a manager in LINE; their QR images and posters are
// fetched from sapo's port; check-ins are sent as LINE text messages and answered by replies
// that the fake LINE server checks and records.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <unistd.h>

#include "bot/facility/codes.hpp"
#include "flows/tokyo_time.hpp"
#include "test/integration/line_replies.hpp"
#include "test/support/qr_decode.hpp"

using namespace sapo;
using namespace sapo::test;
using std::chrono::seconds;

namespace {

constexpr const char* kAdminToken = "checkin-e2e-admin-token";
constexpr const char* kCheckinKey = "e2e-checkin-key-0123456789abcdef";
constexpr const char* kBasicId = "@123abcde";
constexpr const char* kPublicBase = "https://sapo.example.test";
/// "チェックイン " percent-encoded as UTF-8
constexpr const char* kEncodedCheckin = "%E3%83%81%E3%82%A7%E3%83%83%E3%82%AF%E3%82%A4%E3%83%B3%20";

const std::string kBadCode =
    "このコードは確認できませんでした。記録はしていません。\n施設のポスターのQRコードを、もう一度LINEで読み取ってください。"
    "コードを入力したときは、英数字に誤りがないかご確認ください。";
const std::string kAskCode =
    "施設に掲示されたQRコードをLINEで読み取ってください。\nQRコードが読み取れないときは、ポスターのコード（英数字）を"
    "このまま送ってください。";
const std::string kNotManager =
    "従業員キーワードは、施設の責任者として登録した方だけが表示できます。施設を登録するには「施設登録」と送ってください。";
const std::string kBadKeyword =
    "このキーワードは確認できませんでした。キーワードは毎日変わります。責任者に今日のキーワードを確認してください。";

std::string checkin_done(const std::string& facility, const std::string& time) {
    return facility + "にチェックインしました（" + time +
           "）。\n\nこの施設を同じ時間帯に利用した方に新型コロナウイルス感染症の陽性者が確認された場合、"
           "県からこのLINEでお知らせします。お知らせが届いても、あなたが感染しているという意味ではありません。\n\n"
           "施設を訪れた日は、毎回チェックインしてください。記録は31日後に削除されます。";
}

std::string checkin_repeat(const std::string& facility, const std::string& time) {
    return facility + "には " + time + " にチェックイン済みです。30分以内のチェックインは1回として記録しています。";
}

std::string checkin_closed(const std::string& facility) {
    return facility + "は現在、チェックインを受け付けていません。記録はしていません。";
}

/// "11月21日 12:30": Tokyo (UTC+9, no daylight saving) wall time of a Unix time in ms, computed
/// here with the C library rather than sapo's own formatting.
std::string tokyo_time(long long ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000 + 9 * 3600);
    std::tm g{};
    gmtime_r(&t, &g);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%d月%d日 %02d:%02d", g.tm_mon + 1, g.tm_mday, g.tm_hour, g.tm_min);
    return buf;
}

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

constexpr long long kMinute = 60'000;

/// Full-width (U+FF01..U+FF5E) spelling of printable ASCII text, lower-cased first.
std::string fullwidth_lower(const std::string& ascii) {
    std::string out;
    for (char c : ascii) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        const unsigned cp = 0xFF00u + static_cast<unsigned>(c - 0x20);
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

rapidjson::Document json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    return doc;
}


bool is_null(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsNull();
}

std::map<std::string, std::string> checkin_env(bool with_basic_id = true, bool with_public_base = true) {
    std::map<std::string, std::string> env{
        {"SAPO_ADMIN_TOKEN", kAdminToken},
        {"SAPO_CHECKIN_KEY", kCheckinKey},
        // the hourly retention job must not run again during a test
        {"SAPO_MAINTENANCE_INTERVAL_MS", "86400000"},
    };
    if (with_basic_id) env["SAPO_LINE_BASIC_ID"] = kBasicId;
    if (with_public_base) env["SAPO_PUBLIC_BASE_URL"] = kPublicBase;
    return env;
}

struct CheckinService {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;
    facility::CheckinCodes codes{kCheckinKey};
    int sent = 0;

    explicit CheckinService(std::map<std::string, std::string> env = checkin_env())
        : sapo({"serve"}, service_env(db.url(), line, std::move(env))) {
        sapo.start_serving();
    }

    HttpResult admin(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::string& operator_name = "hanako") {
        return http_request(sapo.port(), method, target, body,
                            {{"Authorization", std::string("Bearer ") + kAdminToken}, {"X-Operator", operator_name}});
    }

    /// Registers a facility through the admin API; returns its JSON.
    rapidjson::Document create(const std::string& body) {
        auto r = admin("POST", "/admin/api/facilities", body);
        INFO(r.body);
        REQUIRE(r.status == 201);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        return d;
    }

    /// Posts one event (signed) with its own reply token; returns the reply LINE accepted for it.
    Reply send(const std::string& event_json, const std::string& token) {
        ++sent;
        return exchange(line, sapo, event_json, token);
    }

    Reply text(const std::string& user_id, long long ts, const std::string& t) {
        const auto n = std::to_string(sent + 1);
        return send(text_event(user_id, "01CHECKINEV" + n, "rt-checkin-" + n, ts, t), "rt-checkin-" + n);
    }
    Reply tap(const std::string& user_id, long long ts, const std::string& data) {
        const auto n = std::to_string(sent + 1);
        return send(postback_event(user_id, "01CHECKINEV" + n, "rt-checkin-" + n, ts, data), "rt-checkin-" + n);
    }

    std::string checkins(const std::string& where = "true") {
        return query_value(db.url(), "SELECT count(*) FROM checkins WHERE " + where);
    }

    /// The check-in times (ms) of a user at a facility, oldest first, comma-separated.
    std::string times_of(const std::string& user_id, long long facility_id) {
        return query_value(db.url(), "SELECT coalesce(string_agg((extract(epoch FROM checked_in_at) * 1000)::bigint::text, ',' "
                                     "ORDER BY checked_in_at), '') FROM checkins WHERE user_id = '" + user_id +
                                     "' AND facility_id = " + std::to_string(facility_id));
    }

    bool all_processed() {
        return query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status <> 'processed'") == "0" &&
               query_value(db.url(), "SELECT count(*) FROM webhook_events") == std::to_string(sent);
    }

    /// Every event was processed and answered with exactly one accepted reply; nothing pushed.
    void check_only_replies() {
        CHECK(wait_until([&] { return all_processed(); }, seconds(5)));
        CHECK(line.requests(line::FakeLineServer::kPushPath).empty());
        auto replies = line.requests(line::FakeLineServer::kReplyPath);
        CHECK(replies.size() == static_cast<std::size_t>(sent));
        for (const auto& r : replies) CHECK(r.accepted());
    }

    std::string checkin_url(const std::string& code) const {
        return std::string("https://line.me/R/oaMessage/") + kBasicId + "/?" + kEncodedCheckin + code;
    }
};

/// A time a few hours ago on a whole minute: recent enough to stay inside the retention, in the
/// past as LINE's event times are.
long long recent_minute() { return (now_ms() / kMinute) * kMinute - 3 * 60 * kMinute; }

}  // namespace

// --- the admin API ------------------------------------------------------------------------------

TEST_CASE_METHOD(CheckinService, "checkin e2e: the admin API registers a facility and hands out its code, URLs and QR",
                 "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    auto r = admin("POST", "/admin/api/facilities",
                   R"({"name":"居酒屋さくら <横浜> & \"駅前\"","kind":"飲食店","address":"横浜市中区1-2-3","phone":"045-000-0000"})",
                   "hanako");
    INFO(r.body);
    REQUIRE(r.status == 201);
    auto d = json(r.body);
    REQUIRE(d.IsObject());
    REQUIRE(d["id"].IsInt64());
    const auto id = d["id"].GetInt64();
    CHECK(id == 1);  // a fresh database
    CHECK(r.headers["location"] == "/admin/api/facilities/1");
    CHECK(r.headers["content-type"].find("application/json") == 0);
    const std::string code = str(d, "code");
    CHECK(code == codes.code_for(1));
    CHECK(code.size() == 9);
    CHECK(code[0] == '1');
    CHECK(str(d, "name") == "居酒屋さくら <横浜> & \"駅前\"");
    CHECK(str(d, "kind") == "飲食店");
    CHECK(str(d, "address") == "横浜市中区1-2-3");
    CHECK(str(d, "phone") == "045-000-0000");
    CHECK(str(d, "status") == "active");
    CHECK(is_null(d, "manager_user_id"));
    CHECK(is_null(d, "closed_at"));
    CHECK(str(d, "created_at").size() == 20);  // 2026-01-01T00:00:00Z
    CHECK(str(d, "checkin_text") == "チェックイン " + code);
    CHECK(str(d, "checkin_url") == "https://line.me/R/oaMessage/@123abcde/?%E3%83%81%E3%82%A7%E3%83%83%E3%82%AF%E3%82%A4%E3%83%B3%20" + code);
    CHECK(str(d, "qr_svg_url") == "https://sapo.example.test/facilities/" + code + "/qr.svg");
    CHECK(str(d, "qr_png_url") == "https://sapo.example.test/facilities/" + code + "/qr.png");
    CHECK(str(d, "poster_url") == "https://sapo.example.test/facilities/" + code + "/poster");
    CHECK(query_value(db.url(), "SELECT name || '|' || kind || '|' || status || '|' || coalesce(manager_user_id, '-') "
                                "FROM facilities WHERE id = 1") == "居酒屋さくら <横浜> & \"駅前\"|飲食店|active|-");

    SECTION("the pages: the PNG decodes to checkin_url; SVG; the poster") {
        auto png = http_request(sapo.port(), "GET", "/facilities/" + code + "/qr.png");
        REQUIRE(png.status == 200);
        CHECK(png.headers["content-type"] == "image/png");
        REQUIRE(png.body.size() > 100);
        CHECK(png.body.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
        if (have_zbarimg()) {
            const auto decoded = zbar_decode(png.body);
            REQUIRE(decoded.has_value());
            CHECK(*decoded == str(d, "checkin_url"));
            CHECK(*decoded == checkin_url(code));
        } else {
            WARN("zbarimg is not installed (Debian zbar-tools): the QR image was not decoded");
        }

        auto svg = http_request(sapo.port(), "GET", "/facilities/" + code + "/qr.svg");
        REQUIRE(svg.status == 200);
        CHECK(svg.headers["content-type"] == "image/svg+xml");
        CHECK(svg.body.find("<svg") != std::string::npos);
        CHECK(svg.body.find("</svg>") != std::string::npos);

        auto poster = http_request(sapo.port(), "GET", "/facilities/" + code + "/poster");
        REQUIRE(poster.status == 200);
        CHECK(poster.headers["content-type"] == "text/html; charset=utf-8");
        CHECK(poster.body.rfind("<!DOCTYPE html>", 0) == 0);
        CHECK(poster.body.find("居酒屋さくら &lt;横浜&gt; &amp; &quot;駅前&quot;") != std::string::npos);
        CHECK(poster.body.find("<横浜>") == std::string::npos);
        CHECK(poster.body.find("<div class=\"code\">" + code + "</div>") != std::string::npos);
        CHECK(poster.body.find("チェックイン " + code) != std::string::npos);
        CHECK(poster.body.find("<svg") != std::string::npos);

        // the code in lower case is the same code
        std::string lower_code = code;
        for (auto& c : lower_code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        CHECK(http_request(sapo.port(), "GET", "/facilities/" + lower_code + "/qr.svg").status == 200);
        // edited codes are not found
        const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        for (std::size_t pos : {std::size_t{0}, std::size_t{1}, std::size_t{4}, code.size() - 1}) {
            std::string edited = code;
            edited[pos] = alphabet[(alphabet.find(code[pos]) + 7) % 32];
            INFO("edited " << edited);
            for (const char* what : {"qr.png", "qr.svg", "poster"}) {
                auto e = http_request(sapo.port(), "GET", "/facilities/" + edited + "/" + what);
                CHECK(e.status == 404);
                CHECK(e.body == R"({"message":"no facility has this code"})");
            }
        }
        // a genuine code of a facility that does not exist
        CHECK(http_request(sapo.port(), "GET", "/facilities/" + codes.code_for(2) + "/qr.png").status == 404);
        // something else under the code
        CHECK(http_request(sapo.port(), "GET", "/facilities/" + code + "/qr.gif").status == 404);
        CHECK(http_request(sapo.port(), "POST", "/facilities/" + code + "/qr.png").status == 405);
        // closed: gone
        REQUIRE(admin("POST", "/admin/api/facilities/1/close").status == 200);
        for (const char* what : {"qr.png", "qr.svg", "poster"}) {
            auto g = http_request(sapo.port(), "GET", "/facilities/" + code + "/" + what);
            CHECK(g.status == 410);
            CHECK(g.body == R"({"message":"this facility is closed"})");
        }
    }

    SECTION("list, one, change, close, and the audit trail") {
        auto second = create(R"({"name":"市民ホール","kind":"公共施設"})");
        CHECK(second["id"].GetInt64() == 2);
        CHECK(str(second, "address") == "");
        CHECK(str(second, "phone") == "");
        CHECK(str(second, "code") == codes.code_for(2));

        auto list = admin("GET", "/admin/api/facilities");
        REQUIRE(list.status == 200);
        auto l = json(list.body);
        REQUIRE(l["facilities"].IsArray());
        REQUIRE(l["facilities"].Size() == 2);
        CHECK(l["facilities"][0]["id"].GetInt64() == 1);
        CHECK(str(l["facilities"][0], "code") == code);
        CHECK(str(l["facilities"][1], "name") == "市民ホール");
        CHECK(str(l["facilities"][1], "poster_url") == "https://sapo.example.test/facilities/" + codes.code_for(2) + "/poster");

        auto one = admin("GET", "/admin/api/facilities/1");
        REQUIRE(one.status == 200);
        auto o = json(one.body);
        CHECK(str(o, "name") == "居酒屋さくら <横浜> & \"駅前\"");
        CHECK(str(o, "checkin_url") == str(d, "checkin_url"));
        CHECK(admin("GET", "/admin/api/facilities/99").status == 404);
        CHECK(admin("GET", "/admin/api/facilities/abc").status == 404);

        const auto manager = user(901);
        auto patched = admin("PATCH", "/admin/api/facilities/1",
                             R"({"phone":"03-1234-5678","manager_user_id":")" + manager + R"("})", "taro");
        INFO(patched.body);
        REQUIRE(patched.status == 200);
        auto p = json(patched.body);
        CHECK(str(p, "phone") == "03-1234-5678");
        CHECK(str(p, "name") == "居酒屋さくら <横浜> & \"駅前\"");  // unchanged
        CHECK(str(p, "address") == "横浜市中区1-2-3");
        CHECK(str(p, "manager_user_id") == manager);
        CHECK(str(p, "code") == code);  // the code never changes
        CHECK(query_value(db.url(), "SELECT phone FROM facilities WHERE id = 1") == "03-1234-5678");
        CHECK(query_value(db.url(), "SELECT role FROM facility_staff WHERE facility_id = 1 AND user_id = '" + manager + "'") ==
              "manager");

        auto missing = admin("PATCH", "/admin/api/facilities/99", R"({"phone":"03-1234-5678"})");
        CHECK(missing.status == 404);
        CHECK(admin("PATCH", "/admin/api/facilities/1", R"({"kind":"カフェ"})").status == 422);
        CHECK(query_value(db.url(), "SELECT kind FROM facilities WHERE id = 1") == "飲食店");

        auto closed = admin("POST", "/admin/api/facilities/2/close", "", "jiro");
        REQUIRE(closed.status == 200);
        auto c = json(closed.body);
        CHECK(str(c, "status") == "closed");
        CHECK(str(c, "closed_at").size() == 20);
        CHECK(query_value(db.url(), "SELECT status || ':' || (closed_at IS NOT NULL) FROM facilities WHERE id = 2") == "closed:true");
        CHECK(admin("POST", "/admin/api/facilities/99/close").status == 404);
        CHECK(admin("GET", "/admin/api/facilities/2/close").status == 405);
        CHECK(admin("DELETE", "/admin/api/facilities/2").status == 405);
        // facility 1 is still active
        CHECK(query_value(db.url(), "SELECT status FROM facilities WHERE id = 1") == "active");

        auto audit = query_rows(db.url(), "SELECT actor, action, subject, details->>'status' FROM audit_log "
                                          "WHERE action LIKE 'facility.%' ORDER BY id");
        REQUIRE(audit.size() == 4);
        CHECK(audit[0] == std::vector<std::string>{"admin:hanako", "facility.create", "facility:1", "active"});
        CHECK(audit[1] == std::vector<std::string>{"admin:hanako", "facility.create", "facility:2", "active"});
        CHECK(audit[2] == std::vector<std::string>{"admin:taro", "facility.update", "facility:1", "active"});
        CHECK(audit[3] == std::vector<std::string>{"admin:jiro", "facility.close", "facility:2", "closed"});
    }
}

TEST_CASE_METHOD(CheckinService, "checkin e2e: invalid facilities get 422 with an error per field, and nothing is stored",
                 "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    auto r = admin("POST", "/admin/api/facilities",
                   R"({"name":"","kind":"カフェ","address":"横浜市","phone":"call me","manager_user_id":"U123","color":"red"})");
    INFO(r.body);
    REQUIRE(r.status == 422);
    auto d = json(r.body);
    REQUIRE(d.IsObject());
    CHECK(str(d, "message") == "the facility is not valid; see errors");
    REQUIRE(d["errors"].IsObject());
    const auto& e = d["errors"];
    CHECK(e.MemberCount() == 5);
    CHECK(str(e, "name") == "must be 1 to 100 characters");
    CHECK(str(e, "kind") == "must be one of 飲食店, 小売店, イベント, 公共施設, 宿泊施設, 医療・福祉, 教育, その他");
    CHECK(str(e, "phone") == "must be a phone number of digits and hyphens, e.g. 045-000-0000");
    CHECK(str(e, "manager_user_id") == "must be a LINE user id (U followed by 32 hex digits)");
    CHECK(str(e, "color") == "unknown field; use name, kind, address, phone, manager_user_id");
    CHECK_FALSE(e.HasMember("address"));

    SECTION("required fields, types and one-line text") {
        auto missing = json(admin("POST", "/admin/api/facilities", R"({"address":"横浜市"})").body);
        REQUIRE(missing["errors"].IsObject());
        CHECK(missing["errors"].MemberCount() == 2);
        CHECK(str(missing["errors"], "name") == "is required");
        CHECK(str(missing["errors"], "kind") == "is required");

        auto types = admin("POST", "/admin/api/facilities", R"({"name":42,"kind":"飲食店","address":"1行目\n2行目"})");
        CHECK(types.status == 422);
        auto t = json(types.body);
        CHECK(str(t["errors"], "name") == "must be text");
        CHECK(str(t["errors"], "address") == "must be one line of text");
        CHECK(t["errors"].MemberCount() == 2);

        const std::string long_name(101, 'x');
        auto too_long = json(admin("POST", "/admin/api/facilities", R"({"name":")" + long_name + R"(","kind":"教育"})").body);
        CHECK(str(too_long["errors"], "name") == "must be 1 to 100 characters");
        // 100 characters is fine, counted as characters, not bytes
        std::string hundred;
        for (int i = 0; i < 100; ++i) hundred += "店";
        CHECK(admin("POST", "/admin/api/facilities", R"({"name":")" + hundred + R"(","kind":"教育"})").status == 201);
        CHECK(query_value(db.url(), "SELECT count(*) FROM facilities") == "1");
    }
    SECTION("a body that is not a JSON object") {
        CHECK(admin("POST", "/admin/api/facilities", "not json").status == 400);
        CHECK(admin("POST", "/admin/api/facilities", "[1,2]").status == 400);
        // a field name that is not UTF-8 would come back inside the answer's JSON
        auto bad = admin("POST", "/admin/api/facilities", "{\"\xff\xfe\":\"x\",\"name\":\"a\",\"kind\":\"教育\"}");
        CHECK(bad.status == 400);
        CHECK(bad.body == R"({"message":"the body must be a UTF-8 JSON object"})");
        CHECK(query_value(db.url(), "SELECT count(*) FROM facilities") == "0");
    }
    SECTION("a valid phone and manager pass") {
        auto ok = admin("POST", "/admin/api/facilities",
                        R"({"name":"さくら薬局","kind":"小売店","phone":"+81 (45) 000-0000","manager_user_id":")" + user(7) + R"("})");
        INFO(ok.body);
        CHECK(ok.status == 201);
        CHECK(query_value(db.url(), "SELECT role FROM facility_staff WHERE user_id = '" + user(7) + "'") == "manager");
    }
    // nothing from the invalid requests was stored or audited
    CHECK(query_value(db.url(), "SELECT count(*) FROM facilities WHERE name = '' OR kind = 'カフェ'") == "0");
    CHECK(query_value(db.url(), "SELECT count(*) FROM audit_log WHERE action LIKE 'facility.%'") ==
          query_value(db.url(), "SELECT count(*) FROM facilities"));
}

TEST_CASE("checkin e2e: without SAPO_LINE_BASIC_ID (LINE mode) registering a facility is 503 and names the setting",
          "[pg][net][e2e][checkin]") {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo({"serve"}, service_env(db.url(), line, checkin_env(false)));
    sapo.start_serving();
    INFO(sapo.log());
    const std::map<std::string, std::string> auth{{"Authorization", std::string("Bearer ") + kAdminToken}};
    auto r = http_request(sapo.port(), "POST", "/admin/api/facilities", R"({"name":"市民ホール","kind":"公共施設"})", auth);
    INFO(r.body);
    CHECK(r.status == 503);
    CHECK(r.body.find("SAPO_LINE_BASIC_ID") != std::string::npos);
    CHECK(query_value(db.url(), "SELECT count(*) FROM facilities") == "0");
    CHECK(query_value(db.url(), "SELECT count(*) FROM audit_log WHERE action LIKE 'facility.%'") == "0");
    // the rest of the admin API works
    auto list = http_request(sapo.port(), "GET", "/admin/api/facilities", "", auth);
    CHECK(list.status == 200);
    CHECK(list.body == R"({"facilities":[]})");
    CHECK(sapo.log().find("SAPO_LINE_BASIC_ID is not set") != std::string::npos);
}

// --- check-in through /webhook ----------------------------------------------------------------

TEST_CASE_METHOD(CheckinService, "checkin e2e: checking in by the QR's text, once per 30 minutes",
                 "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    auto f = create(R"({"name":"居酒屋さくら <横浜>","kind":"飲食店"})");
    const auto id = f["id"].GetInt64();
    const std::string code = str(f, "code");
    const std::string qr_text = str(f, "checkin_text");
    REQUIRE(qr_text == "チェックイン " + code);
    const std::string name = "居酒屋さくら <横浜>";
    const auto u = user(501);
    const long long t0 = recent_minute();

    auto r1 = send(text_event(u, "01CHECKINFIRST", "rt-first", t0, qr_text), "rt-first");
    REQUIRE(r1.messages.size() == 1);
    CHECK(r1.messages[0].type == "text");
    CHECK(r1.messages[0].text == checkin_done(name, tokyo_time(t0)));
    CHECK(wait_until([&] { return checkins() == "1"; }, seconds(5)));
    CHECK(times_of(u, id) == std::to_string(t0));
    // a check-in row holds the user, the facility and the time, nothing else
    CHECK(query_value(db.url(), "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                                "WHERE table_name = 'checkins'") == "user_id,facility_id,checked_in_at");
    CHECK(query_value(db.url(), "SELECT count(*) FROM sessions WHERE user_id = '" + u + "'") == "0");

    // 10 minutes later: the same check-in
    auto r2 = text(u, t0 + 10 * kMinute, qr_text);
    REQUIRE(r2.messages.size() == 1);
    CHECK(r2.messages[0].text == checkin_repeat(name, tokyo_time(t0)));
    // just under 30 minutes: still the same
    auto r3 = text(u, t0 + 30 * kMinute - 1000, qr_text);
    REQUIRE(r3.messages.size() == 1);
    CHECK(r3.messages[0].text == checkin_repeat(name, tokyo_time(t0)));
    CHECK(wait_until([&] { return all_processed(); }, seconds(5)));
    CHECK(checkins() == "1");

    // 31 minutes after the first: a new check-in
    auto r4 = text(u, t0 + 31 * kMinute, qr_text);
    REQUIRE(r4.messages.size() == 1);
    CHECK(r4.messages[0].text == checkin_done(name, tokyo_time(t0 + 31 * kMinute)));
    CHECK(wait_until([&] { return checkins() == "2"; }, seconds(5)));
    CHECK(times_of(u, id) == std::to_string(t0) + "," + std::to_string(t0 + 31 * kMinute));

    // another user at the same time is a check-in of their own
    const auto v = user(502);
    auto r5 = text(v, t0 + 10 * kMinute, qr_text);
    CHECK(r5.messages[0].text == checkin_done(name, tokyo_time(t0 + 10 * kMinute)));
    CHECK(wait_until([&] { return checkins() == "3"; }, seconds(5)));
    CHECK(times_of(v, id) == std::to_string(t0 + 10 * kMinute));
    // and the same user at another facility inside the 30 minutes is a check-in there
    auto other = create(R"({"name":"さくら薬局","kind":"小売店"})");
    auto r6 = text(u, t0 + 11 * kMinute, str(other, "checkin_text"));
    CHECK(r6.messages[0].text == checkin_done("さくら薬局", tokyo_time(t0 + 11 * kMinute)));
    CHECK(wait_until([&] { return checkins() == "4"; }, seconds(5)));
    CHECK(times_of(u, other["id"].GetInt64()) == std::to_string(t0 + 11 * kMinute));
    CHECK(times_of(u, id) == std::to_string(t0) + "," + std::to_string(t0 + 31 * kMinute));

    // the menu path (asks for the code, then takes it)
    const auto w = user(503);
    auto ask = text(w, t0, "チェックイン");
    REQUIRE(ask.messages.size() == 1);
    CHECK(ask.messages[0].text == kAskCode);
    CHECK(wait_until([&] { return !query_value(db.url(), "SELECT node FROM sessions WHERE user_id = '" + w + "'").empty(); },
                     seconds(5)));
    auto answered = text(w, t0 + kMinute, code);
    CHECK(answered.messages[0].text == checkin_done(name, tokyo_time(t0 + kMinute)));
    CHECK(wait_until([&] { return times_of(w, id) == std::to_string(t0 + kMinute); }, seconds(5)));
    check_only_replies();
}

TEST_CASE_METHOD(CheckinService, "checkin e2e: the bare code, full-width and lower case, checks in",
                 "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    auto f = create(R"({"name":"市民ホール","kind":"公共施設"})");
    const auto id = f["id"].GetInt64();
    const std::string code = str(f, "code");
    const long long t0 = recent_minute();

    const auto wide = fullwidth_lower(code);
    REQUIRE(wide.size() == 3 * code.size());
    auto r = text(user(511), t0, wide);
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0].text == checkin_done("市民ホール", tokyo_time(t0)));
    CHECK(wait_until([&] { return times_of(user(511), id) == std::to_string(t0); }, seconds(5)));

    // the bare code as printed, with spaces around; the full-width check-in word and space
    auto r2 = text(user(512), t0, "  " + code + " ");
    CHECK(r2.messages[0].text == checkin_done("市民ホール", tokyo_time(t0)));
    auto r3 = text(user(513), t0, "チェックイン　" + wide);
    CHECK(r3.messages[0].text == checkin_done("市民ホール", tokyo_time(t0)));
    CHECK(wait_until([&] { return checkins() == "3"; }, seconds(5)));
    check_only_replies();
}

TEST_CASE_METHOD(CheckinService, "checkin e2e: edited, invented and unknown codes are refused politely, nothing recorded",
                 "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    auto f = create(R"({"name":"市民ホール","kind":"公共施設"})");
    const std::string code = str(f, "code");
    const long long t0 = recent_minute();
    const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const auto u = user(521);

    // every position, a few different characters each
    int refused = 0;
    for (std::size_t pos = 0; pos < code.size(); ++pos) {
        for (std::size_t step : {std::size_t{1}, std::size_t{16}}) {
            std::string edited = code;
            edited[pos] = alphabet[(alphabet.find(code[pos]) + step) % 32];
            REQUIRE(edited != code);
            INFO("edited " << edited);
            auto r = text(u, t0 + refused * 1000, "チェックイン " + edited);
            REQUIRE(r.messages.size() == 1);
            CHECK(r.messages[0].text == kBadCode);
            ++refused;
        }
    }
    CHECK(refused == static_cast<int>(2 * code.size()));
    // the bare code, edited (the code trigger, not the prefix)
    std::string edited_last = code;
    edited_last.back() = alphabet[(alphabet.find(code.back()) + 5) % 32];
    CHECK(text(u, t0, edited_last).messages[0].text == kBadCode);
    // dropped and added characters
    CHECK(text(u, t0, "チェックイン " + code.substr(0, code.size() - 1)).messages[0].text == kBadCode);
    CHECK(text(u, t0, "チェックイン " + code + "7").messages[0].text == kBadCode);
    CHECK(text(u, t0, "チェックイン 0" + code).messages[0].text == kBadCode);
    // invented
    CHECK(text(u, t0, "チェックイン HELLO12345").messages[0].text == kBadCode);
    // a genuine code (made with the key this test configured) of a facility that never existed
    CHECK(text(u, t0, "チェックイン " + codes.code_for(424242)).messages[0].text == kBadCode);
    // a code made with another key
    CHECK(text(u, t0, "チェックイン " + facility::CheckinCodes("some-other-key-0123456789").code_for(1)).messages[0].text ==
          kBadCode);

    CHECK(wait_until([&] { return all_processed(); }, seconds(10)));
    CHECK(checkins() == "0");
    // the right code still works for the same user afterwards
    auto ok = text(u, t0 + 60 * kMinute, "チェックイン " + code);
    CHECK(ok.messages[0].text == checkin_done("市民ホール", tokyo_time(t0 + 60 * kMinute)));
    CHECK(wait_until([&] { return checkins() == "1"; }, seconds(5)));
    check_only_replies();
}

TEST_CASE_METHOD(CheckinService, "checkin e2e: a closed facility takes no check-ins", "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    auto open = create(R"({"name":"居酒屋さくら","kind":"飲食店"})");
    auto closing = create(R"({"name":"夏祭り2026","kind":"イベント"})");
    const long long t0 = recent_minute();
    const auto u = user(531);

    // checked in while open
    CHECK(text(u, t0, str(closing, "checkin_text")).messages[0].text == checkin_done("夏祭り2026", tokyo_time(t0)));
    CHECK(wait_until([&] { return checkins() == "1"; }, seconds(5)));

    REQUIRE(admin("POST", "/admin/api/facilities/" + std::to_string(closing["id"].GetInt64()) + "/close").status == 200);
    auto r = text(u, t0 + 45 * kMinute, str(closing, "checkin_text"));
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0].text == checkin_closed("夏祭り2026"));
    auto bare = text(user(532), t0 + 45 * kMinute, str(closing, "code"));
    CHECK(bare.messages[0].text == checkin_closed("夏祭り2026"));
    CHECK(wait_until([&] { return all_processed(); }, seconds(5)));
    CHECK(checkins() == "1");
    CHECK(checkins("facility_id = " + std::to_string(closing["id"].GetInt64()) + " AND checked_in_at > to_timestamp(" +
                   std::to_string((t0 + kMinute) / 1000) + ")") == "0");

    // the open one still works
    CHECK(text(u, t0 + 46 * kMinute, str(open, "checkin_text")).messages[0].text ==
          checkin_done("居酒屋さくら", tokyo_time(t0 + 46 * kMinute)));
    CHECK(wait_until([&] { return checkins() == "2"; }, seconds(5)));
    check_only_replies();
}

// --- managers and employees in LINE -----------------------------------------------------------

TEST_CASE_METHOD(CheckinService, "checkin e2e: a manager registers in LINE, gets the QR image and poster, adds an employee",
                 "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    const auto manager = user(601);
    const auto employee = user(602);
    const auto stranger = user(603);
    const long long t0 = recent_minute();

    auto intro = text(manager, t0, "施設登録");
    REQUIRE(intro.messages.size() == 2);
    CHECK(intro.messages[0].text.rfind("施設の責任者として、チェックイン用のQRコードを発行します。", 0) == 0);
    CHECK(intro.messages[1].text == "施設の名前を教えてください（例: 居酒屋さくら 横浜駅前店）。");

    auto kind = text(manager, t0 + 1000, "居酒屋さぽ 盛岡駅前店");
    REQUIRE(kind.messages.size() == 1);
    CHECK(kind.messages[0].text == "施設の種類を選んでください。");
    REQUIRE(kind.messages[0].buttons.size() == 7);
    const Button* restaurant = nullptr;
    for (const auto& b : kind.messages[0].buttons) {
        if (b.label == "飲食店") restaurant = &b;
    }
    REQUIRE(restaurant != nullptr);
    CHECK(restaurant->type == "postback");

    auto address = tap(manager, t0 + 2000, restaurant->data);
    REQUIRE(address.messages.size() == 1);
    CHECK(address.messages[0].text == "施設の住所を教えてください。");
    auto phone = text(manager, t0 + 3000, "盛岡市盛岡駅前通1-1");
    CHECK(phone.messages[0].text == "施設の電話番号を教えてください（例: 045-000-0000）。");
    auto confirm = text(manager, t0 + 4000, "019-000-0000");
    CHECK(confirm.messages[0].text ==
          "この内容で登録しますか？\n名前: 居酒屋さぽ 盛岡駅前店\n種類: 飲食店\n住所: 盛岡市盛岡駅前通1-1\n電話: 019-000-0000");
    CHECK(query_value(db.url(), "SELECT count(*) FROM facilities") == "0");

    auto done = text(manager, t0 + 5000, "はい");
    INFO(done.raw);
    CHECK(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM facilities") == "1"; }, seconds(5)));
    auto row = query_rows(db.url(), "SELECT id, name, kind, address, phone, manager_user_id, status FROM facilities");
    REQUIRE(row.size() == 1);
    const auto id = std::stoll(row[0][0]);
    CHECK(row[0] == std::vector<std::string>{row[0][0], "居酒屋さぽ 盛岡駅前店", "飲食店", "盛岡市盛岡駅前通1-1", "019-000-0000",
                                             manager, "active"});
    CHECK(query_rows(db.url(), "SELECT facility_id, user_id, role FROM facility_staff") ==
          std::vector<std::vector<std::string>>{{row[0][0], manager, "manager"}});
    const std::string code = codes.code_for(id);
    const std::string png_url = std::string(kPublicBase) + "/facilities/" + code + "/qr.png";

    REQUIRE(done.messages.size() == 2);
    CHECK(done.messages[0].type == "image");
    CHECK(done.messages[0].original_url == png_url);
    CHECK(done.messages[0].preview_url == png_url);
    CHECK(done.messages[0].original_url.rfind("https://", 0) == 0);  // LINE takes images over https only
    CHECK(done.messages[1].type == "text");
    CHECK(done.messages[1].text.rfind("居酒屋さぽ 盛岡駅前店を登録しました。\n\n", 0) == 0);
    CHECK(done.messages[1].text.find("掲示用ポスター（A4）: https://sapo.example.test/facilities/" + code + "/poster\n") !=
          std::string::npos);
    CHECK(done.messages[1].text.find("コード: " + code + "\n") != std::string::npos);
    CHECK(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM sessions WHERE user_id = '" + manager + "'") == "0"; },
                     seconds(5)));
    // the audit trail is for operators; a manager's registration is in LINE, not the admin API
    CHECK(query_value(db.url(), "SELECT count(*) FROM audit_log WHERE action = 'facility.create'") == "0");

    // the image the message points at is served (here from the local port) and scans to the LINE URL
    auto png = http_request(sapo.port(), "GET", "/facilities/" + code + "/qr.png");
    REQUIRE(png.status == 200);
    CHECK(png.headers["content-type"] == "image/png");
    if (have_zbarimg()) {
        const auto decoded = zbar_decode(png.body);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == checkin_url(code));
    } else {
        WARN("zbarimg is not installed (Debian zbar-tools): the QR image was not decoded");
    }
    auto poster = http_request(sapo.port(), "GET", "/facilities/" + code + "/poster");
    CHECK(poster.status == 200);
    CHECK(poster.body.find("居酒屋さぽ 盛岡駅前店") != std::string::npos);

    // the admin API sees it with its manager
    auto listed = json(admin("GET", "/admin/api/facilities/" + row[0][0]).body);
    CHECK(str(listed, "manager_user_id") == manager);
    CHECK(str(listed, "code") == code);

    // the day's employee keyword
    const auto day_before = flows::tokyo_date(now_ms());
    auto kw_reply = text(manager, t0 + 6000, "従業員キーワード");
    const auto day_after = flows::tokyo_date(now_ms());
    REQUIRE(kw_reply.messages.size() == 1);
    const std::string& kw_text = kw_reply.messages[0].text;
    const std::string lead = "居酒屋さぽ 盛岡駅前店の今日の従業員キーワード: ";
    REQUIRE(kw_text.rfind(lead, 0) == 0);
    const auto keyword = kw_text.substr(lead.size(), kw_text.find('\n') - lead.size());
    CHECK((keyword == codes.staff_keyword(id, day_before) || keyword == codes.staff_keyword(id, day_after)));
    CHECK(keyword.find('-') != std::string::npos);
    CHECK(kw_text.find("「従業員登録 " + keyword + "」") != std::string::npos);

    // an employee gives it (as they are told to: first the word, then the keyword)
    auto ask = text(employee, t0 + 7000, "従業員登録");
    REQUIRE(ask.messages.size() == 1);
    CHECK(ask.messages[0].text == "責任者から伝えられた従業員キーワードを送ってください。");
    auto joined = text(employee, t0 + 8000, keyword);
    REQUIRE(joined.messages.size() == 1);
    CHECK(joined.messages[0].text == "居酒屋さぽ 盛岡駅前店の従業員として登録しました。");
    CHECK(wait_until([&] {
        return query_value(db.url(), "SELECT role FROM facility_staff WHERE facility_id = " + row[0][0] + " AND user_id = '" +
                                         employee + "'") == "employee";
    }, seconds(5)));

    // someone with a wrong keyword (one character changed) is refused
    std::string wrong = keyword;
    wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
    auto refused = text(stranger, t0 + 9000, "従業員登録");
    CHECK(refused.messages[0].text == "責任者から伝えられた従業員キーワードを送ってください。");
    auto refused2 = text(stranger, t0 + 10000, wrong);
    REQUIRE(refused2.messages.size() == 1);
    CHECK(refused2.messages[0].text == kBadKeyword);
    // and the employee, not being the manager, gets no keyword
    auto not_manager = text(employee, t0 + 11000, "従業員キーワード");
    REQUIRE(not_manager.messages.size() == 1);
    CHECK(not_manager.messages[0].text == kNotManager);

    CHECK(wait_until([&] { return all_processed(); }, seconds(5)));
    CHECK(query_rows(db.url(), "SELECT user_id, role FROM facility_staff ORDER BY role DESC") ==
          std::vector<std::vector<std::string>>{{manager, "manager"}, {employee, "employee"}});
    // nobody checked in by any of this
    CHECK(checkins() == "0");
    check_only_replies();
}

TEST_CASE_METHOD(CheckinService, "checkin e2e: 「従業員登録 <keyword>」 in one message registers the employee",
                 "[pg][net][e2e][checkin]") {
    // The prefix trigger hands the flow the rest of the message without punctuation, so the
    // keyword arrives without its dash: it must still be recognised.
    INFO(sapo.log());
    const auto manager = user(611);
    const auto employee = user(612);
    create(R"({"name":"さくら薬局","kind":"小売店","manager_user_id":")" + manager + R"("})");
    const long long t0 = recent_minute();
    auto kw_reply = text(manager, t0, "従業員キーワード");
    const std::string lead = "さくら薬局の今日の従業員キーワード: ";
    REQUIRE(kw_reply.messages[0].text.rfind(lead, 0) == 0);
    const auto keyword = kw_reply.messages[0].text.substr(lead.size(), kw_reply.messages[0].text.find('\n') - lead.size());

    auto joined = text(employee, t0 + 1000, "従業員登録 " + keyword);
    REQUIRE(joined.messages.size() == 1);
    CHECK(joined.messages[0].text == "さくら薬局の従業員として登録しました。");
    REQUIRE(wait_until([&] { return all_processed(); }, seconds(5)));
    CHECK(query_value(db.url(), "SELECT role FROM facility_staff WHERE user_id = '" + employee + "'") == "employee");
}

TEST_CASE_METHOD(CheckinService, "checkin e2e: only a manager gets a keyword and a closed facility's keyword is refused",
                 "[pg][net][e2e][checkin]") {
    INFO(sapo.log());
    const auto manager = user(621);
    const long long t0 = recent_minute();
    // nobody manages anything yet
    auto none = text(manager, t0, "従業員キーワード");
    REQUIRE(none.messages.size() == 1);
    CHECK(none.messages[0].text == kNotManager);

    // an operator makes them the manager
    auto f = create(R"({"name":"市民ホール","kind":"公共施設","manager_user_id":")" + manager + R"("})");
    const auto id = f["id"].GetInt64();
    auto kw = text(manager, t0 + 1000, "従業員キーワード");
    const std::string lead = "市民ホールの今日の従業員キーワード: ";
    REQUIRE(kw.messages[0].text.rfind(lead, 0) == 0);
    const auto keyword = kw.messages[0].text.substr(lead.size(), kw.messages[0].text.find('\n') - lead.size());
    CHECK(keyword.rfind(codes.code_for(id).substr(0, 1) + "-", 0) == 0);

    // closed: the keyword no longer lets anyone join, and the manager gets none
    REQUIRE(admin("POST", "/admin/api/facilities/" + std::to_string(id) + "/close").status == 200);
    CHECK(text(user(622), t0 + 2000, "従業員登録").messages[0].text == "責任者から伝えられた従業員キーワードを送ってください。");
    CHECK(text(user(622), t0 + 3000, keyword).messages[0].text == kBadKeyword);
    CHECK(text(manager, t0 + 4000, "従業員キーワード").messages[0].text == kNotManager);
    CHECK(wait_until([&] { return all_processed(); }, seconds(5)));
    CHECK(query_value(db.url(), "SELECT count(*) FROM facility_staff WHERE role = 'employee'") == "0");
    check_only_replies();
}

TEST_CASE("checkin e2e: without SAPO_PUBLIC_BASE_URL (LINE mode) no http image is sent to a manager",
          "[pg][net][e2e][checkin]") {
    // LINE accepts image messages only with https URLs: an http one would make LINE refuse the
    // whole registration reply. Without an https public base URL the image is left out (the text
    // still has the poster link and the code). The fake LINE server does not check the scheme, so
    // this test does.
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo({"serve"}, service_env(db.url(), line, checkin_env(true, false)));
    sapo.start_serving();
    INFO(sapo.log());
    line.accept_any_reply_token(true);
    const auto manager = user(631);
    const long long t0 = recent_minute();
    const std::vector<std::string> steps{"施設登録", "居酒屋さぽ", "飲食店", "盛岡市", "019-000-0000", "はい"};
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto n = std::to_string(i);
        REQUIRE(post_webhook(sapo.port(), callback_body(text_event(manager, "01NOBASE" + n, "rt-nobase-" + n, t0 + 1000 * static_cast<long long>(i), steps[i])), kSecret).status == 200);
        REQUIRE(line.wait_for_accepted(i + 1, seconds(10), line::FakeLineServer::kReplyPath));
    }
    REQUIRE(query_value(db.url(), "SELECT count(*) FROM facilities") == "1");
    auto last = parse_reply(line.requests(line::FakeLineServer::kReplyPath).back());
    INFO(last.raw);
    for (const auto& m : last.messages) {
        if (m.type != "image") continue;
        CHECK(m.original_url.rfind("https://", 0) == 0);
        CHECK(m.preview_url.rfind("https://", 0) == 0);
    }
    CHECK(last.messages.back().text.find("を登録しました") != std::string::npos);
}
