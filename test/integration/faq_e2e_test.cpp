// The consultation FAQ end to end: a real `sapo serve` on a fresh PostgreSQL database, LINE
// pointed at the fake server. Questions through /webhook (answers, choices, the hand-over to the
// consultation centre, 119 first when it sounds urgent), the operators' admin API (replace,
// change one entry, unanswered questions), `sapo faq import|export`, and the centre's hours.
//
// Expectations are computed here, not with sapo's code: the shipped questions are read from
// config/faq/starter.json, and whether the centre is open from the clock with the C library.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test/integration/line_replies.hpp"
#include "test/support/cli_runner.hpp"
#include "test/support/tokyo_days.hpp"

using namespace sapo;
using namespace sapo::test;
using std::chrono::seconds;

namespace {

constexpr const char* kAdminToken = "faq-e2e-admin-token-0123456789";
constexpr const char* kPhone = "0120-555-119";

const std::string kHelpful = "この回答は役に立ちましたか？";
const std::string kThanks = "ありがとうございます。ほかにも質問があれば、いつでも送ってください。";
const std::string kEmergency = "命に関わる緊急のときは119番へ。";
const std::string kUrgentLead = "息苦しい、意識がおかしい、胸が痛いなど命に関わるおそれがあるときは、迷わず119番に電話してください。";
const std::string kAskQuestion = "ご質問をどうぞ。";
const std::string kChoicesLead = "次のどれかについてのご質問ですか？";

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    return doc;
}

struct StarterEntry {
    std::string id;
    std::string question;
    std::string answer_ja;
    std::vector<std::pair<std::string, std::string>> links;  // label, url

    /// The text sapo should send: the answer, then each link on its own line.
    std::string expected_answer() const {
        std::string text = answer_ja;
        for (const auto& [label, url] : links) text += "\n" + label + ": " + url;
        return text;
    }
};

/// The shipped FAQ as config/faq/starter.json has it, in file order.
std::vector<StarterEntry> starter_entries() {
    auto doc = parse_json(read_source_file("config/faq/starter.json"));
    REQUIRE(doc.IsObject());
    REQUIRE(doc.HasMember("entries"));
    std::vector<StarterEntry> out;
    for (const auto& e : doc["entries"].GetArray()) {
        StarterEntry s;
        s.id = e["id"].GetString();
        s.question = e["question"].GetString();
        s.answer_ja = e["answer"]["ja"].GetString();
        if (e.HasMember("links")) {
            for (const auto& l : e["links"].GetArray()) s.links.emplace_back(l["label"].GetString(), l["url"].GetString());
        }
        out.push_back(std::move(s));
    }
    REQUIRE(out.size() >= 3);
    return out;
}

/// Words that make a question urgent (a few of them, as the feature describes): questions with
/// these are kept out of the ordinary answer checks.
bool sounds_urgent_here(const std::string& text) {
    for (const char* w : {"息苦し", "息が苦し", "呼吸", "意識", "胸が痛", "救急車", "119", "倒れ", "けいれん", "痙攣", "唇", "顔色"}) {
        if (text.find(w) != std::string::npos) return true;
    }
    return false;
}

// --- the consultation centre's hours, computed with the C library --------------------------------

/// Minutes since midnight in Asia/Tokyo (no DST there: UTC+9 all year).
int tokyo_minute_now() {
    std::time_t t = std::time(nullptr) + 9 * 3600;
    std::tm g{};
    gmtime_r(&t, &g);
    return g.tm_hour * 60 + g.tm_min;
}

std::string h_mm(int minutes) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%d:%02d", minutes / 60, minutes % 60);
    return buf;
}

std::string hours_env(int open, int close) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", open / 60, open % 60, close / 60, close % 60);
    return buf;
}

