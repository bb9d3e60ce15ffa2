// EventHandler::decide: routing a stored event through the conversation engine, with the user's
// session, flows and effects in a fake ConversationStore (the Postgres one is tested in
// test/integration).

#include <fstream>
#include <map>
#include <tuple>
#include <sstream>
#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include "bot/assets.hpp"
#include "bot/dispatch/event_handler.hpp"
#include "bot/dispatch/flow_setup.hpp"
#include "test/unit/fake_health_tx.hpp"
#include "test/unit/fake_support_tx.hpp"
#include "test/unit/fake_line_client.hpp"
#include "test/unit/text_script.hpp"

using sapo::dispatch::EventHandler;
using sapo::storage::Decision;
using sapo::storage::StoredEvent;
using sapo::storage::UserRecord;
using sapo::unit_test::FakeClient;
using sapo::unit_test::message_text;

namespace {

const std::string kUser = "U4af4980629c6f7e1f0d1a1b2c3d4e5f6";
const std::string kGroup = "Ca56f94637cc4347f90a25382909b24b9";
const std::string kRoom = "Ra8dbf4ccc1c3d2e0a3b4c5d6e7f80912";
const std::string kToken = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA";

/// Facilities and check-ins in memory.
class FakeCheckins final : public sapo::storage::CheckinTx {
public:
    std::vector<sapo::storage::FacilityRecord> facilities;
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> checkins;  // user, facility, at
    std::map<std::pair<std::int64_t, std::string>, std::string> staff;

    std::optional<sapo::storage::FacilityRecord> facility(std::int64_t id) override {
        for (const auto& f : facilities) {
            if (f.id == id) return f;
        }
        return std::nullopt;
    }
    sapo::storage::CheckinOutcome check_in(const std::string& user, std::int64_t facility_id, std::int64_t at,
                                           std::int64_t window) override {
        auto f = facility(facility_id);
        if (!f) return {};
        if (f->status != "active") return {f, false, 0};
        for (const auto& [u, id, t] : checkins) {
            if (u == user && id == facility_id && t > at - window && t <= at) return {f, false, t};
        }
        checkins.emplace_back(user, facility_id, at);
        return {f, true, at};
    }
    sapo::storage::FacilityRecord create_facility(const sapo::storage::NewFacility& n) override {
        sapo::storage::FacilityRecord f;
        f.id = static_cast<std::int64_t>(facilities.size()) + 1;
        f.name = n.name;
        f.kind = n.kind;
        f.manager_user_id = n.manager_user_id;
        f.status = "active";
        facilities.push_back(f);
        return f;
    }
    void add_staff(std::int64_t id, const std::string& user, const std::string& role) override { staff[{id, user}] = role; }
    std::string staff_role(std::int64_t id, const std::string& user) override {
        auto it = staff.find({id, user});
        return it == staff.end() ? "" : it->second;
    }
    std::vector<sapo::storage::FacilityRecord> managed_by(const std::string& user) override {
        std::vector<sapo::storage::FacilityRecord> out;
        for (const auto& f : facilities) {
            if (staff_role(f.id, user) == "manager") out.push_back(f);
        }
        return out;
    }
    std::vector<sapo::storage::FacilityRecord> staff_of(const std::string& user) override {
        std::vector<sapo::storage::FacilityRecord> out;
        for (auto it = facilities.rbegin(); it != facilities.rend(); ++it) {
            if (!staff_role(it->id, user).empty()) out.push_back(*it);
        }
        return out;
    }
    std::vector<sapo::storage::NewNotification> notifications;
    std::int64_t request_notification(const sapo::storage::NewNotification& n) override {
        notifications.push_back(n);
        return static_cast<std::int64_t>(notifications.size());
    }
};

/// The FAQ in memory: a set and the misses kept.
class FakeFaq final : public sapo::storage::FaqTx {
public:
    std::int64_t set_version = 1;
    std::vector<sapo::flows::faq::Entry> set;
    std::vector<std::pair<std::string, std::string>> misses;  // (text, reason)
    std::int64_t version() override { return set_version; }
    std::vector<sapo::flows::faq::Entry> entries() override { return set; }
    void record_miss(const std::string& text, const std::string& reason, const std::string&) override {
        misses.emplace_back(text, reason);
    }
};

/// Sessions, flows and languages in memory, as the event's transaction would hold them.
class FakeStore final : public sapo::storage::ConversationStore {
public:
    FakeCheckins checkins;
    sapo::storage::CheckinTx& facilities() override { return checkins; }
    FakeFaq faq_set;
    sapo::storage::FaqTx& faq() override { return faq_set; }
    sapo::test::FakeHealthTx health_tx;
    sapo::storage::HealthTx& health() override { return health_tx; }
    sapo::test::FakeSupportTx support_tx;
    sapo::storage::SupportTx& support() override { return support_tx; }

