// The shipped personal_support flow (体調チェック) driven through the pure engine: the triage table
// of its classify node (outcome and the reasons shown), typed answers, the postal code, the
// consultation centre being open or closed, the follow-up, and the same run in English.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flow_test_support.hpp"

using namespace flowtest;

namespace {

using Params = std::map<std::string, std::string, std::less<>>;

std::string params_text(const Params& p) {
    std::string out;
    for (const auto& [k, v] : p) out += k + "=" + v + "\n";
    return out;
}

const char* kIntroStart = "体調チェックをはじめます。";
const char* kAOpening = "【結果A】すぐに相談センターに電話で相談してください。\n理由: ";
const char* kAClosing = "\n受診するときは、先に必ず電話してください。マスクをつけ、公共交通機関はできるだけ使わないでください。";
const char* kBOpening = "【結果B】かかりつけ医や近くの診療所に、電話で相談してください。\n理由: ";
const char* kBClosing =
    "\n受診する前に必ず電話し、マスクをつけて行ってください。かかりつけ医がいない、どこに相談すればよいかわからないときは、"
    "下の相談先へ。";
const char* kOutcomeC =
    "【結果C】いまは自宅で安静にして、体調の変化に気をつけてください。\n次のときは相談先に電話してください:\n"
    "・息苦しさや強いだるさが出た\n・37.5℃以上の熱が4日以上続く（65歳以上の方、持病のある方、妊娠中の方は2日程度）\n"
    "・味やにおいがわからなくなった\n急に悪くなったら、ためらわずに119番へ。";
const char* kPrevention =
    "【感染を広げないために】こまめな手洗い・手指消毒、人と会うときのマスク、部屋の換気をお願いします。体調がすぐれないとき"
    "は、外出や人との接触を控えてください。";
const char* kDone = "お大事にしてください。もう一度チェックするときは「体調チェック」と送ってください。";
const char* kFollowup2 =
    "2日後に、その後の体調を伺うメッセージをお送りします（不要なときは「配信停止」と送ってください）。お大事にしてください。";
const char* kCentreJson =
    R"({"type":"text","text":"support_centre: 横浜市 中福祉保健センター 045-224-8332 045-285-0536"})";
const char* kLine24Json =
    R"({"type":"text","text":"support_line24: 横浜市 中福祉保健センター 045-224-8332 045-285-0536"})";
const char* kClosedA =
    "横浜市 中福祉保健センターは、ただいま受付時間外です（受付: 8:45〜17:00（平日））。夜間・休日は24時間の窓口へ。救急車を呼ぶか"
    "迷ったら #7119（救急安心センター）へ。";
const char* kClosedB =
    "横浜市 中福祉保健センターは、ただいま受付時間外です（受付: 8:45〜17:00（平日））。急に具合が悪くなったら24時間の窓口へ。"
    "救急車を呼ぶか迷ったら #7119、命に関わるときは119番へ。";
const char* kPostalReask = "郵便番号は7桁の数字で送ってください（例: 231-0023）。わからなければ「スキップ」を。";

const std::vector<std::string> kYesNo{"はい", "いいえ", "わからない"};
const std::vector<std::string> kYesNoSkip{"はい", "いいえ", "わからない", "スキップ"};
const std::vector<std::string> kAges{"〜19歳", "20〜39歳", "40〜59歳", "60〜64歳", "65〜74歳", "75歳以上", "スキップ"};

std::string outcome_a(const std::string& reasons) { return kAOpening + reasons + kAClosing; }
std::string outcome_b(const std::string& reasons) { return kBOpening + reasons + kBClosing; }

/// A conversation with the shipped flows where support.centre and support.save answer with the
/// scripted outputs below.
struct Chat : ShippedChat {
    Variables centre_result{{"status", Value("found")},
                            {"centre", Value("231")},
                            {"name", Value("横浜市 中福祉保健センター")},
                            {"phone", Value("045-224-8332")},
                            {"hours", Value("8:45〜17:00（平日）")},
                            {"url", Value("https://example.jp/naka")},
                            {"open_now", Value("yes")},
                            {"area", Value("231")},
                            {"line24_name", Value("神奈川県 専用ダイヤル")},
                            {"line24_phone", Value("045-285-0536")}};
    Variables save_result{{"followup", Value("no")}, {"followup_days", Value(3)}};