/// The hand-over's first message for hours [open, close) at Tokyo minute `now`.
std::string handover_text(int open, int close, int now) {
    const std::string hours = h_mm(open) + "〜" + h_mm(close);
    if (now >= open && now < close) {
        return "この質問には、ここではお答えできませんでした。相談窓口の担当者がお電話でお答えします（受付 毎日" + hours +
               "、ただいま受付中です）。";
    }
    return "この質問には、ここではお答えできませんでした。相談窓口の受付時間は毎日" + hours + "です。次の受付開始は" +
           (now < open ? "本日" : "明日") + h_mm(open) + "です。";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> labels_of(const Message& m) {
    std::vector<std::string> out;
    for (const auto& b : m.buttons) out.push_back(b.label);
    return out;
}

const Button* button_labelled(const Message& m, const std::string& label) {
    for (const auto& b : m.buttons) {
        if (b.label == label) return &b;
    }
    return nullptr;
}

/// True when some message of the reply is the call_center template with a tel: button.
bool has_call_button(const Reply& r) {
    auto doc = parse_json(r.raw);
    if (!doc.IsObject() || !doc.HasMember("messages")) return false;
    for (const auto& m : doc["messages"].GetArray()) {
        if (str(m, "type") != "template" || !m.HasMember("template")) continue;
        const auto& t = m["template"];
        if (!t.HasMember("actions") || !t["actions"].IsArray()) continue;
        for (const auto& a : t["actions"].GetArray()) {
            if (str(a, "type") == "uri" && str(a, "uri") == std::string("tel:") + kPhone) return true;
        }
    }
    return false;
}

/// A running sapo with the admin API on and a consultation phone number.
struct FaqService {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;
    int event = 0;

    explicit FaqService(const std::map<std::string, std::string>& more = {})
        : sapo({"serve"}, service_env(db.url(), line, with_defaults(more))) {
        sapo.start_serving();
    }

    static std::map<std::string, std::string> with_defaults(const std::map<std::string, std::string>& more) {
        std::map<std::string, std::string> env{{"SAPO_ADMIN_TOKEN", kAdminToken}, {"SAPO_CALL_CENTER_PHONE", kPhone}};
        for (const auto& [k, v] : more) env[k] = v;
        return env;
    }

    std::string next_id() { return std::to_string(++event); }

    Reply say(const std::string& user_id, const std::string& text) {
        const auto n = next_id();
        return exchange(line, sapo, text_event(user_id, "faq-ev-" + n, "faq-token-" + n, now_ms(), text), "faq-token-" + n);
    }

    Reply tap(const std::string& user_id, const std::string& data) {
        const auto n = next_id();
        return exchange(line, sapo, postback_event(user_id, "faq-ev-" + n, "faq-token-" + n, now_ms(), data),
                        "faq-token-" + n);
    }

    Reply follow(const std::string& user_id) {
        const auto n = next_id();
        return exchange(line, sapo, follow_event(user_id, "faq-ev-" + n, "faq-token-" + n, now_ms()), "faq-token-" + n);
    }

    HttpResult admin(const std::string& method, const std::string& target, const std::string& body = "") {
        return http_request(sapo.port(), method, target, body,
                            {{"Authorization", std::string("Bearer ") + kAdminToken}, {"X-Operator", "sato"}});
    }

    std::string faq_body() {
        auto r = admin("GET", "/admin/api/faq");
        REQUIRE(r.status == 200);
        return r.body;
    }

    std::vector<std::string> faq_ids() {
        auto doc = parse_json(faq_body());
        REQUIRE(doc.IsObject());
        std::vector<std::string> ids;
        for (const auto& e : doc["entries"].GetArray()) ids.push_back(e["id"].GetString());
        return ids;
    }

    /// "reason|text|entry_id" of every kept miss, oldest first.
    std::vector<std::string> misses() {
        std::vector<std::string> out;
        for (const auto& r : query_rows(db.url(), "SELECT reason, text, coalesce(entry_id, '') FROM faq_misses ORDER BY id")) {
            out.push_back(r[0] + "|" + r[1] + "|" + r[2]);
        }
        return out;
    }

    /// "actor action subject" of the operators' FAQ audit rows (not the seeding), in order.
    std::vector<std::string> faq_audit() {
        std::vector<std::string> out;
        for (const auto& r : query_rows(db.url(), "SELECT actor, action, subject FROM audit_log "
                                                  "WHERE action LIKE 'faq.%' AND action <> 'faq.seed' ORDER BY id")) {
            out.push_back(r[0] + " " + r[1] + " " + r[2]);
        }
        return out;
    }
};

/// Problems of a 422 answer as (index, id, message); index -1 for null.
struct Problem {
    int index;
    std::string id;
    std::string message;
};

std::vector<Problem> problems_of(const std::string& body) {
    auto doc = parse_json(body);
    std::vector<Problem> out;
    if (!doc.IsObject() || !doc.HasMember("problems") || !doc["problems"].IsArray()) return out;
    for (const auto& p : doc["problems"].GetArray()) {
        out.push_back({p["index"].IsInt() ? p["index"].GetInt() : -1, str(p, "id"), str(p, "message")});
    }
    return out;
}

bool has_problem(const std::vector<Problem>& problems, int index, const std::string& id, const std::string& fragment) {
    return std::any_of(problems.begin(), problems.end(), [&](const Problem& p) {
        return p.index == index && p.id == id && contains(p.message, fragment);
    });
}

/// A set with a duplicate id (entry 1), an answer without "en" (entry 2) and an http:// link
/// (entry 3); entry 0 is fine.
const std::string kInvalidSet = R"({"entries": [
  {"id": "ok-one", "category": "暮らし", "question": "市役所の窓口は何時までですか",
   "answer": {"ja": "市役所の窓口は17時までです。", "en": "The city office counters close at 17:00."}},
  {"id": "ok-one", "category": "暮らし", "question": "市役所の駐車場はありますか",
   "answer": {"ja": "駐車場があります。", "en": "There is a car park."}},
  {"id": "no-english", "category": "暮らし", "question": "粗大ごみの出し方を教えてください",
   "answer": {"ja": "粗大ごみは予約制です。"}},
  {"id": "plain-http", "category": "暮らし", "question": "図書館のサイトはどこですか",
   "answer": {"ja": "図書館のサイトをご覧ください。", "en": "See the library's site."},
   "links": [{"label": "図書館", "url": "http://library.example.jp/"}]}
]})";