    std::map<std::string, sapo::flows::Session> sessions;
    std::map<std::string, std::string> languages;
    std::map<std::pair<std::string, int>, std::string> definitions;
    std::map<std::string, int> published;

    FakeStore() {
        for (const auto& f : sapo::assets::shipped_flows()) add(f.path.substr(0, f.path.rfind('.')), 1, std::string(f.content));
    }

    void add(const std::string& id, int version, const std::string& json) {
        definitions[{id, version}] = json;
        published[id] = version;
    }

    std::optional<sapo::flows::Session> load_session(const std::string& user_id) override {
        auto it = sessions.find(user_id);
        if (it == sessions.end()) return std::nullopt;
        return it->second;
    }
    void save_session(const std::string& user_id, const sapo::flows::Session& s) override { sessions[user_id] = s; }
    void end_session(const std::string& user_id) override { sessions.erase(user_id); }
    void set_language(const std::string& user_id, const std::string& language) override { languages[user_id] = language; }
    std::vector<std::pair<std::string, int>> published_versions() override { return {published.begin(), published.end()}; }
    std::optional<std::string> flow_definition(const std::string& id, int version) override {
        auto it = definitions.find({id, version});
        if (it == definitions.end()) return std::nullopt;
        return it->second;
    }
};

/// A clock fixed at 2026-11-21 12:30 Tokyo.
struct FixedClock final : sapo::Clock {
    time_point now() const override { return time_point(std::chrono::milliseconds(1'795'231'800'000LL)); }
};

/// The health settings of a serving sapo, without an operators' group (alerts are only stored).
const sapo::health::HealthSettings* health_settings() {
    static const sapo::health::HealthSettings settings{""};
    return &settings;
}

/// Everything decide() needs, wired as app.cpp does.
struct Bench {
    FakeClient line;
    FakeStore store;
    FixedClock clock;
    sapo::dispatch::EffectRegistry effects =
        sapo::dispatch::all_effects(nullptr, nullptr, std::make_shared<sapo::faq::Catalog>(), {}, health_settings());
    std::unique_ptr<sapo::dispatch::FlowCatalog> catalog;
    std::unique_ptr<EventHandler> handler;

    explicit Bench(std::string call_center_phone = "045-000-0000") {
        effects.add({"test.fail", "always throws", {}, {}}, [](const sapo::flows::Effect&, sapo::dispatch::EffectContext&) -> sapo::flows::Variables {
            throw std::runtime_error("test.fail failed on purpose");
        });
        catalog = std::make_unique<sapo::dispatch::FlowCatalog>(
            sapo::dispatch::make_flow_registry(effects), std::chrono::milliseconds(0)
        );
        handler = std::make_unique<EventHandler>(
            line, *catalog, effects, clock,
            sapo::flows::Variables{{"call_center_phone", sapo::flows::Value(call_center_phone)},
                                   {"emergency_phone", sapo::flows::Value("119")}}
        );
    }

    Decision decide(const StoredEvent& e, const std::optional<UserRecord>& u) { return handler->decide(e, u, store); }
};

StoredEvent stored(const std::string& raw) {
    StoredEvent e;
    e.id = 1;
    e.webhook_event_id = "01HXYZWEBHOOKEVENTID0000000";
    e.raw = raw;
    return e;
}

std::string user_event(const std::string& type, const std::string& mode, const std::string& extra = "") {
    return R"({"type":")" + type + R"(","mode":")" + mode +
           R"(","timestamp":1795231800000,"source":{"type":"user","userId":")" + kUser +
           R"("},"webhookEventId":"01HXYZWEBHOOKEVENTID0000000","deliveryContext":{"isRedelivery":false})" +
           (type == "unfollow" ? "" : R"(,"replyToken":")" + kToken + "\"") + extra + "}";
}

