// The shipped health_report and health_enrol flows driven through the pure engine: the daily
// questions, the red flags (alert.raise and the emergency guidance, each time one is raised), the
// saved report, answers that can't be read, enrolment's answers, and coming back to a
// half-answered report.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flow_test_support.hpp"

using namespace flowtest;

namespace {

const char* kIntro =
    "今日の健康状態を伺います（10項目ほど、1分程度）。ボタンで答えるか、文字で送ってください。途中でやめても、"
    "「健康観察」と送ると続きから再開できます。";
const char* kWarn = "緊急性の高い症状の可能性があります。報告の途中でも、すぐにお電話ください。保健所にもお知らせしました。";
const char* kEmergencyJson = R"({"type":"text","text":"緊急連絡先: 119"})";
const char* kDone =
    "健康記録を登録しました。ご協力ありがとうございました。明日も朝9:00ごろにお知らせします。\n"
    "急に具合が悪くなったときは、緊急連絡先（24時間）119 へお電話ください。";
const char* kDoneWarned =
    "健康記録を登録しました。保健所の担当者から連絡することがあります。症状が急に悪くなったときは、報告を待たずに"
    "緊急連絡先（24時間）119 へ。";
const char* kTemperatureRange = "34.0〜42.0℃の範囲でお送りください（例: 36.5）。";
/// The reask of every yes/no question, with the emergency number filled in.
const char* kReaskYesNo =
    "「はい」「いいえ」「わからない」のいずれかでお答えください（下のボタンも使えます）。胸の痛みや強い息苦しさなど、"
    "急に具合が悪いときは、報告を待たずにすぐ 119 へお電話ください。";
/// What three unreadable answers in a row get (before the emergency guidance).
const char* kUnclear =
    "お答えをうまく受け取れませんでした。保健所の担当者からお電話します。具合が悪いときは、待たずにすぐお電話ください。";
const char* kResume = "前回の続きから再開します。";

using Params = std::map<std::string, std::string, std::less<>>;

std::string params_text(const Params& p) {
    std::string out;
    for (const auto& [k, v] : p) out += k + "=" + v + "\n";
    return out;
}

/// A conversation with the shipped flows where health.begin and health.enrol answer with the
/// scripted outputs below.
struct Chat : ShippedChat {
    Variables begin_result{{"status", Value("ok")},       {"oximeter", Value("yes")}, {"run", Value("r1")},
                           {"from", Value("11月20日")}, {"to", Value("11月30日")},  {"date", Value("2026-11-21")}};
    Variables enrol_result{{"status", Value("ok")}, {"from", Value("11月20日")}, {"to", Value("11月30日")}};

    Variables scripted_outputs(const Effect& effect) override {
        if (effect.name == "health.begin") return begin_result;
        if (effect.name == "health.enrol") return enrol_result;
        return {};
    }

    /// The Japanese text of a node of the health_report flow.
    std::string question(const std::string& node, const std::string& flow = "health_report") const {
        return question_of(flow, node);
    }

    /// Starts the report: health.begin, the introduction, the temperature question.
    void start() {
        auto out = text("健康観察");
        CHECK(out.route == "keyword");
        CHECK(out.error.empty());
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].name == "health.begin");
        CHECK(out.effects[0].params.empty());
        CHECK(out.effects[0].result_var == "hr");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kIntro);
        at(out, "ask_temperature");
        CHECK(labels(out.messages.back()) == std::vector<std::string>{"スキップ"});
    }

    /// The conversation waits at `node` of health_report and its question is the last message.
    void at(const Outcome& out, const std::string& node) const {
        INFO(serialize(out.messages));
        REQUIRE(out.session);
        CHECK(out.session->flow_id == "health_report");
        CHECK(out.session->node == node);
        CHECK(out.session->waiting == Session::Waiting::input);
        REQUIRE_FALSE(out.messages.empty());
        CHECK(out.messages.back().text == question(node));
    }
};

const std::vector<std::string> kYesNo{"はい", "いいえ", "わからない"};
const std::vector<std::string> kFace{"いつも通り", "いつもと違う", "わからない"};

/// What health.save gets when nothing was asked beyond the usual questions: every answer
/// param is there, the ones not asked are empty.
Params quiet_report(const std::string& temperature, const std::string& spo2) {
    return {{"run", "r1"},           {"temperature", temperature}, {"spo2", spo2},      {"face", "usual"},
            {"face_signs", ""},      {"cough", "no"},              {"breathing", "no"}, {"breath_signs", ""},
            {"fatigue", "no"},       {"nausea", "no"},             {"diarrhea", "no"},  {"consciousness", "no"},
            {"mind_signs", ""},      {"eating", "yes"},            {"urination", "no"},  {"date", "2026-11-21"}};
}

/// The report ends after a red flag: the closing text for a warned report, then the emergency
/// guidance once more.
void done_warned(const Outcome& done) {
    INFO(serialize(done.messages));
    CHECK_FALSE(done.session);
    CHECK(texts(done.messages) == std::vector<std::string>{kDoneWarned, ""});
    REQUIRE(done.messages.size() == 2);
    CHECK(done.messages[1].json == kEmergencyJson);
}

/// A red flag's reply: the urgent text, the emergency guidance, then the next question.
void urgent_reply(const Outcome& out) {
    INFO(serialize(out.messages));
    REQUIRE(out.messages.size() == 3);
    CHECK(out.messages[0].text == kWarn);
    CHECK(out.messages[1].json == kEmergencyJson);
}

