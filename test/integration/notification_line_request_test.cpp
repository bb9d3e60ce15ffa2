// A facility's staff ask for a notification in LINE (通知を依頼する): the conversation, the
// draft it leaves for operators, and the message the manager gets once it has been sent.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <string>

#include "test/integration/line_replies.hpp"
#include "test/support/tokyo_days.hpp"

using namespace sapo;
using namespace sapo::test;
using std::chrono::seconds;

namespace {

constexpr const char* kAdminToken = "line-request-admin-token";

struct Service {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;
    int event = 0;

    Service()
        : sapo({"serve"}, service_env(db.url(), line,
                                      {{"SAPO_ADMIN_TOKEN", kAdminToken}, {"SAPO_FANOUT_POLL_MS", "50"},
                                       {"SAPO_LINE_BASIC_ID", "@123abcde"}})) {
        sapo.start_serving();
    }

    Reply say(const std::string& user_id, const std::string& text) {
        ++event;
        const std::string n = std::to_string(event);
        return exchange(line, sapo, text_event(user_id, "ev-" + n, "token-" + n, now_ms(), text), "token-" + n);
    }
};

}  // namespace

TEST_CASE("notify: a manager asks in LINE, an operator approves, the manager is told it went out", "[notify][line]") {
    if (!have_test_postgres()) return;
    Service s;
    const std::string date = tokyo_date(tokyo_midnight(1));
    const std::string date_ja = tokyo_date(tokyo_midnight(1), true);
    const std::string manager = user(1);
    exec_sql(s.db.url(), "INSERT INTO facilities (name, kind, phone) VALUES ('カフェ山田', '飲食店', '03-1111-2222')");
    exec_sql(s.db.url(), "INSERT INTO facility_staff (facility_id, user_id, role) VALUES (1, '" + manager + "', 'manager')");
    // three visitors inside 12:00-14:00 yesterday (Tokyo), one after it
    const std::string at = "('" + date + " 00:00'::timestamp AT TIME ZONE 'Asia/Tokyo')";
    exec_sql(s.db.url(), "SELECT sapo_ensure_checkin_partition(" + at + ")");
    exec_sql(s.db.url(), "INSERT INTO checkins VALUES ('" + user(11) + "', 1, " + at + " + interval '12 hours'), ('" +
                             user(12) + "', 1, " + at + " + interval '13 hours 59 minutes'), ('" + user(13) + "', 1, " + at +
                             " + interval '12 hours 30 minutes'), ('" + user(14) + "', 1, " + at + " + interval '15 hours')");

    auto r = s.say(manager, "通知を依頼する");
    CHECK(r.all_text().find("カフェ山田を利用した方へのお知らせ（通知）を依頼します。") != std::string::npos);
    CHECK(r.all_text().find("対象の日はいつですか？") != std::string::npos);
    CHECK(s.say(manager, "昨日").all_text().find("何時からですか？") != std::string::npos);
    CHECK(s.say(manager, "12時").all_text().find("何時までですか？") != std::string::npos);
    r = s.say(manager, "14");
    CHECK(r.all_text().find("お知らせの文面を選んでください。") != std::string::npos);
    REQUIRE(r.messages.back().buttons.size() == 3);
    r = s.say(manager, "陽性者が利用");
    CHECK(r.all_text().find("この内容で依頼しますか？\n施設: カフェ山田\n日: " + date + "\n時間: 12時〜14時") != std::string::npos);
    r = s.say(manager, "はい");
    CHECK(r.all_text().find("ご依頼を受け付けました（受付番号 1）。") != std::string::npos);

    auto rows = query_rows(s.db.url(),
                           "SELECT status, requested_by, requested_by_user, window_date::text, window_from, window_to, "
                           "template_id FROM notifications");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0] == std::vector<std::string>{"draft", "line:manager", manager, date, "12:00", "14:00", "tokyo_1"});

    // any operator approves a request from LINE: nobody at the health centre drafted it
    const std::map<std::string, std::string> admin{{"Authorization", std::string("Bearer ") + kAdminToken},
                                                   {"X-Operator", "sato"}};
    auto approved = http_request(s.sapo.port(), "POST", "/admin/api/notifications/1/approve", "", admin);
    INFO(approved.body);
    REQUIRE(approved.status == 200);
    rapidjson::Document d;
    d.Parse(approved.body.c_str());
    CHECK(d["targets"].GetInt() == 3);

    // the three visitors get one multicast; then the manager a push saying so
    const std::string told = "ご依頼の通知（カフェ山田、" + date_ja + " 12:00〜14:00）を3人の方にお送りしました。";
    bool pushed = s.line.wait_for(
        [&](const std::vector<line::RecordedRequest>& all) {
            for (const auto& q : all) {
                if (q.path == line::FakeLineServer::kPushPath && q.accepted() && q.body.find(told) != std::string::npos) {
                    return q.body.find(manager) != std::string::npos;
                }
            }
            return false;
        },
        seconds(15)
    );
    INFO(s.sapo.log());
    CHECK(pushed);
    auto multicasts = s.line.accepted(line::FakeLineServer::kMulticastPath);
    REQUIRE(multicasts.size() == 1);
    for (unsigned u : {11u, 12u, 13u}) CHECK(multicasts[0].body.find(user(u)) != std::string::npos);
    CHECK(multicasts[0].body.find(user(14)) == std::string::npos);
    CHECK(multicasts[0].body.find(manager) == std::string::npos);
    CHECK(query_value(s.db.url(), "SELECT status FROM notifications WHERE id = 1") == "done");
}