std::string follow_event() { return user_event("follow", "active"); }

std::string text_from_user(const std::string& text, const std::string& mode = "active") {
    return user_event("message", mode, R"(,"message":{"id":"325708","type":"text","text":")" + text + "\"}");
}

std::string postback_from_user(const std::string& data) {
    return user_event("postback", "active", R"(,"postback":{"data":")" + data + "\"}");
}

sapo::line::Profile profile_with(const std::string& language) {
    sapo::line::Profile p;
    p.user_id = kUser;
    p.display_name = "テスト";
    p.language = language;
    return p;
}

UserRecord user_with(const std::string& language) {
    UserRecord u;
    u.user_id = kUser;
    u.follow_state = "followed";
    u.language = language;
    return u;
}

std::string fixture_event(const std::string& relative) {
    std::ifstream in(std::string(SAPO_FIXTURES_DIR) + "/line/" + relative, std::ios::binary);
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    rapidjson::Document d;
    auto text = ss.str();
    d.Parse(text.data(), text.size());
    REQUIRE_FALSE(d.HasParseError());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d["events"][0].Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

/// The quick-reply labels of a LINE message.
std::vector<std::string> quick_labels(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    std::vector<std::string> out;
    if (!d.HasMember("quickReply")) return out;
    for (const auto& item : d["quickReply"]["items"].GetArray()) out.emplace_back(item["action"]["label"].GetString());
    return out;
}

/// The postback data of the quick reply labelled `label`.
std::string button_data(const std::string& json, const std::string& label) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    REQUIRE(d.HasMember("quickReply"));
    for (const auto& item : d["quickReply"]["items"].GetArray()) {
        if (label == item["action"]["label"].GetString()) return item["action"]["data"].GetString();
    }
    FAIL("no quick reply labelled " << label);
    return "";
}

}  // namespace

TEST_CASE("decide: follow from a new user asks the profile and answers in its language", "[unit][dispatch]") {
    Bench b;
    b.line.profile = profile_with("en");
    Decision d = b.decide(stored(follow_event()), std::nullopt);
    CHECK(d.follow == Decision::Follow::followed);
    CHECK(d.must_arrive);
    CHECK(d.reply_token == kToken);
    CHECK(d.push_to == kUser);
    CHECK(d.language == "en");
    REQUIRE(b.line.profile_requests.size() == 1);
    CHECK(b.line.replies.empty());  // decide() only decides; the outbox sends
    REQUIRE(d.messages.size() == 2);
    CHECK(message_text(d.messages[0]).rfind("Thank you for adding sapo", 0) == 0);
    CHECK(quick_labels(d.messages[1]) ==
          std::vector<std::string>{"Check in", "Health advice", "Daily health report", "FAQ", "Language / 言語"});
    // the menu waits for a choice
    REQUIRE(b.store.sessions.count(kUser));
    CHECK(b.store.sessions[kUser].flow_id == "main_menu");
    CHECK(b.store.sessions[kUser].node == "menu");
}