/// Entries of `body`'s "entries" member, compared structurally.
bool same_entries(const std::string& a, const std::string& b) {
    auto da = parse_json(a);
    auto db = parse_json(b);
    if (!da.IsObject() || !db.IsObject() || !da.HasMember("entries") || !db.HasMember("entries")) return false;
    return da["entries"] == db["entries"];
}

}  // namespace

TEST_CASE("faq e2e: shipped questions are answered, misses kept without the user, urgent first, menu button",
          "[faq][e2e][pg][net]") {
    if (!have_test_postgres()) return;
    FaqService s;  // default hours 09:00-22:00
    INFO(s.sapo.log());
    const auto starter = starter_entries();

    // the shipped set is in a fresh database
    CHECK(s.faq_ids().size() == starter.size());

    // an entry with links, and another ordinary one (neither urgent)
    const StarterEntry* with_links = nullptr;
    const StarterEntry* other = nullptr;
    for (const auto& e : starter) {
        if (sounds_urgent_here(e.question)) continue;
        if (!with_links && !e.links.empty()) with_links = &e;
        else if (!other && e.links.empty()) other = &e;
    }
    REQUIRE(with_links);
    REQUIRE(other);

    SECTION("an answer, with its links, then was it helpful; yes -> thanks, nothing kept") {
        auto r = s.say(user(1), with_links->question);
        INFO(r.raw);
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[0].text == with_links->expected_answer());
        CHECK(r.messages[1].text == kHelpful);
        const auto labels = labels_of(r.messages[1]);
        CHECK(std::find(labels.begin(), labels.end(), "はい") != labels.end());
        CHECK(std::find(labels.begin(), labels.end(), "いいえ") != labels.end());

        auto thanks = s.say(user(1), "はい");
        INFO(thanks.raw);
        REQUIRE(thanks.messages.size() == 1);
        CHECK(thanks.messages[0].text == kThanks);
        CHECK(s.misses().empty());
    }

    SECTION("no -> kept as not helpful (no user id), then the hand-over") {
        auto r = s.say(user(2), other->question);
        INFO(r.raw);
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[0].text == other->expected_answer());
        REQUIRE(r.messages[1].text == kHelpful);
        const Button* no = button_labelled(r.messages[1], "いいえ");
        REQUIRE(no);

        const int before = tokyo_minute_now();
        auto handover = s.tap(user(2), no->data);
        const int after = tokyo_minute_now();
        INFO(handover.raw);
        REQUIRE(handover.messages.size() == 3);
        const auto& first = handover.messages[0].text;
        CHECK((first == handover_text(9 * 60, 22 * 60, before) || first == handover_text(9 * 60, 22 * 60, after)));
        CHECK(handover.messages[1].type == "template");
        CHECK(has_call_button(handover));
        CHECK(handover.messages[2].text == kEmergency);

        CHECK(s.misses() == std::vector<std::string>{"not_helpful|" + other->question + "|" + other->id});
        // the table has nowhere to put a user, and nothing kept names one
        const auto columns = query_value(s.db.url(), "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) "
                                                     "FROM information_schema.columns WHERE table_name = 'faq_misses'");
        INFO("faq_misses columns: " << columns);
        CHECK_FALSE(columns.empty());
        CHECK_FALSE(contains(columns, "user"));
        const auto kept = query_value(s.db.url(), "SELECT string_agg(row_to_json(m)::text, ',') FROM faq_misses m");
        CHECK_FALSE(contains(kept, user(2)));
        CHECK_FALSE(std::regex_search(kept, std::regex("U[0-9a-f]{32}")));
    }

    SECTION("nonsense -> the hand-over with the phone button and 119, kept as no_match") {
        const std::string nonsense = "qwxz vbkj zzqq";
        const int before = tokyo_minute_now();
        auto r = s.say(user(3), nonsense);
        const int after = tokyo_minute_now();
        INFO(r.raw);
        REQUIRE(r.messages.size() == 3);
        const auto& first = r.messages[0].text;
        CHECK((first == handover_text(9 * 60, 22 * 60, before) || first == handover_text(9 * 60, 22 * 60, after)));
        CHECK(has_call_button(r));
        CHECK(contains(r.raw, std::string("tel:") + kPhone));
        CHECK(r.messages[2].text == kEmergency);
        CHECK_FALSE(contains(r.all_text(), kHelpful));
        CHECK(s.misses() == std::vector<std::string>{"no_match|" + nonsense + "|"});
        const auto kept = query_value(s.db.url(), "SELECT string_agg(row_to_json(m)::text, ',') FROM faq_misses m");
        CHECK_FALSE(contains(kept, user(3)));
    }

    SECTION("something urgent -> the 119 message comes first") {
        for (const std::string q : {"息苦しいです", "父の意識がないみたいです", "胸が痛いときはどうしたらいい"}) {
            INFO(q);
            auto r = s.say(user(4 + static_cast<unsigned>(s.event)), q);
            INFO(r.raw);
            REQUIRE(r.messages.size() >= 2);
            CHECK(r.messages[0].text == kUrgentLead);
        }
        // and not for an ordinary question
        auto calm = s.say(user(40), with_links->question);
        CHECK(calm.messages[0].text != kUrgentLead);
    }

    SECTION("the menu's FAQ button asks for the question, then answers it") {
        auto welcome = s.follow(user(50));
        INFO(welcome.raw);
        const Button* faq = button_labelled(welcome.messages.back(), "よくある質問");
        REQUIRE(faq);
        auto ask = s.tap(user(50), faq->data);
        INFO(ask.raw);
        REQUIRE(ask.messages.size() == 1);
        CHECK(ask.messages[0].text.rfind(kAskQuestion, 0) == 0);

        auto answered = s.say(user(50), other->question);
        INFO(answered.raw);
        REQUIRE(answered.messages.size() == 2);
        CHECK(answered.messages[0].text == other->expected_answer());
        CHECK(answered.messages[1].text == kHelpful);
    }
}