/// From the face question to the urination answer, all by buttons, nothing alarming.
void quiet_answers(Chat& c) {
    c.at(c.tap("いつも通り"), "ask_cough");
    CHECK(labels(c.last.messages.back()) == kYesNo);
    c.at(c.tap("いいえ"), "ask_breathing");
    c.at(c.tap("いいえ"), "ask_fatigue");
    c.at(c.tap("いいえ"), "ask_nausea");
    c.at(c.tap("いいえ"), "ask_diarrhea");
    c.at(c.tap("いいえ"), "ask_consciousness");
    c.at(c.tap("いいえ"), "ask_eating");
    c.at(c.tap("はい"), "ask_urination");
}

/// The single health.save of the conversation.
Effect the_save(const Chat& c) {
    auto saves = c.applied_named("health.save");
    REQUIRE(saves.size() == 1);
    return saves[0];
}

}  // namespace

TEST_CASE("health report: every question answered by buttons, one save, no alert", "[flows][health]") {
    Chat c;
    c.start();
    auto face = c.text("36.5");
    CHECK(face.route == "answer");
    REQUIRE(face.messages.size() == 1);
    c.at(face, "ask_face");
    CHECK(labels(face.messages.back()) == kFace);
    quiet_answers(c);
    auto spo2 = c.tap("いいえ");
    c.at(spo2, "ask_spo2");
    CHECK(labels(spo2.messages.back()) == std::vector<std::string>{"スキップ"});
    CHECK(c.applied.size() == 1);  // only health.begin so far

    auto done = c.text("97");
    CHECK(done.route == "answer");
    CHECK(done.error.empty());
    CHECK_FALSE(done.session);
    CHECK(texts(done.messages) == std::vector<std::string>{kDone});
    REQUIRE(done.effects.size() == 1);
    CHECK(done.effects[0].name == "health.save");
    CHECK(done.effects[0].result_var.empty());
    CHECK(params_text(the_save(c).params) == params_text(quiet_report("36.5", "97")));
    CHECK(c.applied_named("alert.raise").empty());
    CHECK(c.applied.size() == 2);
}

TEST_CASE("health report: the follow-up questions answered no keep every answer and raise nothing", "[flows][health]") {
    Chat c;
    c.begin_result["oximeter"] = Value("no");
    c.start();
    c.at(c.text("36.8"), "ask_face");
    c.at(c.tap("いつもと違う"), "ask_face_signs");
    CHECK(labels(c.last.messages.back()) == kYesNo);
    c.at(c.tap("いいえ"), "ask_cough");
    c.at(c.tap("はい"), "ask_breathing");
    c.at(c.tap("はい"), "ask_breath_signs");
    c.at(c.tap("いいえ"), "ask_fatigue");
    c.at(c.tap("はい"), "ask_nausea");
    c.at(c.tap("はい"), "ask_diarrhea");
    c.at(c.tap("はい"), "ask_consciousness");
    c.at(c.tap("いいえ"), "ask_eating");
    c.at(c.tap("いいえ"), "ask_urination");
    auto done = c.tap("はい");
    CHECK_FALSE(done.session);
    CHECK(texts(done.messages) == std::vector<std::string>{kDone});
    CHECK(c.applied_named("alert.raise").empty());
    const Params expected{{"run", "r1"},          {"temperature", "36.8"}, {"spo2", ""},
                          {"face", "not_usual"},  {"face_signs", "no"},    {"cough", "yes"},
                          {"breathing", "yes"},   {"breath_signs", "no"},  {"fatigue", "yes"},
                          {"nausea", "yes"},      {"diarrhea", "yes"},     {"consciousness", "no"},
                          {"mind_signs", ""},     {"eating", "no"},        {"urination", "yes"},
                          {"date", "2026-11-21"}};
    CHECK(params_text(the_save(c).params) == params_text(expected));
}

TEST_CASE("health report: typed answers", "[flows][health]") {
    Chat c;
    c.begin_result["oximeter"] = Value("no");
    c.start();
    c.at(c.text("36度5分"), "ask_face");
    c.at(c.text("はい"), "ask_cough");  // a synonym of いつも通り
    c.at(c.text("はい"), "ask_breathing");
    c.at(c.text("いいえ"), "ask_fatigue");
    c.at(c.text("わからない"), "ask_nausea");
    c.at(c.text("ない"), "ask_diarrhea");
    c.at(c.text("ｲｲｴ"), "ask_consciousness");
    c.at(c.text("no"), "ask_eating");
    c.at(c.text("うん"), "ask_urination");
    auto done = c.text("なし");
    CHECK_FALSE(done.session);
    CHECK(texts(done.messages) == std::vector<std::string>{kDone});
    auto save = the_save(c);
    CHECK(save.params.at("temperature") == "36.5");
    CHECK(save.params.at("face") == "usual");
    CHECK(save.params.at("cough") == "yes");
    CHECK(save.params.at("breathing") == "no");
    CHECK(save.params.at("fatigue") == "unknown");
    CHECK(save.params.at("nausea") == "no");
    CHECK(save.params.at("diarrhea") == "no");
    CHECK(save.params.at("consciousness") == "no");
    CHECK(save.params.at("eating") == "yes");
    CHECK(save.params.at("urination") == "no");
    CHECK(save.params.at("spo2") == "");
    CHECK(c.applied_named("alert.raise").empty());
}

TEST_CASE("health report: a typed answer that fits nothing is asked again", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    auto again = c.text("たぶん");
    REQUIRE(again.messages.size() == 1);
    CHECK(again.messages[0].text == "下のボタンから選んでください。\n\n" + c.question("ask_face"));
    CHECK(labels(again.messages[0]) == kFace);
    REQUIRE(again.session);
    CHECK(again.session->node == "ask_face");
    CHECK(again.session->invalid_count == 1);
    c.at(c.text("普段通り"), "ask_cough");
    auto yes_no = c.text("そうかも");
    REQUIRE(yes_no.messages.size() == 1);
    CHECK(yes_no.messages[0].text == std::string(kReaskYesNo) + "\n\n" + c.question("ask_cough"));
    CHECK(labels(yes_no.messages[0]) == kYesNo);
    REQUIRE(yes_no.session);
    CHECK(yes_no.session->invalid_count == 1);
    CHECK(c.applied.size() == 1);
}