TEST_CASE("decide: the welcome is Japanese for ja, without a profile and for unknown languages", "[unit][dispatch]") {
    const std::vector<std::string> kJapaneseMenu{"チェックイン", "体調の相談", "健康観察", "よくある質問", "Language / 言語"};
    SECTION("no profile") {
        Bench b;
        Decision d = b.decide(stored(follow_event()), std::nullopt);
        CHECK(b.line.profile_requests.size() == 1);
        CHECK(d.language.empty());
        REQUIRE(d.messages.size() == 2);
        CHECK(message_text(d.messages[0]).rfind("友だち追加ありがとうございます", 0) == 0);
        CHECK(quick_labels(d.messages[1]) == kJapaneseMenu);
    }
    SECTION("a language sapo has no texts for (ko) falls back to Japanese") {
        Bench b;
        b.line.profile = profile_with("ko");
        Decision d = b.decide(stored(follow_event()), std::nullopt);
        CHECK(d.language == "ko");
        REQUIRE(d.messages.size() == 2);
        CHECK(quick_labels(d.messages[1]) == kJapaneseMenu);
    }
    SECTION("a known language is not looked up again") {
        Bench b;
        b.line.profile = profile_with("en");  // would switch to English if it were asked
        Decision d = b.decide(stored(follow_event()), user_with("ja"));
        CHECK(b.line.profile_requests.empty());
        CHECK(d.language.empty());
        CHECK(quick_labels(d.messages[1]) == kJapaneseMenu);
    }
    SECTION("a known user without a language is looked up") {
        Bench b;
        b.line.profile = profile_with("en-US");
        Decision d = b.decide(stored(follow_event()), user_with(""));
        CHECK(b.line.profile_requests.size() == 1);
        CHECK(quick_labels(d.messages[1])[0] == "Check in");
    }
}

TEST_CASE("decide: tapping a menu button enters that item, and typing its label does too", "[unit][dispatch]") {
    Bench b;
    Decision welcome = b.decide(stored(follow_event()), std::nullopt);
    auto data = button_data(welcome.messages[1], "体調の相談");
    Decision d = b.decide(stored(postback_from_user(data)), user_with("ja"));
    REQUIRE(d.messages.size() == 2);
    CHECK(message_text(d.messages[0]).rfind("体調チェックをはじめます。", 0) == 0);
    CHECK(message_text(d.messages[1]) == "年齢を教えてください。");
    REQUIRE(b.store.sessions.count(kUser));  // the questionnaire waits for the age
    CHECK(b.store.sessions.at(kUser).flow_id == "personal_support");
    CHECK_FALSE(d.must_arrive);

    // the same old menu button still works (the menu is re-entrant): the questionnaire again
    Decision again = b.decide(stored(postback_from_user(data)), user_with("ja"));
    CHECK(message_text(again.messages[0]).rfind("体調チェックをはじめます。", 0) == 0);
}

sapo::flows::faq::Entry fever_entry() {
    sapo::flows::faq::Entry e;
    e.id = "fever";
    e.category = "症状と受診";
    e.question = "熱が出たらどうすればいいですか";
    e.phrasings = {"発熱したとき", "熱がある"};
    e.answer_ja = "熱があるときは、外出を控えて相談窓口に電話してください。";
    e.answer_en = "If you have a fever, stay home and call the consultation centre.";
    return e;
}