    explicit Chat(std::string lang = "ja") { language = std::move(lang); }

    Variables scripted_outputs(const Effect& effect) override {
        if (effect.name == "support.centre") return centre_result;
        if (effect.name == "support.save") return save_result;
        return {};
    }

    /// Taps the quick reply with this label when there is one, else types it.
    Outcome give(const std::string& answer) { return has_button(answer) ? tap(answer) : text(answer); }

    std::string question(const std::string& node) const { return question_of("personal_support", node); }

    /// The conversation waits at `node` and its question is the last message.
    void at(const Outcome& out, const std::string& node) const {
        INFO(serialize(out.messages));
        CHECK(out.error.empty());
        REQUIRE(out.session);
        CHECK(out.session->flow_id == "personal_support");
        CHECK(out.session->node == node);
        CHECK(out.session->waiting == Session::Waiting::input);
        REQUIRE_FALSE(out.messages.empty());
        CHECK(out.messages.back().text == question(node));
    }

    /// Starts with the keyword: the introduction and the age question.
    void start(const std::string& keyword = "体調チェック") {
        auto out = text(keyword);
        CHECK(out.route == "keyword");
        REQUIRE(out.messages.size() == 2);
        if (language == "ja") CHECK(out.messages[0].text.rfind(kIntroStart, 0) == 0);
        at(out, "ask_age");
    }