TEST_CASE("faq e2e: an ambiguous question offers numbered choices, a tap answers the chosen one", "[faq][e2e][pg][net]") {
    if (!have_test_postgres()) return;
    FaqService s{{{"SAPO_CALL_CENTER_HOURS", "00:00-24:00"}}};
    INFO(s.sapo.log());
    const std::map<std::string, std::string> answers{{"pcr-cost", "PCR検査の費用は無料です。"},
                                                     {"pcr-booking", "PCR検査の予約は保健所の窓口でできます。"}};
    const std::map<std::string, std::string> questions{{"pcr-cost", "PCR検査の費用はいくらですか"},
                                                       {"pcr-booking", "PCR検査の予約はどこでできますか"}};
    auto put = s.admin("PUT", "/admin/api/faq", R"({"entries": [
      {"id": "pcr-cost", "category": "検査", "question": "PCR検査の費用はいくらですか",
       "answer": {"ja": "PCR検査の費用は無料です。", "en": "PCR tests are free."}},
      {"id": "pcr-booking", "category": "検査", "question": "PCR検査の予約はどこでできますか",
       "answer": {"ja": "PCR検査の予約は保健所の窓口でできます。", "en": "Book a PCR test at the health centre."}}
    ]})");
    INFO(put.body);
    REQUIRE(put.status == 200);

    auto r = s.say(user(1), "PCR検査は？");
    INFO(r.raw);
    REQUIRE(r.messages.size() == 1);
    const auto& pick = r.messages[0];
    REQUIRE(pick.text.rfind(kChoicesLead, 0) == 0);
    CHECK(labels_of(pick) == std::vector<std::string>{"1", "2", "3", "どれでもない"});
    // "1. question" and "2. question", one line each, both entries
    std::map<std::string, std::string> listed;  // number -> entry id
    for (const auto& [id, q] : questions) {
        for (const std::string n : {"1", "2"}) {
            if (contains(pick.text, "\n" + n + ". " + q)) listed[n] = id;
        }
    }
    REQUIRE(listed.size() == 2);
    CHECK(listed["1"] != listed["2"]);

    const Button* two = button_labelled(pick, "2");
    REQUIRE(two);
    auto chosen = s.tap(user(1), two->data);
    INFO(chosen.raw);
    REQUIRE(chosen.messages.size() == 2);
    CHECK(chosen.messages[0].text == answers.at(listed["2"]));
    CHECK(chosen.messages[1].text == kHelpful);
    CHECK(s.say(user(1), "はい").messages[0].text == kThanks);
    CHECK(s.misses().empty());

    // "none of these" keeps the question and hands over (always open: 0:00-24:00)
    auto again = s.say(user(2), "PCR検査は？");
    REQUIRE(again.messages[0].text.rfind(kChoicesLead, 0) == 0);
    const Button* none = button_labelled(again.messages[0], "どれでもない");
    REQUIRE(none);
    auto handover = s.tap(user(2), none->data);
    INFO(handover.raw);
    REQUIRE_FALSE(handover.messages.empty());
    CHECK(handover.messages[0].text == handover_text(0, 24 * 60, 0));
    CHECK(contains(handover.messages[0].text, "受付 毎日0:00〜24:00、ただいま受付中です"));
    CHECK(has_call_button(handover));
    CHECK(handover.messages.back().text == kEmergency);
    CHECK(s.misses() == std::vector<std::string>{"no_match|PCR検査は？|"});
}