TEST_CASE("health report: a high fever raises its alert and shows the guidance at once, then goes on", "[flows][health]") {
    Chat c;
    c.start();
    auto out = c.text("39.2");
    CHECK(out.error.empty());
    REQUIRE(out.effects.size() == 1);
    CHECK(out.effects[0].name == "alert.raise");
    CHECK(params_text(out.effects[0].params) == params_text({{"run", "r1"}, {"reason", "high_fever"}, {"detail", "39.2℃"}}));
    REQUIRE(out.messages.size() == 3);
    CHECK(out.messages[0].text == kWarn);
    CHECK(out.messages[1].json == kEmergencyJson);
    c.at(out, "ask_face");
    CHECK(labels(out.messages[2]) == kFace);

    quiet_answers(c);
    c.at(c.tap("いいえ"), "ask_spo2");
    auto done = c.text("97");
    done_warned(done);
    CHECK(c.applied_named("alert.raise").size() == 1);
    CHECK(params_text(the_save(c).params) == params_text(quiet_report("39.2", "97")));
}

TEST_CASE("health report: the fever threshold itself raises the alert, just below does not", "[flows][health]") {
    Chat c;
    c.start();
    SECTION("39.0") {
        auto out = c.text("39.0");
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].params.at("reason") == "high_fever");
        CHECK(out.effects[0].params.at("detail") == "39℃");
    }
    SECTION("38.9") {
        auto out = c.text("38.9");
        CHECK(out.effects.empty());
        REQUIRE(out.messages.size() == 1);
        c.at(out, "ask_face");
    }
}

TEST_CASE("health report: 40 degrees and more are confirmed first", "[flows][health]") {
    Chat c;
    c.start();
    auto confirm = c.text("40.5");
    REQUIRE(confirm.messages.size() == 1);
    CHECK(confirm.messages[0].text == "体温は40.5℃でよろしいですか？");
    CHECK(labels(confirm.messages[0]) == std::vector<std::string>{"はい", "いいえ"});
    REQUIRE(confirm.session);
    CHECK(confirm.session->node == "ask_temperature");
    CHECK(confirm.session->waiting == Session::Waiting::confirm);
    CHECK(confirm.effects.empty());

    SECTION("yes: the alert") {
        auto out = c.tap("はい");
        REQUIRE(out.effects.size() == 1);
        CHECK(params_text(out.effects[0].params) ==
              params_text({{"run", "r1"}, {"reason", "high_fever"}, {"detail", "40.5℃"}}));
        REQUIRE(out.messages.size() == 3);
        CHECK(out.messages[0].text == kWarn);
        CHECK(out.messages[1].json == kEmergencyJson);
        c.at(out, "ask_face");
    }
    SECTION("no: the question again, and a corrected reading") {
        auto out = c.tap("いいえ");
        CHECK(out.effects.empty());
        REQUIRE(out.messages.size() == 1);
        c.at(out, "ask_temperature");
        auto fine = c.text("37.5");
        CHECK(fine.effects.empty());
        c.at(fine, "ask_face");
    }
    SECTION("the same reading typed again is a yes, not another confirmation") {
        auto out = c.text(GENERATE("40.5", "40度5分"));
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].name == "alert.raise");
        CHECK(params_text(out.effects[0].params) ==
              params_text({{"run", "r1"}, {"reason", "high_fever"}, {"detail", "40.5℃"}}));
        urgent_reply(out);
        c.at(out, "ask_face");
        REQUIRE(c.session);
        CHECK(to_json(c.session->vars.at("temperature")) == "40.5");
        CHECK(c.session->invalid_count == 0);
    }
    SECTION("a different reading of 40 or more is a new answer, confirmed in its turn") {
        auto again = c.text("41.2");
        CHECK(again.effects.empty());
        REQUIRE(again.messages.size() == 1);
        CHECK(again.messages[0].text == "体温は41.2℃でよろしいですか？");
        CHECK(labels(again.messages[0]) == std::vector<std::string>{"はい", "いいえ"});
        REQUIRE(again.session);
        CHECK(again.session->node == "ask_temperature");
        CHECK(again.session->waiting == Session::Waiting::confirm);
        CHECK(to_json(again.session->pending) == "41.2");
        auto out = c.tap("はい");
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].params.at("detail") == "41.2℃");
        urgent_reply(out);
        c.at(out, "ask_face");
    }
    SECTION("a different reading below 40 is a new answer, taken at once") {
        SECTION("below the alert") {
            auto out = c.text("38.5");
            CHECK(out.effects.empty());
            REQUIRE(out.messages.size() == 1);
            c.at(out, "ask_face");
            CHECK(to_json(c.session->vars.at("temperature")) == "38.5");
        }
        SECTION("still a fever to alert") {
            auto out = c.text("39.5");
            REQUIRE(out.effects.size() == 1);
            CHECK(params_text(out.effects[0].params) ==
                  params_text({{"run", "r1"}, {"reason", "high_fever"}, {"detail", "39.5℃"}}));
            urgent_reply(out);
            c.at(out, "ask_face");
        }
        CHECK(c.session->waiting == Session::Waiting::input);
        CHECK(c.session->pending.is_null());
    }
}

TEST_CASE("health report: temperatures out of range are asked again", "[flows][health]") {
    Chat c;
    c.start();
    const char* t = GENERATE("43", "33.9", "42.1");
    INFO(t);
    auto out = c.text(t);
    CHECK(out.effects.empty());
    REQUIRE(out.messages.size() == 1);
    CHECK(out.messages[0].text == std::string(kTemperatureRange) + "\n\n" + c.question("ask_temperature"));
    CHECK(labels(out.messages[0]) == std::vector<std::string>{"スキップ"});
    REQUIRE(out.session);
    CHECK(out.session->node == "ask_temperature");
    CHECK(out.session->waiting == Session::Waiting::input);
    CHECK(out.session->invalid_count == 1);
    c.at(c.text("34.0"), "ask_face");
    CHECK(c.applied.size() == 1);
}

