// Local mode end to end over HTTP: no LINE credentials, the built-in emulator answers, and the
// chat page's API drives a conversation through the real /webhook.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "test/support/harness.hpp"

using namespace sapo::test;
using std::chrono::seconds;

namespace {

rapidjson::Document json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    return doc;
}

/// What the chat page does: ask the dev API for a signed event, then POST it to /webhook.
HttpResult send_as_user(int port, const std::string& request_json) {
    auto made = http_request(port, "POST", "/dev/api/send", request_json);
    if (made.status != 200) return made;
    auto doc = json(made.body);
    return http_request(port, "POST", "/webhook", doc["body"].GetString(), {{"x-line-signature", doc["signature"].GetString()}});
}

/// The bot's messages to the user so far, as raw JSON of the message objects.
std::vector<std::string> bot_texts(int port, const std::string& user_id) {
    auto r = http_request(port, "GET", "/dev/api/messages?user_id=" + user_id + "&after=0");
    std::vector<std::string> out;
    auto doc = json(r.body);
    if (!doc.IsObject() || !doc.HasMember("messages")) return out;
    for (const auto& m : doc["messages"].GetArray()) {
        if (std::string(m["from"].GetString()) == "bot" && m["message"].HasMember("text")) {
            out.emplace_back(m["message"]["text"].GetString());
        }
    }
    return out;
}

}  // namespace

TEST_CASE("local mode: follow, welcome with the menu, a menu item picked by typing its label", "[pg][net][e2e][local]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    SapoProcess sapo({"serve"}, {{"DATABASE_URL", db.url()}});
    sapo.start_serving();
    INFO(sapo.log());
    CHECK(sapo.log().find("LOCAL mode") != std::string::npos);

    auto page = http_request(sapo.port(), "GET", "/dev/chat");
    CHECK(page.status == 200);
    CHECK(page.headers["content-type"].find("text/html") == 0);

    auto created = http_request(sapo.port(), "POST", "/dev/api/users", R"({"display_name":"Hanako","language":"ja"})");
    REQUIRE(created.status == 201);
    const std::string user_id = json(created.body)["user"]["user_id"].GetString();

    REQUIRE(send_as_user(sapo.port(), R"({"user_id":")" + user_id + R"(","type":"follow"})").status == 200);
    REQUIRE(wait_until([&] { return bot_texts(sapo.port(), user_id).size() == 2; }, seconds(10)));
    CHECK(bot_texts(sapo.port(), user_id)[0].find("友だち追加ありがとうございます") != std::string::npos);
    CHECK(bot_texts(sapo.port(), user_id)[1].find("ご用件を下のボタンから選んでください") != std::string::npos);

    // typing a menu label (full-width here) counts like tapping it
    REQUIRE(send_as_user(sapo.port(), R"({"user_id":")" + user_id + R"(","type":"text","text":"ﾁｪｯｸｲﾝ"})").status == 200);
    REQUIRE(wait_until([&] { return bot_texts(sapo.port(), user_id).size() == 3; }, seconds(10)));
    CHECK(bot_texts(sapo.port(), user_id)[2].find("施設に掲示されたQRコードをLINEで読み取ってください") != std::string::npos);

    auto all = json(http_request(sapo.port(), "GET", "/dev/api/messages?user_id=" + user_id).body);
    REQUIRE(all["messages"].Size() == 5);  // follow, greeting, menu, text, the check-in question
    CHECK(std::string(all["messages"][0]["via"].GetString()) == "follow");
    CHECK(std::string(all["messages"][1]["via"].GetString()) == "reply");
    CHECK(std::string(all["messages"][3]["message"]["text"].GetString()) == "ﾁｪｯｸｲﾝ");
}

TEST_CASE("local mode: bad input to the dev API is refused with a reason", "[pg][net][e2e][local]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    SapoProcess sapo({"serve"}, {{"DATABASE_URL", db.url()}});
    sapo.start_serving();
    CHECK(http_request(sapo.port(), "POST", "/dev/api/users", R"({"display_name":"","language":"ja"})").status == 422);
    CHECK(http_request(sapo.port(), "POST", "/dev/api/users", R"({"display_name":"A","language":"fr"})").status == 422);
    CHECK(http_request(sapo.port(), "POST", "/dev/api/send", R"({"user_id":"Unobody","type":"follow"})").status == 422);
    CHECK(http_request(sapo.port(), "POST", "/dev/api/send", "not json").status == 422);
    // a forged webhook still needs the local channel's secret
    CHECK(post_webhook(sapo.port(), R"({"destination":"U0","events":[]})", "guess").status == 401);
}

TEST_CASE("local mode: the clock moves forward only", "[pg][net][e2e][local]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    SapoProcess sapo({"serve"}, {{"DATABASE_URL", db.url()}});
    sapo.start_serving();
    auto before = json(http_request(sapo.port(), "GET", "/dev/clock").body);
    CHECK(before["offset_ms"].GetInt64() == 0);
    auto moved = http_request(sapo.port(), "POST", "/dev/clock", R"({"advance_minutes":90})");
    REQUIRE(moved.status == 200);
    CHECK(json(moved.body)["offset_ms"].GetInt64() == 90 * 60 * 1000);
    auto to = http_request(sapo.port(), "POST", "/dev/clock", R"({"to":"2099-01-02T09:00"})");
    REQUIRE(to.status == 200);
    CHECK(std::string(json(to.body)["now"].GetString()).rfind("2099-01-02T09:00", 0) == 0);
    CHECK(http_request(sapo.port(), "POST", "/dev/clock", R"({"to":"2000-01-01T09:00"})").status == 422);
    CHECK(http_request(sapo.port(), "POST", "/dev/clock", R"({"advance_minutes":-5})").status == 422);
}

TEST_CASE("local mode is never on with LINE credentials, and half a set is an error", "[pg][net][e2e][local]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    SapoProcess real({"serve"}, {{"DATABASE_URL", db.url()}, {"LINE_CHANNEL_SECRET", "s"}, {"LINE_CHANNEL_ACCESS_TOKEN", "t"}, {"LINE_API_BASE_URL", "http://127.0.0.1:9"}});
    real.start_serving();
    CHECK(http_request(real.port(), "GET", "/dev/chat").status == 404);
    CHECK(http_request(real.port(), "GET", "/dev/api/users").status == 404);

    SapoProcess half({"serve"}, {{"DATABASE_URL", db.url()}, {"LINE_CHANNEL_SECRET", "s"}});
    half.start();
    CHECK(half.wait(seconds(20)) == 2);
    CHECK(half.log().find("LINE_CHANNEL_ACCESS_TOKEN") != std::string::npos);
}