TEST_CASE("faq e2e: the admin API replaces the set, refuses bad sets whole, changes one entry", "[faq][e2e][pg][net]") {
    if (!have_test_postgres()) return;
    FaqService s{{{"SAPO_CALL_CENTER_HOURS", "00:00-24:00"}}};
    INFO(s.sapo.log());
    const auto starter = starter_entries();
    const std::string library_q = "図書館の開館時間は何時からですか";
    const std::string library_a = "市立図書館は毎日9時30分に開館します。";

    auto initial = parse_json(s.faq_body());
    REQUIRE(initial.IsObject());
    REQUIRE(initial["version"].IsInt64());
    const auto version0 = initial["version"].GetInt64();
    CHECK(initial["entries"].Size() == starter.size());

    // before: the shipped set does not know the library
    auto before = s.say(user(1), library_q);
    CHECK_FALSE(contains(before.all_text(), library_a));

    auto put = s.admin("PUT", "/admin/api/faq", R"({"entries": [
      {"id": "library-hours", "category": "暮らし", "question": "図書館の開館時間は何時からですか",
       "phrasings": ["図書館は何時から"], "answer": {"ja": "市立図書館は毎日9時30分に開館します。",
       "en": "The city library opens at 9:30 every day."},
       "links": [{"label": "市立図書館", "url": "https://library.example.jp/"}]},
      {"id": "bicycle-parking", "category": "暮らし", "question": "駐輪場はどこにありますか",
       "answer": {"ja": "駐輪場は駅の北口にあります。", "en": "The bicycle parking is at the station's north exit."}}
    ]})");
    INFO(put.body);
    REQUIRE(put.status == 200);
    auto put_doc = parse_json(put.body);
    CHECK(put_doc["version"].GetInt64() == version0 + 1);
    CHECK(put_doc["entries"].GetInt() == 2);
    CHECK(s.faq_ids() == std::vector<std::string>{"library-hours", "bicycle-parking"});

    // the very next question uses the new set; the old one is gone
    auto after = s.say(user(2), library_q);
    INFO(after.raw);
    REQUIRE(after.messages.size() == 2);
    CHECK(after.messages[0].text == library_a + "\n市立図書館: https://library.example.jp/");
    CHECK(after.messages[1].text == kHelpful);
    auto old = s.say(user(3), starter.front().question);
    CHECK_FALSE(contains(old.all_text(), starter.front().answer_ja));

    const std::string good = s.faq_body();

    SECTION("a set with problems: 422 naming each one, nothing changed") {
        auto bad = s.admin("PUT", "/admin/api/faq", kInvalidSet);
        INFO(bad.body);
        CHECK(bad.status == 422);
        auto doc = parse_json(bad.body);
        REQUIRE(doc.IsObject());
        CHECK(contains(str(doc, "message"), "not valid"));
        const auto problems = problems_of(bad.body);
        CHECK(has_problem(problems, 1, "ok-one", "used by an earlier entry"));
        CHECK(has_problem(problems, 2, "no-english", "answer.en is required"));
        CHECK(has_problem(problems, 3, "plain-http", "https://"));
        // entry 0 is fine, and entry 2 does have its Japanese answer
        CHECK_FALSE(std::any_of(problems.begin(), problems.end(), [](const Problem& p) { return p.index == 0; }));
        CHECK_FALSE(has_problem(problems, 2, "no-english", "answer.ja is required"));
        CHECK(s.faq_body() == good);

        // bodies that are not a UTF-8 JSON object
        for (const auto& body : {std::string("[]"), std::string("{\"entries\": ["), std::string("\xff\xfe"),
                                       std::string("{\"entries\": [{\"id\": \"x\xff\"}]}"), std::string("")}) {
            auto r = s.admin("PUT", "/admin/api/faq", body);
            INFO(r.body);
            CHECK((r.status == 400 || r.status == 422));
        }
        // an empty set is refused too: the FAQ must not silently vanish
        CHECK(s.admin("PUT", "/admin/api/faq", R"({"entries": []})").status == 422);
        CHECK(s.faq_body() == good);
        CHECK(s.faq_audit() == std::vector<std::string>{"admin:sato faq.replace faq"});
    }

    SECTION("PATCH one entry: the next question gets the new answer") {
        const std::string changed = "改定: 市立図書館は毎日10時に開館します。";
        auto p = s.admin("PATCH", "/admin/api/faq/library-hours",
                         R"({"answer": {"ja": "改定: 市立図書館は毎日10時に開館します。", "en": "Changed: opens at 10:00."}})");
        INFO(p.body);
        REQUIRE(p.status == 200);
        auto doc = parse_json(p.body);
        REQUIRE(doc.IsObject());
        CHECK(str(doc, "id") == "library-hours");
        CHECK(str(doc["answer"], "ja") == changed);
        CHECK(str(doc, "question") == library_q);  // fields not given stay as they were

        auto r = s.say(user(4), library_q);
        INFO(r.raw);
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[0].text == changed + "\n市立図書館: https://library.example.jp/");

        // a bad change (http link, question of another entry) and an unknown entry
        const std::string patched = s.faq_body();
        auto bad = s.admin("PATCH", "/admin/api/faq/library-hours",
                           R"({"links": [{"label": "図書館", "url": "http://library.example.jp/"}]})");
        INFO(bad.body);
        CHECK(bad.status == 422);
        CHECK(s.admin("PATCH", "/admin/api/faq/library-hours", R"({"question": "駐輪場はどこにありますか"})").status == 422);
        CHECK(s.admin("PATCH", "/admin/api/faq/library-hours", R"({"id": "renamed"})").status == 422);
        CHECK(s.admin("PATCH", "/admin/api/faq/library-hours", "not json").status == 422);
        auto unknown = s.admin("PATCH", "/admin/api/faq/no-such-entry", R"({"category": "x"})");
        INFO(unknown.body);
        CHECK(unknown.status == 404);
        CHECK(s.faq_body() == patched);

        CHECK(s.faq_audit() ==
              std::vector<std::string>{"admin:sato faq.replace faq", "admin:sato faq.update faq:library-hours"});
    }

    SECTION("without the token: 401 and nothing changes; wrong methods: 405 with Allow") {
        for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
                 {"GET", "/admin/api/faq"},
                 {"PUT", "/admin/api/faq"},
                 {"PATCH", "/admin/api/faq/library-hours"},
                 {"GET", "/admin/api/faq/misses"}}) {
            INFO(method << " " << target);
            auto none = http_request(s.sapo.port(), method, target, R"({"entries": []})");
            CHECK(none.status == 401);
            auto wrong = http_request(s.sapo.port(), method, target, R"({"category": "x"})",
                                      {{"Authorization", "Bearer not-the-token"}});
            CHECK(wrong.status == 401);
        }
        CHECK(s.faq_body() == good);

        auto del = s.admin("DELETE", "/admin/api/faq");
        CHECK(del.status == 405);
        CHECK(del.headers["allow"] == "GET, PUT");
        auto post = s.admin("POST", "/admin/api/faq/misses");
        CHECK(post.status == 405);
        CHECK(post.headers["allow"] == "GET");
        auto get_one = s.admin("GET", "/admin/api/faq/library-hours");
        CHECK(get_one.status == 405);
        CHECK(get_one.headers["allow"] == "PATCH");
        CHECK(s.faq_body() == good);
    }
}