TEST_CASE("health report: breathing unknown raises breathing_unknown at once, then asks the follow-up question", "[flows][health]") {
    Chat c;
    c.begin_result["oximeter"] = Value("no");
    c.start();
    c.at(c.text("36.5"), "ask_face");
    c.at(c.tap("いつも通り"), "ask_cough");
    c.at(c.tap("いいえ"), "ask_breathing");
    auto signs = c.tap("わからない");
    CHECK(signs.error.empty());
    REQUIRE(signs.effects.size() == 1);
    CHECK(signs.effects[0].name == "alert.raise");
    CHECK(params_text(signs.effects[0].params) ==
          params_text({{"run", "r1"}, {"reason", "breathing_unknown"}, {"detail", ""}}));
    urgent_reply(signs);
    c.at(signs, "ask_breath_signs");
    CHECK(labels(signs.messages[2]) == kYesNo);

    SECTION("no signs: nothing more, and the report goes on") {
        auto out = c.tap("いいえ");
        CHECK(out.effects.empty());
        REQUIRE(out.messages.size() == 1);
        c.at(out, "ask_fatigue");
        c.at(c.tap("いいえ"), "ask_nausea");
        c.at(c.tap("いいえ"), "ask_diarrhea");
        c.at(c.tap("いいえ"), "ask_consciousness");
        c.at(c.tap("いいえ"), "ask_eating");
        c.at(c.tap("はい"), "ask_urination");
        done_warned(c.tap("いいえ"));  // the alert marked the report as warned
        Params expected = quiet_report("36.5", "");
        expected["breathing"] = "unknown";
        expected["breath_signs"] = "no";
        CHECK(params_text(the_save(c).params) == params_text(expected));
        auto alerts = c.applied_named("alert.raise");
        REQUIRE(alerts.size() == 1);
        CHECK(alerts[0].params.at("reason") == "breathing_unknown");
    }
    SECTION("signs too: breath_signs as well, with the guidance again") {
        auto out = c.tap(GENERATE("はい", "わからない"));
        REQUIRE(out.effects.size() == 1);
        CHECK(params_text(out.effects[0].params) == params_text({{"run", "r1"}, {"reason", "breath_signs"}, {"detail", ""}}));
        urgent_reply(out);
        c.at(out, "ask_fatigue");
        std::vector<std::string> reasons;
        for (const auto& e : c.applied_named("alert.raise")) reasons.push_back(e.params.at("reason"));
        CHECK(reasons == std::vector<std::string>{"breathing_unknown", "breath_signs"});
    }
}

TEST_CASE("health report: short of breath asks the signs first, and only signs raise breath_signs", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    c.at(c.tap("いつも通り"), "ask_cough");
    c.at(c.tap("いいえ"), "ask_breathing");
    auto ask = c.tap("はい");
    CHECK(ask.effects.empty());  // "yes" alone raises nothing: the signs decide
    REQUIRE(ask.messages.size() == 1);
    c.at(ask, "ask_breath_signs");
    SECTION("signs yes or unknown: breath_signs") {
        auto out = c.tap(GENERATE("はい", "わからない"));
        REQUIRE(out.effects.size() == 1);
        CHECK(params_text(out.effects[0].params) == params_text({{"run", "r1"}, {"reason", "breath_signs"}, {"detail", ""}}));
        urgent_reply(out);
        c.at(out, "ask_fatigue");
    }
    SECTION("signs no: nothing") {
        auto out = c.tap("いいえ");
        CHECK(out.effects.empty());
        REQUIRE(out.messages.size() == 1);
        c.at(out, "ask_fatigue");
        CHECK(c.applied_named("alert.raise").empty());
    }
}

TEST_CASE("health report: impaired consciousness raises consciousness at once, its signs raise mind_signs", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    c.at(c.tap("いつも通り"), "ask_cough");
    c.at(c.tap("いいえ"), "ask_breathing");
    c.at(c.tap("いいえ"), "ask_fatigue");
    c.at(c.tap("いいえ"), "ask_nausea");
    c.at(c.tap("いいえ"), "ask_diarrhea");
    c.at(c.tap("いいえ"), "ask_consciousness");
    std::vector<std::string> reasons;
    std::string consciousness, mind_signs;
    SECTION("consciousness yes, no signs: consciousness only") {
        auto ask = c.tap("はい");
        REQUIRE(ask.effects.size() == 1);
        CHECK(ask.effects[0].name == "alert.raise");
        CHECK(params_text(ask.effects[0].params) == params_text({{"run", "r1"}, {"reason", "consciousness"}, {"detail", "yes"}}));
        urgent_reply(ask);
        c.at(ask, "ask_mind_signs");
        CHECK(labels(ask.messages[2]) == kYesNo);
        auto out = c.tap("いいえ");
        CHECK(out.effects.empty());
        REQUIRE(out.messages.size() == 1);
        c.at(out, "ask_eating");
        reasons = {"consciousness"};
        consciousness = "yes";
        mind_signs = "no";
    }
    SECTION("consciousness unknown: consciousness with detail unknown") {
        auto ask = c.tap("わからない");
        REQUIRE(ask.effects.size() == 1);
        CHECK(params_text(ask.effects[0].params) ==
              params_text({{"run", "r1"}, {"reason", "consciousness"}, {"detail", "unknown"}}));
        urgent_reply(ask);
        c.at(ask, "ask_mind_signs");
        auto out = c.tap("いいえ");
        CHECK(out.effects.empty());
        c.at(out, "ask_eating");
        reasons = {"consciousness"};
        consciousness = "unknown";
        mind_signs = "no";
    }
    SECTION("signs yes or unknown: mind_signs as well, with the guidance again") {
        auto ask = c.tap("はい");
        REQUIRE(ask.effects.size() == 1);
        CHECK(ask.effects[0].params.at("reason") == "consciousness");
        mind_signs = GENERATE("はい", "わからない");
        auto out = c.tap(mind_signs);
        REQUIRE(out.effects.size() == 1);
        CHECK(params_text(out.effects[0].params) == params_text({{"run", "r1"}, {"reason", "mind_signs"}, {"detail", ""}}));
        urgent_reply(out);
        c.at(out, "ask_eating");
        reasons = {"consciousness", "mind_signs"};
        consciousness = "yes";
        mind_signs = mind_signs == "はい" ? "yes" : "unknown";
    }
    c.at(c.tap("はい"), "ask_urination");
    c.at(c.tap("いいえ"), "ask_spo2");
    done_warned(c.text("98"));
    std::vector<std::string> raised;
    for (const auto& e : c.applied_named("alert.raise")) raised.push_back(e.params.at("reason"));
    CHECK(raised == reasons);
    Params expected = quiet_report("36.5", "98");
    expected["consciousness"] = consciousness;
    expected["mind_signs"] = mind_signs;
    CHECK(params_text(the_save(c).params) == params_text(expected));
}