    Effect the_one(const std::string& name) const {
        auto all = applied_named(name);
        INFO(name);
        REQUIRE(all.size() == 1);
        return all[0];
    }
};

/// One row of the triage table: the answers (a quick reply label, or a text to type) and what
/// must come out. Temperature and fever days are only asked after a fever "はい".
struct Row {
    const char* name = "";
    const char* age = "40〜59歳";
    const char* fever = "いいえ";
    const char* temperature = "37.8";
    const char* days = "1";
    const char* breathing = "いいえ";
    const char* fatigue = "いいえ";
    const char* taste_smell = "いいえ";
    const char* cough = "いいえ";
    const char* throat = "いいえ";
    const char* conditions = "いいえ";
    const char* pregnant = "いいえ";
    const char* contact = "いいえ";
    const char* outcome = "C";
    const char* reasons = "";
};

/// What support.save gets for an answer label (typed numbers are passed as they were typed).
std::string stored(const std::string& answer) {
    static const std::map<std::string, std::string> values{
        {"はい", "yes"},          {"いいえ", "no"},          {"わからない", "unknown"}, {"スキップ", ""},
        {"〜19歳", "0_19"},       {"20〜39歳", "20_39"},     {"40〜59歳", "40_59"},     {"60〜64歳", "60_64"},
        {"65〜74歳", "65_74"},    {"75歳以上", "75_plus"}};
    auto it = values.find(answer);
    return it != values.end() ? it->second : answer;
}

/// Answers every question of `row` up to the postal code question.
void answer_up_to_postal(Chat& c, const Row& row) {
    c.start();
    CHECK(c.buttons() == kAges);
    c.at(c.give(row.age), "ask_fever");
    CHECK(c.buttons() == kYesNo);
    if (std::string(row.fever) == "はい") {
        c.at(c.give(row.fever), "ask_temperature");
        CHECK(c.buttons() == std::vector<std::string>{"スキップ"});
        c.at(c.give(row.temperature), "ask_fever_days");
        CHECK(c.buttons() == std::vector<std::string>{"スキップ"});
        c.at(c.give(row.days), "ask_breathing");
    } else {
        c.at(c.give(row.fever), "ask_breathing");
    }
    c.at(c.give(row.breathing), "ask_fatigue");
    c.at(c.give(row.fatigue), "ask_taste_smell");
    c.at(c.give(row.taste_smell), "ask_cough");
    c.at(c.give(row.cough), "ask_throat");
    c.at(c.give(row.throat), "ask_conditions");
    CHECK(c.buttons() == kYesNoSkip);
    c.at(c.give(row.conditions), "ask_pregnant");
    CHECK(c.buttons() == kYesNoSkip);
    c.at(c.give(row.pregnant), "ask_contact");
    CHECK(c.buttons() == kYesNo);
    c.at(c.give(row.contact), "ask_postal");
    CHECK(c.buttons() == std::vector<std::string>{"スキップ"});
}

/// Answers every question of `row` up to the consent question (the postal code as given).
void answer_up_to_consent(Chat& c, const Row& row, const std::string& postal = "231-0023") {
    answer_up_to_postal(c, row);
    c.at(c.give(postal), "ask_consent");
    CHECK(c.buttons() == kYesNo);
    CHECK(c.applied.empty());
}

/// The whole run of `row`: answers, consent はい, the two effects; returns the last outcome.
Outcome run(Chat& c, const Row& row, const std::string& postal = "231-0023") {
    answer_up_to_consent(c, row, postal);
    return c.tap("はい");
}

Params expected_save(const Row& row) {
    const bool fever = std::string(row.fever) == "はい";
    return {{"outcome", row.outcome},
            {"consent", "yes"},
            {"age", stored(row.age)},
            {"postal_code", "2310023"},
            {"centre", "231"},
            {"fever", stored(row.fever)},
            {"temperature", fever ? stored(row.temperature) : ""},
            {"fever_days", fever ? stored(row.days) : ""},
            {"breathing", stored(row.breathing)},
            {"fatigue", stored(row.fatigue)},
            {"taste_smell", stored(row.taste_smell)},
            {"cough", stored(row.cough)},
            {"throat", stored(row.throat)},
            {"conditions", stored(row.conditions)},
            {"pregnant", stored(row.pregnant)},
            {"contact", stored(row.contact)}};
}

const std::vector<Row> kTriage{
    // A, one rule at a time
    {.name = "short of breath", .breathing = "はい", .outcome = "A", .reasons = "息苦しさがある"},
    {.name = "strong fatigue", .fatigue = "はい", .outcome = "A", .reasons = "強いだるさがある"},
    {.name = "38.5 is a high fever", .fever = "はい", .temperature = "38.5", .days = "1", .outcome = "A",
     .reasons = "高い熱（38.5℃以上）がある"},
    {.name = "38.4 is not", .fever = "はい", .temperature = "38.4", .days = "1", .outcome = "B", .reasons = "熱がある"},
    {.name = "fever for 4 days", .fever = "はい", .temperature = "37.8", .days = "4", .outcome = "A",
     .reasons = "37.5℃以上の熱が4日以上続いている"},
    {.name = "fever for 3 days at 40-59", .fever = "はい", .temperature = "37.8", .days = "3", .outcome = "B",
     .reasons = "熱がある"},
    {.name = "2 days at 65-74", .age = "65〜74歳", .fever = "はい", .days = "2", .outcome = "A",
     .reasons = "65歳以上で、熱が2日以上続いている"},
    {.name = "2 days at 75 and over", .age = "75歳以上", .fever = "はい", .days = "2", .outcome = "A",
     .reasons = "65歳以上で、熱が2日以上続いている"},
    {.name = "1 day at 75 and over", .age = "75歳以上", .fever = "はい", .days = "1", .outcome = "B", .reasons = "熱がある"},
    {.name = "2 days at 60-64", .age = "60〜64歳", .fever = "はい", .days = "2", .outcome = "B", .reasons = "熱がある"},
    {.name = "2 days at 40-59", .fever = "はい", .days = "2", .outcome = "B", .reasons = "熱がある"},
    {.name = "2 days with a condition", .fever = "はい", .days = "2", .conditions = "はい", .outcome = "A",
     .reasons = "持病があり、熱が2日以上続いている"},
    {.name = "1 day with a condition", .fever = "はい", .days = "1", .conditions = "はい", .outcome = "B",
     .reasons = "熱がある"},
    {.name = "2 days pregnant", .age = "20〜39歳", .fever = "はい", .days = "2", .pregnant = "はい", .outcome = "A",
     .reasons = "妊娠中で、熱が2日以上続いている"},
    {.name = "contact and a cough", .cough = "はい", .contact = "はい", .outcome = "A",
     .reasons = "感染した人と接していて、症状がある"},
    {.name = "contact and a sore throat", .throat = "はい", .contact = "はい", .outcome = "A",
     .reasons = "感染した人と接していて、症状がある"},
    {.name = "contact and taste or smell", .taste_smell = "はい", .contact = "はい", .outcome = "A",
     .reasons = "感染した人と接していて、症状がある"},
    {.name = "contact and a mild fever", .fever = "はい", .temperature = "37.6", .days = "0", .contact = "はい",
     .outcome = "A", .reasons = "感染した人と接していて、症状がある"},
    // B
    {.name = "a fever, skipped temperature and days", .age = "スキップ", .fever = "はい", .temperature = "スキップ",
     .days = "スキップ", .outcome = "B", .reasons = "熱がある"},
    {.name = "a cough", .cough = "はい", .outcome = "B", .reasons = "せきがある"},
    {.name = "a sore throat", .throat = "はい", .outcome = "B", .reasons = "のどの痛みがある"},
    {.name = "taste or smell", .taste_smell = "はい", .outcome = "B", .reasons = "味やにおいがわかりにくい"},
    {.name = "contact without symptoms", .contact = "はい", .outcome = "B", .reasons = "感染した人と接した"},
    {.name = "breathing unknown", .breathing = "わからない", .outcome = "B", .reasons = "息苦しさがあるかわからない"},
    {.name = "fatigue unknown", .fatigue = "わからない", .outcome = "B", .reasons = "だるさがあるかわからない"},
    {.name = "contact and breathing unknown: not A", .breathing = "わからない", .contact = "はい", .outcome = "B",
     .reasons = "感染した人と接した、息苦しさがあるかわからない"},
    {.name = "contact with every other symptom: A hides the B reasons", .fever = "はい", .temperature = "37.8", .days = "1", .breathing = "わからない",
     .fatigue = "わからない", .taste_smell = "はい", .cough = "はい", .throat = "はい", .contact = "はい", .outcome = "A",
     .reasons = "感染した人と接していて、症状がある"},
    {.name = "several B reasons", .fever = "はい", .temperature = "37.8", .days = "1", .breathing = "わからない",
     .fatigue = "わからない", .taste_smell = "はい", .cough = "はい", .throat = "はい", .outcome = "B",
     .reasons = "熱がある、せきがある、のどの痛みがある、味やにおいがわかりにくい、息苦しさがあるかわからない、"
                "だるさがあるかわからない"},
    // several A reasons, and A hiding the B reasons
    {.name = "breath and fatigue", .breathing = "はい", .fatigue = "はい", .outcome = "A",
     .reasons = "息苦しさがある、強いだるさがある"},
    {.name = "A with a cough: only the A reason", .breathing = "はい", .cough = "はい", .outcome = "A",
     .reasons = "息苦しさがある"},
    {.name = "every A rule", .age = "75歳以上", .fever = "はい", .temperature = "39.2", .days = "5", .breathing = "はい",
     .fatigue = "はい", .conditions = "はい", .pregnant = "はい", .contact = "はい", .outcome = "A",
     .reasons = "息苦しさがある、強いだるさがある、高い熱（38.5℃以上）がある、37.5℃以上の熱が4日以上続いている、"
                "65歳以上で、熱が2日以上続いている、持病があり、熱が2日以上続いている、妊娠中で、熱が2日以上続いている、"
                "感染した人と接していて、症状がある"},
    {.name = "high fever for 2 days at 65-74", .age = "65〜74歳", .fever = "はい", .temperature = "38.5", .days = "2",
     .outcome = "A", .reasons = "高い熱（38.5℃以上）がある、65歳以上で、熱が2日以上続いている"},
    // C
    {.name = "all no", .outcome = "C"},
    {.name = "conditions and pregnant without a fever", .conditions = "はい", .pregnant = "はい", .outcome = "C"},
    {.name = "skipped conditions and pregnancy", .age = "スキップ", .conditions = "スキップ", .pregnant = "スキップ",
     .outcome = "C"},
    // a fever nobody measured is B: take the temperature, call the doctor
    {.name = "fever unknown", .fever = "わからない", .outcome = "B", .reasons = "熱があるかわからない（体温を測ってください）"},
    // unknown answers that no rule reads as a symptom
    {.name = "cough, throat, taste and contact unknown", .taste_smell = "わからない", .cough = "わからない",
     .throat = "わからない", .contact = "わからない", .outcome = "C"},
};

}  // namespace