TEST_CASE("faq e2e: unanswered questions are grouped for operators, without user ids", "[faq][e2e][pg][net]") {
    if (!have_test_postgres()) return;
    FaqService s{{{"SAPO_CALL_CENTER_HOURS", "00:00-24:00"}}};
    INFO(s.sapo.log());
    auto put = s.admin("PUT", "/admin/api/faq", R"({"entries": [
      {"id": "garbage-day", "category": "暮らし", "question": "ゴミの日はいつですか",
       "answer": {"ja": "燃えるゴミは月曜日と木曜日です。", "en": "Burnable rubbish: Mondays and Thursdays."}}
    ]})");
    REQUIRE(put.status == 200);

    const std::vector<std::string> parking{"駐車場はありますか", "駐車場はありますか？", "駐車場ってありますか"};
    const std::string pets = "ペットを連れて行ってもいいですか";
    unsigned n = 1;
    for (const auto& q : parking) {
        auto r = s.say(user(n++), q);
        INFO(q << "\n" << r.raw);
        CHECK(r.messages.back().text == kEmergency);  // handed over
    }
    CHECK(s.say(user(n++), pets).messages.back().text == kEmergency);
    // an answer that did not help
    auto answered = s.say(user(n), "ゴミの日はいつですか");
    REQUIRE(answered.messages.back().text == kHelpful);
    CHECK(s.say(user(n), "いいえ").messages.back().text == kEmergency);
    REQUIRE(query_value(s.db.url(), "SELECT count(*) FROM faq_misses") == "5");

    auto r = s.admin("GET", "/admin/api/faq/misses?days=7");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK_FALSE(std::regex_search(r.body, std::regex("U[0-9a-f]{32}")));
    for (unsigned u = 1; u <= n; ++u) CHECK_FALSE(contains(r.body, user(u)));
    auto doc = parse_json(r.body);
    REQUIRE(doc.IsObject());
    CHECK(doc["days"].GetInt() == 7);
    CHECK(doc["total"].GetInt() == 5);
    const auto& groups = doc["groups"];
    REQUIRE(groups.IsArray());
    REQUIRE(groups.Size() == 3);

    // the biggest group first: the three parking questions together
    const auto& big = groups[0];
    CHECK(big["count"].GetInt() == 3);
    CHECK(big["not_helpful"].GetInt() == 0);
    CHECK(std::find(parking.begin(), parking.end(), str(big, "text")) != parking.end());
    std::vector<std::string> examples;
    for (const auto& e : big["examples"].GetArray()) examples.emplace_back(e.GetString());
    std::sort(examples.begin(), examples.end());
    auto sorted_parking = parking;
    std::sort(sorted_parking.begin(), sorted_parking.end());
    CHECK(examples == sorted_parking);
    CHECK(std::regex_match(str(big, "last_at"), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));

    // the other two on their own, one of them an answer that did not help
    std::map<std::string, std::pair<int, int>> singles;  // text -> count, not_helpful
    for (rapidjson::SizeType i = 1; i < groups.Size(); ++i) {
        singles[str(groups[i], "text")] = {groups[i]["count"].GetInt(), groups[i]["not_helpful"].GetInt()};
    }
    CHECK(singles == std::map<std::string, std::pair<int, int>>{{pets, {1, 0}}, {"ゴミの日はいつですか", {1, 1}}});

    // days must be 1..365
    CHECK(s.admin("GET", "/admin/api/faq/misses?days=0").status == 422);
    CHECK(s.admin("GET", "/admin/api/faq/misses?days=abc").status == 422);
    auto default_days = s.admin("GET", "/admin/api/faq/misses");
    REQUIRE(default_days.status == 200);
    CHECK(parse_json(default_days.body)["total"].GetInt() == 5);
}