TEST_CASE("health report: a face not as usual with signs raises face_signs", "[flows][health]") {
    const std::string signs = GENERATE("はい", "わからない");
    INFO(signs);
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    SECTION("not as usual") {
        c.at(c.tap("いつもと違う"), "ask_face_signs");
    }
    SECTION("does not know") {
        c.at(c.tap("わからない"), "ask_face_signs");
    }
    auto out = c.tap(signs);
    REQUIRE(out.effects.size() == 1);
    CHECK(params_text(out.effects[0].params) == params_text({{"run", "r1"}, {"reason", "face_signs"}, {"detail", ""}}));
    urgent_reply(out);
    c.at(out, "ask_cough");
}

TEST_CASE("health report: SpO2 at or below the threshold raises low_spo2", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    quiet_answers(c);
    c.at(c.tap("いいえ"), "ask_spo2");
    SECTION("92") {
        auto out = c.text("92");
        REQUIRE(out.effects.size() == 2);
        CHECK(out.effects[0].name == "alert.raise");
        CHECK(params_text(out.effects[0].params) ==
              params_text({{"run", "r1"}, {"reason", "low_spo2"}, {"detail", "SpO2 92%"}}));
        CHECK(out.effects[1].name == "health.save");
        // the guidance for the red flag, then the closing text for a warned report and the guidance again
        REQUIRE(out.messages.size() == 4);
        CHECK(out.messages[0].text == kWarn);
        CHECK(out.messages[1].json == kEmergencyJson);
        CHECK(out.messages[2].text == kDoneWarned);
        CHECK(out.messages[3].json == kEmergencyJson);
        CHECK_FALSE(out.session);
        CHECK(params_text(the_save(c).params) == params_text(quiet_report("36.5", "92")));
    }
    SECTION("93, the threshold, with a unit") {
        auto out = c.text("93パーセント");
        REQUIRE(out.effects.size() == 2);
        CHECK(out.effects[0].params.at("detail") == "SpO2 93%");
    }
    SECTION("94: no alert") {
        auto out = c.text("94");
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].name == "health.save");
        CHECK(texts(out.messages) == std::vector<std::string>{kDone});
        CHECK(c.applied_named("alert.raise").empty());
    }
    SECTION("skipped: saved without SpO2, no alert") {
        auto out = c.tap("スキップ");
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].name == "health.save");
        CHECK(out.effects[0].params.at("spo2") == "");
        CHECK(texts(out.messages) == std::vector<std::string>{kDone});
    }
    SECTION("out of range: asked again with the flow's reask") {
        auto out = c.text("49");
        CHECK(out.effects.empty());
        REQUIRE(out.messages.size() == 1);
        CHECK(out.messages[0].text == "SpO2は50〜100の数字で送ってください（例: 97）。\n\n" + c.question("ask_spo2"));
        REQUIRE(out.session);
        CHECK(out.session->node == "ask_spo2");
        CHECK(out.session->invalid_count == 1);
    }
}

// The units "%" and "％" must survive the loader's normalisation (it once dropped punctuation).
TEST_CASE("health report: SpO2 typed with a percent sign is accepted", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    quiet_answers(c);
    c.at(c.tap("いいえ"), "ask_spo2");
    auto out = c.text(GENERATE("96%", "96％"));
    CHECK_FALSE(out.session);
    REQUIRE(out.effects.size() == 1);
    CHECK(out.effects[0].name == "health.save");
    CHECK(out.effects[0].params.at("spo2") == "96");
}

TEST_CASE("health report: without a pulse oximeter SpO2 is never asked", "[flows][health]") {
    Chat c;
    c.begin_result["oximeter"] = Value("no");
    c.start();
    c.at(c.text("36.5"), "ask_face");
    quiet_answers(c);
    auto done = c.tap("いいえ");
    CHECK_FALSE(done.session);
    CHECK(texts(done.messages) == std::vector<std::string>{kDone});
    CHECK(params_text(the_save(c).params) == params_text(quiet_report("36.5", "")));
    for (const auto& e : c.applied) CHECK(e.name != "alert.raise");
}