TEST_CASE("personal support: the triage table, outcome and reasons", "[flows][support]") {
    REQUIRE(kTriage.size() >= 24);
    for (const auto& row : kTriage) {
        INFO("row: " << row.name);
        Chat c;
        auto out = run(c, row);
        INFO(serialize(out.messages));
        CHECK(out.route == "answer");
        CHECK(out.error.empty());
        CHECK_FALSE(out.session);
        CHECK_FALSE(out.awaiting_effect);
        REQUIRE(out.effects.size() == 2);
        CHECK(out.effects[0].name == "support.centre");
        CHECK(out.effects[0].result_var == "centre");
        CHECK(params_text(out.effects[0].params) == params_text({{"postal_code", "2310023"}}));
        CHECK(out.effects[1].name == "support.save");
        CHECK(out.effects[1].result_var == "saved");
        CHECK(params_text(c.the_one("support.save").params) == params_text(expected_save(row)));

        const std::string outcome = row.outcome;
        if (outcome == "C") {
            CHECK(texts(out.messages) == std::vector<std::string>{kOutcomeC, kPrevention, kDone});
        } else {
            const auto first = outcome == "A" ? outcome_a(row.reasons) : outcome_b(row.reasons);
            CHECK(texts(out.messages) == std::vector<std::string>{first, "", kPrevention, kDone});
            REQUIRE(out.messages.size() == 4);
            CHECK(out.messages[1].json == kCentreJson);
            CHECK(contains(out.messages[0].text, std::string("\n理由: ") + row.reasons + "\n"));
        }
    }
}