TEST_CASE("decide: text with no session and no keyword goes to the FAQ", "[unit][dispatch][faq]") {
    Bench b;
    b.store.faq_set.set = {fever_entry()};
    SECTION("an answer, then was it helpful") {
        Decision d = b.decide(stored(text_from_user("熱が出たらどうすればいいですか？")), user_with("ja"));
        CHECK(d.follow == Decision::Follow::unchanged);
        CHECK(d.reply_token == kToken);
        CHECK(b.line.profile_requests.empty());  // only follow looks the profile up
        REQUIRE(d.messages.size() == 2);
        CHECK(message_text(d.messages[0]) == "熱があるときは、外出を控えて相談窓口に電話してください。");
        CHECK(message_text(d.messages[1]) == "この回答は役に立ちましたか？");
        REQUIRE(b.store.sessions.count(kUser));
        CHECK(b.store.sessions[kUser].flow_id == "faq");
        CHECK(b.store.faq_set.misses.empty());

        // "no": kept for operators as not helpful, and the hand-over
        Decision no = b.decide(stored(text_from_user("いいえ")), user_with("ja"));
        REQUIRE(b.store.faq_set.misses.size() == 1);
        CHECK(b.store.faq_set.misses[0] == std::pair<std::string, std::string>{"熱が出たらどうすればいいですか？", "not_helpful"});
        std::string all;
        for (const auto& m : no.messages) all += m;
        CHECK(all.find("受付 毎日9:00〜22:00、ただいま受付中です") != std::string::npos);  // 12:30 in Tokyo
        CHECK(all.find("tel:045-000-0000") != std::string::npos);
        CHECK(all.find("119") != std::string::npos);
    }
    SECTION("asking the next question instead of saying whether it helped gets it answered") {
        b.decide(stored(text_from_user("熱が出たらどうすればいいですか？")), user_with("ja"));
        Decision d = b.decide(stored(text_from_user("発熱したとき")), user_with("ja"));
        REQUIRE(d.messages.size() == 2);
        CHECK(message_text(d.messages[0]) == "熱があるときは、外出を控えて相談窓口に電話してください。");
        CHECK(message_text(d.messages[1]) == "この回答は役に立ちましたか？");
        CHECK(b.store.faq_set.misses.empty());
    }
    SECTION("nothing fits: the hand-over, and the question is kept without the user") {
        Decision d = b.decide(stored(text_from_user("こんにちは")), user_with("ja"));
        std::string all;
        for (const auto& m : d.messages) all += m;
        CHECK(all.find("ここではお答えできませんでした") != std::string::npos);
        CHECK(all.find("tel:045-000-0000") != std::string::npos);
        CHECK(all.find("命に関わる緊急のときは119番へ。") != std::string::npos);
        REQUIRE(b.store.faq_set.misses.size() == 1);
        CHECK(b.store.faq_set.misses[0].second == "no_match");
        CHECK_FALSE(b.store.sessions.count(kUser));
    }
    SECTION("something urgent points to 119 first") {
        Decision d = b.decide(stored(text_from_user("息苦しくて熱がある")), user_with("ja"));
        REQUIRE_FALSE(d.messages.empty());
        CHECK(message_text(d.messages[0]).rfind("息苦しい、意識がおかしい、胸が痛いなど命に関わるおそれがあるときは、迷わず119番に電話してください。", 0) == 0);
    }
    SECTION("the menu's FAQ button asks for the question") {
        Decision welcome = b.decide(stored(follow_event()), std::nullopt);
        Decision d = b.decide(stored(postback_from_user(button_data(welcome.messages[1], "よくある質問"))), user_with("ja"));
        REQUIRE(d.messages.size() == 1);
        CHECK(message_text(d.messages[0]).rfind("ご質問をどうぞ。", 0) == 0);
        Decision answered = b.decide(stored(text_from_user("発熱したとき")), user_with("ja"));
        REQUIRE_FALSE(answered.messages.empty());
        CHECK(message_text(answered.messages[0]) == "熱があるときは、外出を控えて相談窓口に電話してください。");
    }
}

TEST_CASE("decide: the language flow applies its effect in the transaction and answers in the new language", "[unit][dispatch]") {
    Bench b;
    Decision ask = b.decide(stored(text_from_user("English")), user_with("ja"));
    REQUIRE(ask.messages.size() == 1);
    CHECK(quick_labels(ask.messages[0]) == std::vector<std::string>{"日本語", "English"});
    CHECK(b.store.sessions[kUser].flow_id == "language");

    Decision done = b.decide(stored(postback_from_user(button_data(ask.messages[0], "English"))), user_with("ja"));
    CHECK(b.store.languages[kUser] == "en");
    REQUIRE(done.messages.size() == 1);
    CHECK(message_text(done.messages[0]).rfind("sapo will write to you in English", 0) == 0);
    CHECK_FALSE(b.store.sessions.count(kUser));
}

TEST_CASE("decide: more than five messages are carried over into a pushed batch", "[unit][dispatch]") {
    Bench b;
    std::string nodes;
    for (int i = 1; i <= 7; ++i) {
        nodes += "\"m" + std::to_string(i) + R"(": {"type": "message", "template": "call_center", "next": ")" +
                 (i == 7 ? std::string("done") : "m" + std::to_string(i + 1)) + "\"},";
    }
    b.store.add("chatty", 1, R"({"schema_version": 1, "id": "chatty", "start": "m1",
        "triggers": {"keywords": ["chatty"]}, "nodes": {)" + nodes + R"("done": {"type": "end"}}})");
    Decision d = b.decide(stored(text_from_user("chatty")), user_with("ja"));
    CHECK(d.messages.size() == 5);
    REQUIRE(d.more.size() == 1);
    CHECK(d.more[0].size() == 2);
}