TEST_CASE("notify: only staff can ask in LINE, and hours not over yet are refused", "[notify][line]") {
    if (!have_test_postgres()) return;
    Service s;
    exec_sql(s.db.url(), "INSERT INTO facilities (name, kind) VALUES ('書店ひかり', '小売店')");
    exec_sql(s.db.url(), "INSERT INTO facility_staff (facility_id, user_id, role) VALUES (1, '" + user(2) + "', 'employee')");

    auto r = s.say(user(9), "通知を依頼する");
    CHECK(r.all_text().find("通知の依頼は、施設の責任者として登録した方と、従業員キーワードで登録した従業員の方だけができます。") !=
          std::string::npos);

    // an employee registered with the keyword may ask; today until 24:00 has not ended yet
    CHECK(s.say(user(2), "通知を依頼する").all_text().find("書店ひかりを利用した方へのお知らせ") != std::string::npos);
    s.say(user(2), "今日");
    s.say(user(2), "23");
    s.say(user(2), "24");
    s.say(user(2), "集団発生の疑い");
    r = s.say(user(2), "はい");
    CHECK(r.all_text().find("その時間帯はまだ終わっていません。") != std::string::npos);
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM notifications") == "0");
}

TEST_CASE("notify: a manager whose request an operator cancels is told so", "[notify][line]") {
    if (!have_test_postgres()) return;
    Service s;
    const std::string date = tokyo_date(tokyo_midnight(1));
    const std::string date_ja = tokyo_date(tokyo_midnight(1), true);
    const std::string manager = user(3);
    exec_sql(s.db.url(), "INSERT INTO facilities (name, kind, phone) VALUES ('食堂みどり', '飲食店', '03-2222-3333')");
    exec_sql(s.db.url(), "INSERT INTO facility_staff (facility_id, user_id, role) VALUES (1, '" + manager + "', 'manager')");
    s.say(manager, "通知を依頼する");
    s.say(manager, "昨日");
    s.say(manager, "18");
    s.say(manager, "20");
    s.say(manager, "集団発生の疑い");
    REQUIRE(s.say(manager, "はい").all_text().find("ご依頼を受け付けました（受付番号 1）。") != std::string::npos);

    const std::map<std::string, std::string> admin{{"Authorization", std::string("Bearer ") + kAdminToken},
                                                   {"X-Operator", "sato"}};
    auto cancelled = http_request(s.sapo.port(), "POST", "/admin/api/notifications/1/cancel", "", admin);
    INFO(cancelled.body);
    REQUIRE(cancelled.status == 200);

    const std::string told = "ご依頼の通知（食堂みどり、" + date_ja +
                             " 18:00〜20:00）は、保健所・県の担当者の判断で送信を取りやめました。ご不明な点は保健所にお問い合わせください。";
    bool pushed = s.line.wait_for(
        [&](const std::vector<line::RecordedRequest>& all) {
            for (const auto& q : all) {
                if (q.path == line::FakeLineServer::kPushPath && q.accepted() && q.body.find(manager) != std::string::npos) {
                    return q.body.find(told) != std::string::npos;
                }
            }
            return false;
        },
        seconds(15)
    );
    INFO(s.sapo.log());
    CHECK(pushed);
    CHECK(s.line.accepted(line::FakeLineServer::kMulticastPath).empty());
    // an operator's own draft tells no one when it is cancelled
    auto own = http_request(s.sapo.port(), "POST", "/admin/api/notifications",
                            R"({"facility_id":1,"date":")" + date + R"(","from":"18:00","to":"20:00","template":"tokyo_2"})",
                            admin);
    REQUIRE(own.status == 201);
    REQUIRE(http_request(s.sapo.port(), "POST", "/admin/api/notifications/2/cancel", "", admin).status == 200);
    CHECK(query_value(s.db.url(), "SELECT count(*) FROM outbox WHERE event_id IS NULL") == "1");
}