TEST_CASE("personal support: the postback that opens the flow starts it at the age question", "[flows][support]") {
    Chat c;
    auto out = c.postback("m=personal_support");
    CHECK(out.route == "open");
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[0].text.rfind(kIntroStart, 0) == 0);
    c.at(out, "ask_age");
    CHECK(c.buttons() == kAges);
    c.at(c.tap("20〜39歳"), "ask_fever");
}

TEST_CASE("personal support: typed ages by synonym", "[flows][support]") {
    struct Typed {
        const char* text;
        const char* value;
    };
    const Typed kTyped[] = {{"70代前半", "65_74"}, {"60代後半", "65_74"}, {"70代後半", "75_plus"}, {"80代", "75_plus"},
                            {"90代", "75_plus"},   {"10代", "0_19"},      {"30代", "20_39"},     {"50代", "40_59"},
                            {"60代前半", "60_64"}, {"75+", "75_plus"},    {"こども", "0_19"}};
    for (const auto& t : kTyped) {
        INFO(t.text);
        Chat c;
        Row row{.age = t.text, .outcome = "C"};
        auto out = run(c, row);
        CHECK_FALSE(out.session);
        CHECK(c.the_one("support.save").params.at("age") == t.value);
    }
}

TEST_CASE("personal support: a label typed instead of tapped is the same answer", "[flows][support]") {
    Chat c;
    c.start();
    c.at(c.text("65〜74歳"), "ask_fever");
    CHECK(c.session->vars.at("age") == Value("65_74"));
    c.at(c.text("はい"), "ask_temperature");
    CHECK(c.session->vars.at("fever") == Value("yes"));
}

TEST_CASE("personal support: 70代 and 60代 span two age bands and are asked again", "[flows][support]") {
    Chat c;
    c.start();
    for (const char* ambiguous : {"70代", "60代"}) {
        INFO(ambiguous);
        auto again = c.text(ambiguous);
        REQUIRE(again.messages.size() == 1);
        CHECK(again.messages[0].text == "下のボタンから選んでください。\n\n" + c.question("ask_age"));
        CHECK(labels(again.messages[0]) == kAges);
        REQUIRE(again.session);
        CHECK(again.session->node == "ask_age");
        CHECK(again.session->vars.count("age") == 0);
    }
    CHECK(c.session->invalid_count == 2);
    c.at(c.text("70代前半"), "ask_fever");
    CHECK(c.session->vars.at("age") == Value("65_74"));
}