TEST_CASE("decide: an effect that fails fails the event and saves nothing", "[unit][dispatch]") {
    Bench b;
    b.store.add("broken", 1, R"({"schema_version": 1, "id": "broken", "start": "boom",
        "triggers": {"keywords": ["boom"]},
        "nodes": {"boom": {"type": "effect", "effect": "test.fail", "next": "done"}, "done": {"type": "end"}}})");
    CHECK_THROWS_WITH(b.decide(stored(text_from_user("boom")), user_with("ja")), Catch::Contains("on purpose"));
    CHECK(b.store.sessions.empty());
}

TEST_CASE("decide: a flow looping through effects is stopped with an apology, not failed", "[unit][dispatch]") {
    Bench b;
    b.store.add("spin", 1, R"({"schema_version": 1, "id": "spin", "start": "eff",
        "triggers": {"keywords": ["spin"]}, "nodes": {
        "eff": {"type": "effect", "effect": "user.set_language", "params": {"language": "ja"}, "result_var": "r", "next": "again"},
        "again": {"type": "branch", "cases": [{"if": {"==": [{"var": "r.language"}, "zz"]}, "next": "done"}], "else": "eff"},
        "done": {"type": "end"}}})");
    Decision d = b.decide(stored(text_from_user("spin")), user_with("ja"));
    REQUIRE(d.messages.size() == 1);
    CHECK(message_text(d.messages[0]).find("この会話を続けられなくなりました") != std::string::npos);
    CHECK(b.store.sessions.empty());
}

TEST_CASE("decide: unfollow records the state, ends the session and says nothing", "[unit][dispatch]") {
    Bench b;
    b.decide(stored(follow_event()), std::nullopt);
    REQUIRE(b.store.sessions.count(kUser));
    auto calls = b.line.total_calls();
    Decision d = b.decide(stored(user_event("unfollow", "active")), user_with("ja"));
    CHECK(d.follow == Decision::Follow::unfollowed);
    CHECK(d.messages.empty());
    CHECK_FALSE(d.must_arrive);
    CHECK(b.line.total_calls() == calls);
    CHECK(b.store.sessions.empty());

    Decision f = b.decide(stored(fixture_event("java-callback/unfollow.json")), std::nullopt);
    CHECK(f.follow == Decision::Follow::unfollowed);
    CHECK(f.messages.empty());
}

TEST_CASE("decide: standby and unknown modes are never answered and leave the session alone", "[unit][dispatch]") {
    Bench b;
    b.decide(stored(follow_event()), std::nullopt);
    auto before = b.store.sessions[kUser].updated_ms;
    Decision d = b.decide(stored(text_from_user("1", "standby")), user_with("ja"));
    CHECK(d.messages.empty());
    Decision u = b.decide(stored(text_from_user("1", "someFutureMode")), user_with("ja"));
    CHECK(u.messages.empty());
    CHECK(b.store.sessions[kUser].updated_ms == before);
    Decision g = b.decide(stored(fixture_event("java-callback/text-group.json")), std::nullopt);
    CHECK(g.messages.empty());
}

TEST_CASE("decide: groups and rooms are not chatted with", "[unit][dispatch]") {
    Bench b;
    const std::string group =
        R"({"type":"message","mode":"active","timestamp":1462629479859,"replyToken":")" + kToken +
        R"(","source":{"type":"group","groupId":")" + kGroup + R"(","userId":")" + kUser +
        R"("},"message":{"id":"1","type":"text","text":"メニュー"}})";
    CHECK(b.decide(stored(group), std::nullopt).messages.empty());
    const std::string room =
        R"({"type":"message","mode":"active","timestamp":1462629479859,"replyToken":")" + kToken +
        R"(","source":{"type":"room","roomId":")" + kRoom + R"("},"message":{"id":"1","type":"text","text":"hi"}})";
    CHECK(b.decide(stored(room), std::nullopt).messages.empty());
    CHECK(b.store.sessions.empty());
}