TEST_CASE("faq e2e: sapo faq export and import", "[faq][e2e][pg][net][cli]") {
    if (!have_test_postgres()) return;
    FaqService s{{{"SAPO_CALL_CENTER_HOURS", "00:00-24:00"}}};
    INFO(s.sapo.log());
    const std::map<std::string, std::string> env{{"DATABASE_URL", s.db.url()}};
    const auto starter = starter_entries();
    const std::string shipped = s.faq_body();

    // export: JSON equal to what the API shows
    auto exported = run_sapo({"faq", "export"}, env);
    INFO(exported.err);
    REQUIRE(exported.code == 0);
    auto exported_doc = parse_json(exported.out);
    REQUIRE(exported_doc.IsObject());
    CHECK(same_entries(exported.out, shipped));
    CHECK(exported_doc["entries"].Size() == starter.size());

    TempDir dir;
    write_file(dir.file("town.json"), R"({"entries": [
      {"id": "pool-hours", "category": "暮らし", "question": "市民プールは何時まで開いていますか",
       "answer": {"ja": "市民プールは20時まで開いています。", "en": "The city pool is open until 20:00."}},
      {"id": "bus-pass", "category": "暮らし", "question": "敬老パスはどこでもらえますか",
       "answer": {"ja": "敬老パスは市役所の1階でお渡ししています。", "en": "Get the seniors' bus pass at the city office."}}
    ]})");
    auto imported = run_sapo({"faq", "import", dir.file("town.json"), "--as", "tester"}, env);
    INFO(imported.out << imported.err);
    REQUIRE(imported.code == 0);
    CHECK(contains(imported.out, "2 FAQ entries imported from " + dir.file("town.json")));
    CHECK(s.faq_ids() == std::vector<std::string>{"pool-hours", "bus-pass"});
    CHECK(s.faq_audit() == std::vector<std::string>{"cli:tester faq.replace faq"});
    // the running service answers from it at once
    auto r = s.say(user(1), "市民プールは何時まで開いていますか");
    INFO(r.raw);
    CHECK(r.messages[0].text == "市民プールは20時まで開いています。");
    // and export shows it
    auto again = run_sapo({"faq", "export"}, env);
    REQUIRE(again.code == 0);
    CHECK(same_entries(again.out, s.faq_body()));

    // an invalid file: exit 1, every problem printed, nothing changed
    const std::string town = s.faq_body();
    write_file(dir.file("bad.json"), kInvalidSet);
    auto refused = run_sapo({"faq", "import", dir.file("bad.json"), "--as", "tester"}, env);
    INFO(refused.out << refused.err);
    CHECK(refused.code == 1);
    CHECK(contains(refused.err, "entry 1 (ok-one): id \"ok-one\" is used by an earlier entry"));
    CHECK(contains(refused.err, "entry 2 (no-english): answer.en is required"));
    CHECK(contains(refused.err, "entry 3 (plain-http): a link's url must be an https:// address"));
    CHECK_FALSE(contains(refused.err, "entry 0"));
    CHECK_FALSE(contains(refused.err, "entry 2 (no-english): answer.ja is required"));  // it has one
    CHECK(s.faq_body() == town);
    auto missing = run_sapo({"faq", "import", dir.file("no-such.json")}, env);
    CHECK(missing.code == 1);
    CHECK(contains(missing.err, "no-such.json"));
    write_file(dir.file("empty.json"), R"({"entries": []})");
    CHECK(run_sapo({"faq", "import", dir.file("empty.json")}, env).code == 1);
    write_file(dir.file("garbage.json"), "{\"entries\": [ \xff");
    CHECK(run_sapo({"faq", "import", dir.file("garbage.json")}, env).code == 1);
    CHECK(s.faq_body() == town);

    // without a file: the shipped set again
    auto restored = run_sapo({"faq", "import", "--as", "tester"}, env);
    INFO(restored.out << restored.err);
    REQUIRE(restored.code == 0);
    CHECK(contains(restored.out, std::to_string(starter.size()) + " FAQ entries imported"));
    CHECK(same_entries(s.faq_body(), shipped));
    std::vector<std::string> starter_ids;
    for (const auto& e : starter) starter_ids.push_back(e.id);
    CHECK(s.faq_ids() == starter_ids);

    // bad usage: 2, and nothing changed
    const std::string now_body = s.faq_body();
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"faq"}, {"faq", "frobnicate"}, {"faq", "import", "a.json", "b.json"}, {"faq", "export", "extra"}}) {
        auto u = run_sapo(args, env);
        INFO(args.size() << " words: " << u.out << u.err);
        CHECK(u.code == 2);
        CHECK_FALSE(u.err.empty());
    }
    CHECK(s.faq_body() == now_body);
    auto help = run_sapo({"faq", "--help"});
    CHECK(help.code == 0);
    CHECK(contains(help.out, "usage: sapo faq"));
}