TEST_CASE("health report: two red flags, two alerts, the guidance each time, and the report is saved", "[flows][health]") {
    Chat c;
    c.begin_result["oximeter"] = Value("no");
    c.start();
    auto fever = c.text("39.5");
    urgent_reply(fever);
    c.at(fever, "ask_face");
    c.at(c.tap("いつもと違う"), "ask_face_signs");
    auto face = c.tap("はい");
    REQUIRE(face.effects.size() == 1);
    CHECK(face.effects[0].params.at("reason") == "face_signs");
    urgent_reply(face);  // the second red flag is warned about too
    c.at(face, "ask_cough");
    c.at(c.tap("いいえ"), "ask_breathing");
    c.at(c.tap("いいえ"), "ask_fatigue");
    c.at(c.tap("いいえ"), "ask_nausea");
    c.at(c.tap("いいえ"), "ask_diarrhea");
    c.at(c.tap("いいえ"), "ask_consciousness");
    c.at(c.tap("いいえ"), "ask_eating");
    c.at(c.tap("はい"), "ask_urination");
    done_warned(c.tap("いいえ"));

    auto alerts = c.applied_named("alert.raise");
    REQUIRE(alerts.size() == 2);
    CHECK(alerts[0].params.at("reason") == "high_fever");
    CHECK(alerts[0].params.at("detail") == "39.5℃");
    CHECK(alerts[1].params.at("reason") == "face_signs");
    Params expected = quiet_report("39.5", "");
    expected["face"] = "not_usual";
    expected["face_signs"] = "yes";
    CHECK(params_text(the_save(c).params) == params_text(expected));
    std::vector<std::string> order;
    for (const auto& e : c.applied) order.push_back(e.name);
    CHECK(order == std::vector<std::string>{"health.begin", "alert.raise", "alert.raise", "health.save"});
}

TEST_CASE("health report: a skipped temperature is saved empty and raises nothing", "[flows][health]") {
    Chat c;
    c.begin_result["oximeter"] = Value("no");
    c.start();
    auto face = c.tap("スキップ");
    CHECK(face.effects.empty());
    REQUIRE(face.messages.size() == 1);
    c.at(face, "ask_face");
    quiet_answers(c);
    auto done = c.tap("いいえ");
    CHECK(texts(done.messages) == std::vector<std::string>{kDone});
    CHECK(params_text(the_save(c).params) == params_text(quiet_report("", "")));
    CHECK(c.applied_named("alert.raise").empty());
}

TEST_CASE("health report: every yes/no question asks again with the emergency number", "[flows][health]") {
    Chat c;
    auto flow = c.source.published("health_report");
    REQUIRE(flow);
    std::vector<std::string> yes_no_nodes;
    for (const auto& n : flow->nodes) {
        if (n.type != NodeType::ask || n.input != InputType::yes_no) continue;
        yes_no_nodes.push_back(n.id);
        INFO(n.id);
        CHECK(n.reask.get("ja") ==
              "「はい」「いいえ」「わからない」のいずれかでお答えください（下のボタンも使えます）。胸の痛みや強い息苦しさなど、"
              "急に具合が悪いときは、報告を待たずにすぐ {{emergency_phone}} へお電話ください。");
    }
    CHECK(yes_no_nodes.size() == 11);

    // and each of them, met in a report, says it with the number filled in
    c.begin_result["oximeter"] = Value("no");
    c.start();
    c.at(c.text("36.5"), "ask_face");
    c.at(c.tap("いつもと違う"), "ask_face_signs");
    const std::vector<std::pair<std::string, std::string>> path{
        {"ask_face_signs", "いいえ"}, {"ask_cough", "いいえ"},        {"ask_breathing", "はい"},    {"ask_breath_signs", "いいえ"},
        {"ask_fatigue", "いいえ"},    {"ask_nausea", "いいえ"},       {"ask_diarrhea", "いいえ"},   {"ask_consciousness", "はい"},
        {"ask_mind_signs", "いいえ"}, {"ask_eating", "はい"},         {"ask_urination", "いいえ"}};
    std::vector<std::string> visited;
    for (const auto& [node, answer] : path) {
        INFO(node);
        visited.push_back(node);
        auto again = c.text("そうかも");
        CHECK(again.effects.empty());
        REQUIRE(again.messages.size() == 1);
        CHECK(again.messages[0].text == std::string(kReaskYesNo) + "\n\n" + c.question(node));
        CHECK(labels(again.messages[0]) == kYesNo);
        REQUIRE(again.session);
        CHECK(again.session->node == node);
        CHECK(again.session->invalid_count == 1);
        c.tap(answer);
    }
    std::sort(visited.begin(), visited.end());
    std::sort(yes_no_nodes.begin(), yes_no_nodes.end());
    CHECK(visited == yes_no_nodes);  // every yes/no question of the flow was met
    done_warned(c.last);  // consciousness "yes" was a red flag
}