TEST_CASE("decide: the follow fixture", "[unit][dispatch]") {
    Bench b;
    b.line.profile = profile_with("en");
    Decision d = b.decide(stored(fixture_event("java-callback/follow.json")), std::nullopt);
    CHECK(d.follow == Decision::Follow::followed);
    CHECK(d.reply_token == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA");
    CHECK(d.push_to == "u206d25c2ea6bd87c17655609a1c37cb8");
    CHECK(d.messages.size() == 2);
}

TEST_CASE("decide: to_inbound keeps the stored event id", "[unit][dispatch]") {
    auto e = stored(text_from_user("Hello, world"));
    e.webhook_event_id = "derived:abc";
    auto inbound = sapo::dispatch::to_inbound(e);
    CHECK(inbound.event_id == "derived:abc");
    CHECK(inbound.type == "message");
    CHECK(inbound.text == "Hello, world");
    CHECK(inbound.user_id == kUser);
}

TEST_CASE("decide: an unreadable raw event throws", "[unit][dispatch]") {
    Bench b;
    CHECK_THROWS(b.decide(stored("not json"), std::nullopt));
    CHECK_THROWS(b.decide(stored(""), std::nullopt));
    CHECK_THROWS(b.decide(stored("[1,2]"), std::nullopt));
    CHECK(b.line.total_calls() == 0);
}

TEST_CASE("decide: the reply to an answer that raises a red flag must arrive, an ordinary answer's need not", "[unit][dispatch][health]") {
    Bench b;
    auto& patient = b.store.health_tx.add_patient(7, "1234567", "2026-11-20", "2026-11-30");
    patient.enrolled = true;
    b.store.health_tx.user_of[7] = kUser;

    Decision start = b.decide(stored(text_from_user("健康観察")), user_with("ja"));
    CHECK_FALSE(start.must_arrive);
    REQUIRE(b.store.sessions.count(kUser));
    CHECK(b.store.sessions.at(kUser).flow_id == "health_report");
    CHECK(b.store.sessions.at(kUser).node == "ask_temperature");

    Decision ordinary = b.decide(stored(text_from_user("36.5")), user_with("ja"));
    CHECK_FALSE(ordinary.must_arrive);  // an ordinary health answer
    CHECK(b.store.sessions.at(kUser).node == "ask_face");
    REQUIRE_FALSE(ordinary.messages.empty());
    Decision face = b.decide(stored(postback_from_user(button_data(ordinary.messages.back(), "いつもと違う"))), user_with("ja"));
    CHECK_FALSE(face.must_arrive);
    CHECK(b.store.sessions.at(kUser).node == "ask_face_signs");
    CHECK(b.store.health_tx.alerts.empty());

    // "yes" to the signs: alert.raise is applied, and the emergency reply is pushed if the token fails
    Decision flag = b.decide(stored(text_from_user("はい")), user_with("ja"));
    REQUIRE(b.store.health_tx.alerts.size() == 1);
    CHECK(b.store.health_tx.alerts[0].patient_id == 7);
    CHECK(b.store.health_tx.alerts[0].reason == "face_signs");
    CHECK(b.store.health_tx.pushes.empty());  // no operators' group configured
    CHECK(flag.must_arrive);
    CHECK(flag.reply_token == kToken);
    CHECK(flag.push_to == kUser);
    REQUIRE(flag.messages.size() == 3);
    CHECK(message_text(flag.messages[0]) ==
          "緊急性の高い症状の可能性があります。報告の途中でも、すぐにお電話ください。保健所にもお知らせしました。");
    CHECK(flag.messages[1].find("tel:119") != std::string::npos);  // the health_emergency template
    CHECK(message_text(flag.messages[2]) == "咳や鼻水はありますか？");
    CHECK(b.store.sessions.at(kUser).node == "ask_cough");

    // the next ordinary answer is ordinary again
    Decision after = b.decide(stored(text_from_user("いいえ")), user_with("ja"));
    CHECK_FALSE(after.must_arrive);
    CHECK(b.store.sessions.at(kUser).node == "ask_breathing");
    CHECK(b.store.health_tx.alerts.size() == 1);
}