TEST_CASE("personal support: a typed temperature and typed fever days", "[flows][support]") {
    SECTION("３８度５分 is 38.5: A") {
        Chat c;
        auto out = run(c, Row{.fever = "はい", .temperature = "３８度５分", .days = "1"});
        auto save = c.the_one("support.save").params;
        CHECK(save.at("temperature") == "38.5");
        CHECK(save.at("outcome") == "A");
        CHECK(out.messages.at(0).text == outcome_a("高い熱（38.5℃以上）がある"));
    }
    SECTION("38度4分 is 38.4: B") {
        Chat c;
        auto out = run(c, Row{.fever = "はい", .temperature = "38度4分", .days = "1"});
        CHECK(c.the_one("support.save").params.at("temperature") == "38.4");
        CHECK(out.messages.at(0).text == outcome_b("熱がある"));
    }
    SECTION("3日 is 3 days: B at 40-59") {
        Chat c;
        auto out = run(c, Row{.fever = "はい", .temperature = "37.8", .days = "3日"});
        CHECK(c.the_one("support.save").params.at("fever_days") == "3");
        CHECK(out.messages.at(0).text == outcome_b("熱がある"));
    }
    SECTION("４日間 is 4 days: A") {
        Chat c;
        auto out = run(c, Row{.fever = "はい", .temperature = "37.8", .days = "４日間"});
        CHECK(c.the_one("support.save").params.at("fever_days") == "4");
        CHECK(out.messages.at(0).text == outcome_a("37.5℃以上の熱が4日以上続いている"));
    }
    SECTION("2日目 at 80代: A") {
        Chat c;
        auto out = run(c, Row{.age = "80代", .fever = "はい", .temperature = "37.8", .days = "2日目"});
        CHECK(c.the_one("support.save").params.at("fever_days") == "2");
        CHECK(out.messages.at(0).text == outcome_a("65歳以上で、熱が2日以上続いている"));
    }
}

TEST_CASE("personal support: fever days outside 0 to 60 get the flow's own re-ask", "[flows][support]") {
    Chat c;
    c.start();
    c.at(c.tap("40〜59歳"), "ask_fever");
    c.at(c.tap("はい"), "ask_temperature");
    c.at(c.text("37.8"), "ask_fever_days");
    for (const char* wrong : {"61", "-1"}) {
        INFO(wrong);
        auto again = c.text(wrong);
        REQUIRE(again.messages.size() == 1);
        CHECK(again.messages[0].text == "0〜60の数字で送ってください（例: 2）。\n\n" + c.question("ask_fever_days"));
        REQUIRE(again.session);
        CHECK(again.session->node == "ask_fever_days");
    }
    c.at(c.text("60日"), "ask_breathing");
    CHECK(c.session->vars.at("fever_days") == Value(60));
}

TEST_CASE("personal support: 41 degrees and more are confirmed first", "[flows][support]") {
    Chat c;
    c.start();
    c.at(c.tap("40〜59歳"), "ask_fever");
    c.at(c.tap("はい"), "ask_temperature");
    auto confirm = c.text("41度");
    REQUIRE(confirm.messages.size() == 1);
    CHECK(confirm.messages[0].text == "41℃でよろしいですか？");
    CHECK(labels(confirm.messages[0]) == std::vector<std::string>{"はい", "いいえ"});
    REQUIRE(confirm.session);
    CHECK(confirm.session->waiting == Session::Waiting::confirm);
    c.at(c.tap("はい"), "ask_fever_days");
    CHECK(c.session->vars.at("temperature") == Value(41.0));

    Chat below;
    below.start();
    below.at(below.tap("40〜59歳"), "ask_fever");
    below.at(below.tap("はい"), "ask_temperature");
    below.at(below.text("40.9"), "ask_fever_days");
}

TEST_CASE("personal support: accepted postal codes reach support.centre as 7 digits", "[flows][support]") {
    for (const char* postal : {"231-0023", "２３１００２３", "〒231-0023", "2310023", "２３１－００２３", "〒 231 0023"}) {
        INFO(postal);
        Chat c;
        auto out = run(c, Row{.outcome = "C"}, postal);
        CHECK(out.error.empty());
        CHECK(params_text(c.the_one("support.centre").params) == params_text({{"postal_code", "2310023"}}));
        CHECK(c.the_one("support.save").params.at("postal_code") == "2310023");
    }
}