TEST_CASE("health report: three unreadable answers in a row raise unclear_answers and end the report", "[flows][health]") {
    Chat c;
    c.start();
    Outcome third;
    SECTION("at the temperature") {
        for (int i = 1; i <= 2; ++i) {
            auto again = c.text("ねつ");
            CHECK(again.effects.empty());
            REQUIRE(again.session);
            CHECK(again.session->node == "ask_temperature");
            CHECK(again.session->invalid_count == i);
        }
        third = c.text("ねつ");
    }
    SECTION("at the face question") {
        c.at(c.text("36.5"), "ask_face");
        c.text("たぶん");
        c.text("たぶん");
        third = c.text("たぶん");
    }
    SECTION("at a yes/no question") {
        c.at(c.text("36.5"), "ask_face");
        c.at(c.tap("いつも通り"), "ask_cough");
        for (int i = 1; i <= 2; ++i) {
            auto again = c.text("そうかも");
            CHECK(again.effects.empty());
            REQUIRE(again.messages.size() == 1);
            CHECK(again.messages[0].text == std::string(kReaskYesNo) + "\n\n" + c.question("ask_cough"));
            REQUIRE(again.session);
            CHECK(again.session->invalid_count == i);
        }
        third = c.text("そうかも");
    }
    SECTION("at the 40 degree confirmation") {
        c.text("40.5");
        for (int i = 1; i <= 2; ++i) {
            auto again = c.text("えーと");
            CHECK(again.effects.empty());
            REQUIRE(again.messages.size() == 1);
            CHECK(again.messages[0].text == "体温は40.5℃でよろしいですか？");
            REQUIRE(again.session);
            CHECK(again.session->waiting == Session::Waiting::confirm);
            CHECK(again.session->invalid_count == i);
        }
        third = c.text("えーと");
    }
    INFO(serialize(third.messages));
    CHECK(third.error.empty());
    REQUIRE(third.effects.size() == 1);
    CHECK(third.effects[0].name == "alert.raise");
    CHECK(params_text(third.effects[0].params) ==
          params_text({{"run", "r1"}, {"reason", "unclear_answers"}, {"detail", ""}}));
    CHECK(texts(third.messages) == std::vector<std::string>{kUnclear, ""});
    REQUIRE(third.messages.size() == 2);
    CHECK(third.messages[1].json == kEmergencyJson);
    CHECK_FALSE(third.session);  // the conversation ends
    CHECK_FALSE(c.session);
    CHECK(c.applied_named("alert.raise").size() == 1);
    CHECK(c.applied_named("health.save").empty());  // nothing half-answered is saved
}

TEST_CASE("health report: unreadable answers that are not in a row raise nothing", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    c.at(c.tap("いつも通り"), "ask_cough");
    c.text("そうかも");
    c.text("そうかも");
    auto answered = c.tap("いいえ");  // a readable answer starts the count again
    c.at(answered, "ask_breathing");
    CHECK(answered.session->invalid_count == 0);
    c.text("そうかも");
    auto second = c.text("そうかも");
    REQUIRE(second.session);
    CHECK(second.session->node == "ask_breathing");
    CHECK(second.session->invalid_count == 2);
    c.at(c.tap("いいえ"), "ask_fatigue");
    CHECK(c.applied_named("alert.raise").empty());
}

TEST_CASE("health report: who may not report is told why, and nothing is asked", "[flows][health]") {
    Chat c;
    SECTION("not enrolled") {
        c.begin_result = {{"status", Value("not_enrolled")}};
        auto out = c.text("健康観察");
        REQUIRE(out.messages.size() == 1);
        CHECK(contains(out.messages[0].text, "7桁の登録コード（スマホ入力ID）を登録した方が使えます"));
    }
    SECTION("not started") {
        c.begin_result = {{"status", Value("not_started")}, {"from", Value("11月22日")}, {"to", Value("12月1日")}};
        auto out = c.text("体調報告");
        REQUIRE(out.messages.size() == 1);
        CHECK(out.messages[0].text == "健康観察の期間は11月22日からです。その日の朝9:00ごろに、報告のお願いをお送りします。");
    }
    SECTION("ended") {
        c.begin_result = {{"status", Value("ended")}, {"from", Value("11月1日")}, {"to", Value("11月15日")}};
        auto out = c.text("health report");
        REQUIRE(out.messages.size() == 1);
        CHECK(contains(out.messages[0].text, "健康観察の期間（11月15日まで）は終了しています。"));
    }
    CHECK_FALSE(c.session);
    REQUIRE(c.applied.size() == 1);
    CHECK(c.applied[0].name == "health.begin");
}

TEST_CASE("health report: the reminder's button resumes a half-answered report", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    c.at(c.tap("いつも通り"), "ask_cough");
    const auto before = c.session;
    const auto effects_before = c.applied.size();

    auto out = c.postback("m=health_report");
    CHECK(out.route == "resume");
    CHECK(out.effects.empty());
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[0].text == kResume);
    CHECK(out.messages[1].text == c.question("ask_cough"));
    CHECK(labels(out.messages[1]) == kYesNo);
    CHECK(serialize(out.session) == serialize(before));
    CHECK(c.applied.size() == effects_before);  // no health.begin again

    // and the buttons of the repeated question answer it
    c.at(c.tap("いいえ"), "ask_breathing");
}

TEST_CASE("health report: typing the report's keyword half way resumes it, not a wrong answer", "[flows][health]") {
    Chat c;
    c.start();
    c.at(c.text("36.5"), "ask_face");
    const auto before = c.session;
    for (int i = 0; i < 4; ++i) {  // more often than the wrong answers a question allows
        auto out = c.text(i % 2 ? "健康観察" : "　健康観察。");
        CHECK(out.route == "resume");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kResume);
        CHECK(out.messages[1].text == c.question("ask_face"));
        CHECK(serialize(out.session) == serialize(before));
    }
    c.at(c.tap("いつも通り"), "ask_cough");
}

TEST_CASE("health report: resuming while a high reading waits for confirmation asks for it again", "[flows][health]") {
    Chat c;
    c.start();
    c.text("40.5");
    const auto before = c.session;
    auto out = c.postback("m=health_report");
    CHECK(out.route == "resume");
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[0].text == kResume);
    CHECK(out.messages[1].text == "体温は40.5℃でよろしいですか？");
    CHECK(serialize(out.session) == serialize(before));
    auto yes = c.tap("はい");
    REQUIRE(yes.effects.size() == 1);
    CHECK(yes.effects[0].params.at("detail") == "40.5℃");
}

TEST_CASE("health report: the button opens a new report when none is under way", "[flows][health]") {
    Chat c;
    auto out = c.postback("m=health_report");
    CHECK(out.route == "open");
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[0].text == kIntro);
    c.at(out, "ask_temperature");
    REQUIRE(c.applied.size() == 1);
    CHECK(c.applied[0].name == "health.begin");
}