TEST_CASE("faq e2e: the hand-over says when the centre opens when it is closed", "[faq][e2e][pg][net]") {
    if (!have_test_postgres()) return;
    // windows that exclude now by a few minutes (each service takes a second or two): one later
    // today (opens 本日), one already over (opens 明日). Within 3 minutes of midnight in Tokyo
    // only one of them fits in the day.
    const int now = tokyo_minute_now();
    std::vector<std::pair<int, int>> windows;
    if (now + 3 < 24 * 60) windows.emplace_back(now + 3, std::min(24 * 60, now + 33));
    if (now >= 3) windows.emplace_back(std::max(0, now - 32), now - 2);
    REQUIRE_FALSE(windows.empty());
    unsigned n = 1;
    for (const auto& [open, close] : windows) {
        const std::string hours = hours_env(open, close);
        INFO("SAPO_CALL_CENTER_HOURS=" << hours);
        FaqService s{{{"SAPO_CALL_CENTER_HOURS", hours}}};
        INFO(s.sapo.log());
        const int before = tokyo_minute_now();
        auto r = s.say(user(n++), "qwxz vbkj zzqq");
        const int after = tokyo_minute_now();
        INFO(r.raw);
        REQUIRE(r.messages.size() == 3);
        const auto& first = r.messages[0].text;
        CHECK((first == handover_text(open, close, before) || first == handover_text(open, close, after)));
        CHECK(contains(first, "相談窓口の受付時間は毎日" + h_mm(open) + "〜" + h_mm(close) + "です。"));
        CHECK(contains(first, "次の受付開始は"));
        CHECK_FALSE(contains(first, "ただいま受付中です"));
        CHECK(has_call_button(r));
        CHECK(r.messages[2].text == kEmergency);
    }
}

TEST_CASE("faq e2e: sapo serve refuses invalid SAPO_CALL_CENTER_HOURS", "[faq][e2e][pg][net]") {
    if (!have_test_postgres()) return;
    line::FakeLineServer fake;
    TempDatabase db;
    for (const std::string hours : {"25:00-26:00", "9時-22時", "09:00-09:00", "09:00-24:01"}) {
        INFO("SAPO_CALL_CENTER_HOURS=" << hours);
        SapoProcess sapo({"serve"}, service_env(db.url(), fake, {{"SAPO_CALL_CENTER_HOURS", hours}}));
        sapo.start();
        const int code = sapo.wait(std::chrono::seconds(30));
        const auto output = sapo.log();
        INFO(output);
        CHECK(code == 2);
        // one line names the variable
        std::istringstream in(output);
        bool named = false;
        for (std::string l; std::getline(in, l);) named = named || contains(l, "SAPO_CALL_CENTER_HOURS");
        CHECK(named);
    }
}