TEST_CASE("personal support: a postal code that is not 7 digits is asked again", "[flows][support]") {
    Chat d;
    answer_up_to_postal(d, Row{});
    int invalid = 0;
    for (const char* wrong : {"231-002", "abc"}) {
        INFO(wrong);
        auto again = d.text(wrong);
        REQUIRE(again.messages.size() == 1);
        CHECK(again.messages[0].text == std::string(kPostalReask) + "\n\n" + d.question("ask_postal"));
        CHECK(labels(again.messages[0]) == std::vector<std::string>{"スキップ"});
        REQUIRE(again.session);
        CHECK(again.session->node == "ask_postal");
        CHECK(again.session->invalid_count == ++invalid);
        CHECK(again.session->vars.count("postal_code") == 0);
        CHECK(again.effects.empty());
    }
    d.at(d.text("231-0023"), "ask_consent");
    CHECK(d.session->vars.at("postal_code") == Value("2310023"));
    CHECK(d.session->invalid_count == 0);
}

TEST_CASE("personal support: skipping the postal code passes an empty one", "[flows][support]") {
    Chat c;
    c.centre_result["status"] = Value("fallback");
    c.centre_result["centre"] = Value("*");
    auto out = run(c, Row{.cough = "はい", .outcome = "B"}, "スキップ");
    CHECK(out.error.empty());
    CHECK(params_text(c.the_one("support.centre").params) == params_text({{"postal_code", ""}}));
    auto save = c.the_one("support.save").params;
    CHECK(save.at("postal_code") == "");
    CHECK(save.at("centre") == "*");
    CHECK(out.messages.at(0).text == outcome_b("せきがある"));
}

TEST_CASE("personal support: the centre open now shows no after-hours text", "[flows][support]") {
    for (const char* outcome : {"A", "B"}) {
        INFO(outcome);
        Chat c;
        c.centre_result["open_now"] = Value("yes");
        const bool a = std::string(outcome) == "A";
        auto out = run(c, a ? Row{.breathing = "はい"} : Row{.cough = "はい"});
        CHECK(texts(out.messages) ==
              std::vector<std::string>{a ? outcome_a("息苦しさがある") : outcome_b("せきがある"), "", kPrevention, kDone});
        REQUIRE(out.messages.size() == 4);
        CHECK(out.messages[1].json == kCentreJson);
        for (const auto& m : out.messages) CHECK_FALSE(contains(m.text, "受付時間外"));
    }
}

TEST_CASE("personal support: the centre closed now gives its hours and the 24-hour line", "[flows][support]") {
    SECTION("A") {
        Chat c;
        c.centre_result["open_now"] = Value("no");
        auto out = run(c, Row{.breathing = "はい"});
        CHECK(texts(out.messages) ==
              std::vector<std::string>{outcome_a("息苦しさがある"), "", kClosedA, "", kPrevention, kDone});
        REQUIRE(out.messages.size() == 6);
        CHECK(out.messages[1].json == kCentreJson);
        CHECK(out.messages[3].json == kLine24Json);
        CHECK(contains(out.messages[2].text, "（受付: 8:45〜17:00（平日））"));
    }
    SECTION("B") {
        Chat c;
        c.centre_result["open_now"] = Value("no");
        auto out = run(c, Row{.throat = "はい"});
        CHECK(texts(out.messages) ==
              std::vector<std::string>{outcome_b("のどの痛みがある"), "", kClosedB, "", kPrevention, kDone});
        REQUIRE(out.messages.size() == 6);
        CHECK(out.messages[1].json == kCentreJson);
        CHECK(out.messages[3].json == kLine24Json);
    }
    SECTION("C shows no centre, open or not") {
        Chat c;
        c.centre_result["open_now"] = Value("no");
        auto out = run(c, Row{});
        CHECK(texts(out.messages) == std::vector<std::string>{kOutcomeC, kPrevention, kDone});
        for (const auto& m : out.messages) CHECK(m.json.empty());
    }
}