TEST_CASE("health enrol: a bare 7-digit code enrols", "[flows][health]") {
    Chat c;
    auto out = c.text("1234567");
    CHECK(out.route == "keyword");
    CHECK(out.error.empty());
    REQUIRE(out.effects.size() == 1);
    CHECK(out.effects[0].name == "health.enrol");
    CHECK(out.effects[0].result_var == "enrol");
    CHECK(params_text(out.effects[0].params) == params_text({{"code", "1234567"}}));
    CHECK(texts(out.messages) ==
          std::vector<std::string>{"健康観察に登録しました。\n観察期間: 11月20日〜11月30日\n"
                                   "毎朝9:00ごろに体調の報告をお願いするメッセージをお送りします。\n"
                                   "息苦しさが急に強くなったなど、具合が急に悪くなったときは、報告を待たずに緊急連絡先（24時間）"
                                   "119 へお電話ください。",
                                   ""});
    CHECK(out.messages[1].json == kEmergencyJson);
    CHECK_FALSE(out.session);
}

TEST_CASE("health enrol: a full-width code with spaces, and other lengths", "[flows][health]") {
    Chat c;
    SECTION("full-width digits") {
        auto out = c.text("１２３４５６７");
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].params.at("code") == "1234567");
    }
    SECTION("6 or 8 digits are not taken for a code") {
        for (const char* other : {"123456", "12345678"}) {
            INFO(other);
            auto out = c.text(other);
            CHECK(out.route == "menu");
            for (const auto& e : out.effects) CHECK(e.name != "health.enrol");
        }
    }
}

TEST_CASE("health enrol: after the keyword, the code in the same message", "[flows][health]") {
    Chat c;
    const char* typed = GENERATE("健康観察登録 １２３４５６７", "健康観察登録１２３-４５６７", "登録コード 1234567",
                                 "enrollment code 1234567");
    INFO(typed);
    auto out = c.text(typed);
    CHECK(out.route == "keyword");
    REQUIRE(out.effects.size() == 1);
    CHECK(out.effects[0].name == "health.enrol");
    CHECK(out.effects[0].params.at("code") == "1234567");
    CHECK(contains(out.messages.at(0).text, "健康観察に登録しました。"));
}

// "enrol" and "enroll" are both prefixes: the longest match wins, so the code is not "l1234567"
// (a wrong code that would count towards the lockout).
TEST_CASE("health enrol: enroll followed by the code enrols", "[flows][health]") {
    Chat c;
    auto out = c.text("enroll 1234567");
    CHECK(out.route == "keyword");
    REQUIRE(out.effects.size() == 1);
    CHECK(out.effects[0].name == "health.enrol");
    CHECK(out.effects[0].params.at("code") == "1234567");
}

TEST_CASE("health enrol: the keyword alone asks for the code", "[flows][health]") {
    Chat c;
    auto ask = c.text("健康観察登録");
    CHECK(ask.route == "keyword");
    CHECK(ask.effects.empty());
    REQUIRE(ask.messages.size() == 1);
    CHECK(ask.messages[0].text == "保健所から受け取った用紙にある7桁の登録コード（スマホ入力ID）を送ってください。");
    REQUIRE(ask.session);
    CHECK(ask.session->flow_id == "health_enrol");
    CHECK(ask.session->node == "ask_code");

    auto out = c.text(" １２３４５６７ ");
    CHECK(out.route == "answer");
    REQUIRE(out.effects.size() == 1);
    CHECK(out.effects[0].name == "health.enrol");
    CHECK(out.effects[0].params.at("code") == "１２３４５６７");  // as typed; health.enrol reads it
    CHECK(contains(out.messages.at(0).text, "健康観察に登録しました。"));
    CHECK_FALSE(out.session);
}

TEST_CASE("health enrol: each answer of health.enrol has its text", "[flows][health]") {
    Chat c;
    SECTION("bad code") {
        c.enrol_result = {{"status", Value("bad_code")}, {"attempts_left", Value(4)}};
        auto out = c.text("7654321");
        CHECK(texts(out.messages) ==
              std::vector<std::string>{"登録コードが見つかりません。用紙の7桁の数字をもう一度確かめて送ってください（あと4回まで）。"});
    }
    SECTION("locked") {
        c.enrol_result = {{"status", Value("locked")}, {"locked_minutes", Value(30)}};
        auto out = c.text("7654321");
        REQUIRE(out.messages.size() == 1);
        CHECK(contains(out.messages[0].text, "登録コードの誤りが続いたため、しばらく登録できません。30分ほどたってから"));
    }
    SECTION("expired") {
        c.enrol_result = {{"status", Value("expired")}, {"attempts_left", Value(4)}};
        auto out = c.text("7654321");
        CHECK(texts(out.messages) == std::vector<std::string>{"この登録コードは有効期限が切れています。保健所にお問い合わせください。"});
    }
    SECTION("already") {
        c.enrol_result = {{"status", Value("already")}, {"from", Value("11月18日")}, {"to", Value("11月28日")}};
        auto out = c.text("7654321");
        REQUIRE(out.messages.size() == 1);
        CHECK(contains(out.messages[0].text, "このLINEはすでに健康観察に登録されています（観察期間: 11月18日〜11月28日）。"));
    }
    SECTION("ok, in English") {
        auto out = c.conversation.handle(text_event("7654321"), std::nullopt, context("en"));
        StepContext en = context("en");
        out = c.conversation.complete(
            std::move(out), [](const Effect&) -> Variables {
                return {{"status", Value("ok")}, {"from", Value("Nov 20")}, {"to", Value("Nov 30")}};
            },
            en
        );
        REQUIRE(out.messages.size() == 2);
        CHECK(contains(out.messages[0].text, "You are registered for health monitoring.\nPeriod: Nov 20 to Nov 30\n"));
        CHECK(out.messages[1].json == R"({"type":"text","text":"Emergency: 119"})");
    }
    CHECK_FALSE(c.session);
}