TEST_CASE("personal support: the follow-up promised by support.save", "[flows][support]") {
    SECTION("followup yes in 2 days") {
        Chat c;
        c.save_result = {{"followup", Value("yes")}, {"followup_days", Value(2)}};
        auto out = run(c, Row{.cough = "はい"});
        CHECK(texts(out.messages) == std::vector<std::string>{outcome_b("せきがある"), "", kPrevention, kFollowup2});
        CHECK(out.messages.back().text.rfind("2日後に", 0) == 0);
    }
    SECTION("followup no") {
        Chat c;
        c.save_result = {{"followup", Value("no")}, {"followup_days", Value(2)}};
        auto out = run(c, Row{.cough = "はい"});
        CHECK(texts(out.messages) == std::vector<std::string>{outcome_b("せきがある"), "", kPrevention, kDone});
        CHECK(out.messages.back().text.rfind("お大事にしてください。もう一度チェックするときは", 0) == 0);
    }
    SECTION("followup yes for C") {
        Chat c;
        c.save_result = {{"followup", Value("yes")}, {"followup_days", Value(2)}};
        auto out = run(c, Row{});
        CHECK(texts(out.messages) == std::vector<std::string>{kOutcomeC, kPrevention, kFollowup2});
    }
}

TEST_CASE("personal support: consent no is passed to support.save and the result is still shown", "[flows][support]") {
    Chat c;
    answer_up_to_consent(c, Row{.fatigue = "はい"});
    auto out = c.tap("いいえ");
    CHECK(out.error.empty());
    CHECK_FALSE(out.session);
    auto save = c.the_one("support.save").params;
    CHECK(save.at("consent") == "no");
    CHECK(save.at("outcome") == "A");
    CHECK(out.messages.at(0).text == outcome_a("強いだるさがある"));
}

TEST_CASE("personal support: in English the reasons are joined with a comma", "[flows][support]") {
    Chat c("en");
    c.centre_result["hours"] = Value("8:45\u201317:00 (weekdays)");
    auto out = c.text("health check");
    CHECK(out.route == "keyword");
    c.at(out, "ask_age");
    CHECK(c.buttons() ==
          std::vector<std::string>{"Under 20", "20-39", "40-59", "60-64", "65-74", "75 or over", "Skip"});
    c.at(c.tap("75 or over"), "ask_fever");
    CHECK(c.buttons() == std::vector<std::string>{"Yes", "No", "Not sure"});
    c.at(c.tap("Yes"), "ask_temperature");
    c.at(c.text("38.5"), "ask_fever_days");
    c.at(c.text("2 days"), "ask_breathing");
    c.at(c.tap("Yes"), "ask_fatigue");
    c.at(c.tap("Yes"), "ask_taste_smell");
    c.at(c.tap("No"), "ask_cough");
    c.at(c.tap("Yes"), "ask_throat");
    c.at(c.tap("No"), "ask_conditions");
    c.at(c.tap("No"), "ask_pregnant");
    c.at(c.tap("Skip"), "ask_contact");
    c.at(c.tap("No"), "ask_postal");
    c.at(c.text("231-0023"), "ask_consent");
    auto done = c.tap("Yes");
    CHECK(done.error.empty());
    CHECK(c.the_one("support.save").params.at("outcome") == "A");
    REQUIRE(done.messages.size() == 4);
    CHECK(done.messages[0].text ==
          "[Result A] Call the consultation centre now.\nWhy: shortness of breath, strong fatigue, a high fever (38.5 °C or "
          "more), aged 65 or over with a fever for 2 days or more\nAlways call before going to a clinic. Wear a mask and "
          "avoid public transport if you can.");
    CHECK_FALSE(contains(done.messages[0].text, "、"));
    CHECK(done.messages[3].text == "Take care. Send \"health check\" to check again.");
}

TEST_CASE("personal support: en-US reads the English reasons joined with a comma", "[flows][support]") {
    // LINE profiles may say "en-US": the texts and the reasons' separator both read it as English.
    Chat c("en-US");
    c.start("health check");
    c.at(c.tap("40-59"), "ask_fever");
    c.at(c.tap("No"), "ask_breathing");
    c.at(c.tap("Yes"), "ask_fatigue");
    c.at(c.tap("Yes"), "ask_taste_smell");
    for (int i = 0; i < 5; ++i) c.tap("No");
    c.at(c.tap("No"), "ask_postal");
    c.at(c.text("231-0023"), "ask_consent");
    auto done = c.tap("Yes");
    REQUIRE_FALSE(done.messages.empty());
    INFO(done.messages[0].text);
    CHECK(contains(done.messages[0].text, "\nWhy: shortness of breath, strong fatigue\n"));
}
