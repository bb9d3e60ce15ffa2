// The personal-support questionnaire end to end: a real `sapo serve` on a fresh PostgreSQL
// database, LINE pointed at the fake server. The questionnaire answered by its quick-reply buttons
// and by typed answers, the outcome with its reasons, the consultation centre by postal code (the
// expected name, phone and hours read here from config/regions/kanagawa.csv), the 24-hour line
// when the centre is closed, the consented answer kept without the user or the full postal code,
// the follow-up pushed after the due time with its buttons, 配信停止, and the published totals with
// their small-cell suppression.
//
// Expectations are written out here (texts from flows/definitions/personal_support.json and
// support_stop.json, templates/support*.json, times with the C library), not computed with sapo's
// code.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test/integration/line_replies.hpp"
#include "test/support/tokyo_days.hpp"

using namespace sapo;
using namespace sapo::test;

namespace {

constexpr const char* kAdminToken = "support-e2e-admin-token-0123456789";

// --- texts of the flows -------------------------------------------------------------------------

const std::string kIntro = "体調チェックをはじめます。";
const std::string kAgeQ = "年齢を教えてください。";
const std::string kFeverQ = "いま、熱（37.5℃以上）はありますか？";
const std::string kTemperatureQ = "いちばん高いときの体温を教えてください";
const std::string kFeverDaysQ = "熱が出てから何日たちますか？";
const std::string kBreathingQ = "息苦しさ（呼吸がしにくい、息が切れる）はありますか？";
const std::string kFatigueQ = "強いだるさ（倦怠感）はありますか？";
const std::string kTasteQ = "味やにおいがわかりにくいですか？";
const std::string kCoughQ = "せきは出ますか？";
const std::string kThroatQ = "のどの痛みはありますか？";
const std::string kConditionsQ = "次のどれかに当てはまりますか？";
const std::string kPregnantQ = "妊娠していますか？";
const std::string kContactQ = "新型コロナウイルスに感染した人と近くで接しましたか？";
const std::string kPostalQ = "お住まいの郵便番号（7桁）を教えてください";
const std::string kPostalReask = "郵便番号は7桁の数字で送ってください";
const std::string kConsentQ = "県の感染症対策のための集計に使ってよろしいですか？";
const std::string kResultA = "【結果A】すぐに相談センターに電話で相談してください。";
const std::string kResultB = "【結果B】かかりつけ医や近くの診療所に、電話で相談してください。";
const std::string kResultC = "【結果C】いまは自宅で安静にして、体調の変化に気をつけてください。";
const std::string kPrevention = "【感染を広げないために】こまめな手洗い・手指消毒";
const std::string kClosed = "は、ただいま受付時間外です（受付: ";
const std::string kDone = "お大事にしてください。もう一度チェックするときは「体調チェック」と送ってください。";
const std::string kFollowupNote = "日後に、その後の体調を伺うメッセージをお送りします（不要なときは「配信停止」と送ってください）。";
const std::string kFollowupPush = "その後、体調はいかがですか？";
const std::string kStopped = "配信を停止しました";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    return doc;
}

// --- config/regions/kanagawa.csv, read simply -----------------------------------------------------

struct CsvCentre {
    std::string prefix, name_ja, name_en, phone, hours, days, url;
};

/// Fields of one CSV line: comma-separated, a field may be in double quotes ("" is a quote).
std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                out.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    return out;
}

/// prefix -> row of the shipped Kanagawa table.
std::map<std::string, CsvCentre> kanagawa() {
    std::ifstream in(std::string(SAPO_FIXTURES_DIR) + "/../../config/regions/kanagawa.csv");
    REQUIRE(in.good());
    std::map<std::string, CsvCentre> out;
    std::string line;
    bool header = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        if (!header) {
            REQUIRE(line == "prefix,name_ja,name_en,phone,hours,days,url");
            header = true;
            continue;
        }
        auto f = split_csv(line);
        REQUIRE(f.size() == 7);
        out[f[0]] = {f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
    }
    REQUIRE(out.count("231") == 1);
    REQUIRE(out.count("*") == 1);
    return out;
}

/// "8:45": the hour without a leading zero.
std::string h_mm(int minutes) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%d:%02d", minutes / 60, minutes % 60);
    return buf;
}

int clock_minutes(const std::string& hh_mm) { return std::stoi(hh_mm.substr(0, 2)) * 60 + std::stoi(hh_mm.substr(3, 2)); }

/// The hours as the bot writes them in Japanese: "8:45〜17:00（平日）", "24時間".
std::string hours_text(const CsvCentre& c) {
    const bool weekdays = c.days == "weekdays";
    if (c.hours == "24h") return std::string("24時間") + (weekdays ? "（平日）" : "");
    return h_mm(clock_minutes(c.hours.substr(0, 5))) + "〜" + h_mm(clock_minutes(c.hours.substr(6, 5))) +
           (weekdays ? "（平日）" : "（毎日）");
}

/// Whether the centre answers at the Tokyo time of `unix_ms` (C library; public holidays unknown).
bool open_at(const CsvCentre& c, long long unix_ms) {
    std::time_t t = static_cast<std::time_t>(unix_ms / 1000 + 9 * 3600);
    std::tm g{};
    gmtime_r(&t, &g);
    if (c.days == "weekdays" && (g.tm_wday == 0 || g.tm_wday == 6)) return false;
    if (c.hours == "24h") return true;
    const int minute = g.tm_hour * 60 + g.tm_min;
    return minute >= clock_minutes(c.hours.substr(0, 5)) && minute < clock_minutes(c.hours.substr(6, 5));
}

// --- what a reply carries -----------------------------------------------------------------------

struct TemplateMessage {
    std::string alt_text;
    std::string text;
    std::vector<std::string> uris;
};

std::vector<TemplateMessage> templates_of(const Reply& r) {
    std::vector<TemplateMessage> out;
    auto doc = parse_json(r.raw);
    if (!doc.IsObject() || !doc.HasMember("messages")) return out;
    for (const auto& m : doc["messages"].GetArray()) {
        if (str(m, "type") != "template" || !m.HasMember("template")) continue;
        TemplateMessage t{str(m, "altText"), str(m["template"], "text"), {}};
        if (m["template"].HasMember("actions")) {
            for (const auto& a : m["template"]["actions"].GetArray()) t.uris.push_back(str(a, "uri"));
        }
        out.push_back(std::move(t));
    }
    return out;
}

bool dials(const TemplateMessage& t, const std::string& phone) {
    for (const auto& u : t.uris) {
        if (u == "tel:" + phone) return true;
    }
    return false;
}

// --- the service ----------------------------------------------------------------------------------

/// One answer: tap the quick-reply button with this label, or type the text.
struct Step {
    bool tap;
    std::string value;
    std::string expect;  ///< a text the reply must contain ("" for none)
};

Step tap(const std::string& label, const std::string& expect = "") { return {true, label, expect}; }
Step type(const std::string& text, const std::string& expect = "") { return {false, text, expect}; }

/// The answers of the questionnaire without a fever, as buttons (the postal code is typed; empty
/// taps スキップ).
struct Answers {
    std::string age = "40〜59歳";
    std::string breathing = "いいえ", fatigue = "いいえ", taste = "いいえ", cough = "いいえ", throat = "いいえ";
    std::string conditions = "いいえ", pregnant = "いいえ", contact = "いいえ";
    std::string postal = "231-0023";
    std::string consent = "はい";
};

std::vector<Step> by_buttons(const Answers& a) {
    return {tap(a.age, kFeverQ),
            tap("いいえ", kBreathingQ),
            tap(a.breathing, kFatigueQ),
            tap(a.fatigue, kTasteQ),
            tap(a.taste, kCoughQ),
            tap(a.cough, kThroatQ),
            tap(a.throat, kConditionsQ),
            tap(a.conditions, kPregnantQ),
            tap(a.pregnant, kContactQ),
            tap(a.contact, kPostalQ),
            a.postal.empty() ? tap("スキップ", kConsentQ) : type(a.postal, kConsentQ),
            tap(a.consent)};
}

struct SupportService {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;
    int event = 0;

    explicit SupportService(const std::map<std::string, std::string>& more = {})
        : sapo({"serve"}, service_env(db.url(), line, with_defaults(more))) {
        sapo.start_serving();
    }

    static std::map<std::string, std::string> with_defaults(const std::map<std::string, std::string>& more) {
        std::map<std::string, std::string> env{
            {"SAPO_ADMIN_TOKEN", kAdminToken},
            // the follow-up job looks once at start and not again during a test unless told
            {"SAPO_HEALTH_SCHEDULE_INTERVAL_MS", "600000"},
        };
        for (const auto& [k, v] : more) env[k] = v;
        return env;
    }

    Reply say(const std::string& user_id, const std::string& text) {
        const auto n = std::to_string(++event);
        return exchange(line, sapo, text_event(user_id, "s-ev-" + n, "s-token-" + n, now_ms(), text), "s-token-" + n);
    }

    Reply tap(const std::string& user_id, const std::string& data) {
        const auto n = std::to_string(++event);
        return exchange(line, sapo, postback_event(user_id, "s-ev-" + n, "s-token-" + n, now_ms(), data), "s-token-" + n);
    }

    void follow(const std::string& user_id) {
        const auto n = std::to_string(++event);
        exchange(line, sapo, follow_event(user_id, "s-ev-" + n, "s-token-" + n, now_ms()), "s-token-" + n);
    }

    /// Taps the quick-reply button labelled `label` on the last message of `previous`.
    Reply choose(const std::string& user_id, const Reply& previous, const std::string& label) {
        INFO("looking for the button " << label << " in " << previous.raw);
        REQUIRE_FALSE(previous.messages.empty());
        for (const auto& b : previous.messages.back().buttons) {
            if (b.label == label) {
                CHECK(b.type == "postback");
                return tap(user_id, b.data);
            }
        }
        FAIL("no button labelled " << label);
        return {};
    }

    /// Starts the questionnaire with `start` and answers every step; returns the last reply.
    Reply questionnaire(const std::string& user_id, const std::vector<Step>& steps, const std::string& start = "体調チェック") {
        Reply r = say(user_id, start);
        INFO(r.raw);
        CHECK(contains(r.all_text(), kIntro));
        CHECK(contains(r.all_text(), kAgeQ));
        for (const auto& s : steps) {
            INFO("answer: " << s.value);
            r = s.tap ? choose(user_id, r, s.value) : say(user_id, s.value);
            INFO(r.raw);
            if (!s.expect.empty()) CHECK(contains(r.all_text(), s.expect));
        }
        return r;
    }

    HttpResult admin(const std::string& method, const std::string& target) {
        return http_request(sapo.port(), method, target, "",
                            {{"Authorization", std::string("Bearer ") + kAdminToken}, {"X-Operator", "suzuki"}});
    }

    std::string q(const std::string& sql) { return query_value(db.url(), sql); }

    /// Texts of the pushes LINE accepted for `user_id`, with the raw bodies.
    std::vector<std::string> pushes_to(const std::string& user_id) {
        std::vector<std::string> out;
        for (const auto& r : line.requests(line::FakeLineServer::kPushPath)) {
            if (!r.accepted()) continue;
            auto doc = parse_json(r.body);
            if (str(doc, "to") != user_id) continue;
            out.push_back(r.body);
        }
        return out;
    }
};

}  // namespace

TEST_CASE("support questionnaire: by the buttons, breathing trouble in Naka-ku gives result A and the ward's centre",
          "[integration][support]") {
    const auto centres = kanagawa();
    const auto& naka = centres.at("231");
    const auto& line24 = centres.at("*");
    SupportService s;
    const auto u = user(1001);
    s.follow(u);

    Answers a;
    a.age = "75歳以上";
    a.breathing = "はい";
    auto steps = by_buttons(a);
    const auto consent = steps.back();
    steps.pop_back();
    auto before_result = s.questionnaire(u, steps);
    // the consent question's buttons, and the age question's (checked on the way) had their labels
    const long long before = now_ms();
    auto r = s.choose(u, before_result, consent.value);
    const long long after = now_ms();
    INFO(r.raw);
    const auto text = r.all_text();
    CHECK(contains(text, kResultA));
    CHECK(contains(text, "理由: 息苦しさがある\n"));  // the one reason that holds, alone
    CHECK(contains(text, kPrevention));
    CHECK(contains(text, kDone));
    CHECK_FALSE(contains(text, kFollowupNote));

    // the centre of 231 (Yokohama Naka-ku), with a button that dials it
    auto templates = templates_of(r);
    REQUIRE_FALSE(templates.empty());
    CHECK(dials(templates[0], naka.phone));
    CHECK(contains(templates[0].text, "相談先: " + naka.name_ja));
    CHECK(contains(templates[0].text, "電話: " + naka.phone));
    CHECK(contains(templates[0].text, "受付: " + hours_text(naka)));
    CHECK(std::find(templates[0].uris.begin(), templates[0].uris.end(), naka.url) != templates[0].uris.end());

    // open now: nothing more; closed: the note with its hours and the 24-hour line (and 119)
    const bool open_before = open_at(naka, before), open_after = open_at(naka, after);
    const bool closed_shown = contains(text, naka.name_ja + kClosed + hours_text(naka) + "）");
    INFO("open before: " << open_before << ", after: " << open_after);
    if (templates.size() == 2) {
        CHECK(dials(templates[1], line24.phone));
        CHECK(dials(templates[1], "119"));
        CHECK(contains(templates[1].text, line24.name_ja));
        CHECK(closed_shown);
        CHECK((!open_before || !open_after));
    } else {
        CHECK(templates.size() == 1);
        CHECK_FALSE(closed_shown);
        CHECK((open_before || open_after));
    }
    // the prevention message comes after the centre's messages
    CHECK(text.find(kPrevention) > text.find(kResultA));

    // consented: one answer kept with the area and the centre, and no follow-up for result A
    CHECK(s.q("SELECT count(*) FROM questionnaire_answers") == "1");
    CHECK(s.q("SELECT area || '|' || centre || '|' || outcome || '|' || age_band FROM questionnaire_answers") == "231|231|A|75_plus");
    CHECK(s.q("SELECT (answers->>'breathing') || '|' || (answers->>'fatigue') FROM questionnaire_answers") == "yes|no");
    CHECK(s.q("SELECT count(*) FROM support_followups") == "0");
}

TEST_CASE("support questionnaire: typed answers, a full-width postal code and a fever give result B", "[integration][support]") {
    SupportService s;
    const auto u = user(1002);
    s.follow(u);
    auto r = s.questionnaire(u, {type("70代後半", kFeverQ), type("はい", kTemperatureQ), type("38.0", kFeverDaysQ),
                                 type("1日", kBreathingQ), type("いいえ", kFatigueQ), type("いいえ", kTasteQ),
                                 type("いいえ", kCoughQ), type("はい", kThroatQ), type("いいえ", kConditionsQ),
                                 type("いいえ", kPregnantQ), type("いいえ", kContactQ), type("いいえ", kPostalQ),
                                 type("２３１－００２３", kConsentQ), type("はい")});
    INFO(r.raw);
    const auto text = r.all_text();
    CHECK(contains(text, kResultB));
    CHECK(contains(text, "理由: 熱がある、せきがある\n"));  // every B rule that holds, in the table's order
    auto templates = templates_of(r);
    REQUIRE_FALSE(templates.empty());
    CHECK(dials(templates[0], kanagawa().at("231").phone));
    CHECK(contains(text, kPrevention));
    CHECK(contains(text, "2" + kFollowupNote));  // the default: 2 days
    CHECK(s.q("SELECT area || '|' || centre || '|' || outcome || '|' || age_band FROM questionnaire_answers") == "231|231|B|75_plus");
    CHECK(s.q("SELECT (answers->>'temperature')::numeric = 38.0 AND (answers->>'fever_days')::numeric = 1 "
              "AND answers->>'fever' = 'yes' AND answers->>'cough' = 'yes' AND answers->>'throat' = 'no' FROM questionnaire_answers") ==
          "t");
    CHECK(s.q("SELECT outcome || '|' || status FROM support_followups WHERE user_id = '" + u + "'") == "B|pending");

    // a postal code that is not one is asked again
    const auto v = user(1003);
    s.say(v, "体調チェック");
    Reply last;
    for (const char* answer : {"40代", "いいえ", "いいえ", "いいえ", "いいえ", "いいえ", "いいえ", "いいえ", "いいえ", "いいえ"}) {
        last = s.say(v, answer);
    }
    CHECK(contains(last.all_text(), kPostalQ));
    auto again = s.say(v, "231-002");
    CHECK(contains(again.all_text(), kPostalReask));
    auto ok = s.say(v, "〒231 0023");
    CHECK(contains(ok.all_text(), kConsentQ));
}

TEST_CASE("support questionnaire: a code outside the table and a skipped one get the prefecture-wide line",
          "[integration][support]") {
    const auto centres = kanagawa();
    const auto& line24 = centres.at("*");
    SupportService s;

    SECTION("100-0001 (Tokyo): the * row, open around the clock") {
        const auto u = user(1011);
        Answers a;
        a.cough = "はい";
        a.postal = "100-0001";
        auto r = s.questionnaire(u, by_buttons(a));
        INFO(r.raw);
        CHECK(contains(r.all_text(), kResultB));
        CHECK(contains(r.all_text(), "理由: せきがある\n"));
        auto templates = templates_of(r);
        REQUIRE(templates.size() == 1);  // 24 hours every day: never closed
        CHECK(dials(templates[0], line24.phone));
        CHECK(contains(templates[0].text, "相談先: " + line24.name_ja));
        CHECK(contains(templates[0].text, "受付: " + hours_text(line24)));
        CHECK_FALSE(contains(r.all_text(), kClosed));
        // kept with its area, the centre shown being the fallback
        CHECK(s.q("SELECT area || '|' || centre FROM questionnaire_answers") == "100|*");
    }

    SECTION("skipped: the * row, and no area kept") {
        const auto u = user(1012);
        Answers a;
        a.breathing = "はい";
        a.postal = "";
        auto r = s.questionnaire(u, by_buttons(a));
        INFO(r.raw);
        CHECK(contains(r.all_text(), kResultA));
        auto templates = templates_of(r);
        REQUIRE(templates.size() == 1);
        CHECK(dials(templates[0], line24.phone));
        CHECK(contains(templates[0].text, "相談先: " + line24.name_ja));
        CHECK(s.q("SELECT (area IS NULL) || '|' || centre FROM questionnaire_answers") == "true|*");
    }
}

TEST_CASE("support questionnaire: consent keeps the answer without the user or the full postal code, no consent keeps nothing",
          "[integration][support]") {
    SupportService s;
    const auto yes = user(1021), no = user(1022);

    Answers a;
    a.breathing = "はい";
    const auto day_before = tokyo_date(now_ms());
    auto r = s.questionnaire(yes, by_buttons(a));
    const auto day_after = tokyo_date(now_ms());
    CHECK(contains(r.all_text(), kResultA));
    REQUIRE(s.q("SELECT count(*) FROM questionnaire_answers") == "1");
    CHECK(s.q("SELECT area FROM questionnaire_answers") == "231");
    const auto answered = s.q("SELECT answered_date::text FROM questionnaire_answers");
    CHECK((answered == day_before || answered == day_after));
    // no column for a user or a postal code, and nothing in the row names either
    const auto columns = s.q("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                             "WHERE table_name = 'questionnaire_answers'");
    INFO("columns: " << columns);
    CHECK(columns == "id,answered_at,answered_date,age_band,outcome,area,centre,answers");
    const auto row = s.q("SELECT (to_jsonb(a) - 'answered_at' - 'id')::text FROM questionnaire_answers a");
    INFO("row: " << row);
    CHECK_FALSE(row.empty());
    CHECK_FALSE(contains(row, "0023"));
    CHECK_FALSE(contains(row, "2310023"));
    CHECK_FALSE(contains(row, yes));
    CHECK_FALSE(contains(row, "postal"));

    // no: the same result, nothing kept
    a.consent = "いいえ";
    auto declined = s.questionnaire(no, by_buttons(a));
    INFO(declined.raw);
    CHECK(contains(declined.all_text(), kResultA));
    CHECK(contains(declined.all_text(), "理由: 息苦しさがある\n"));
    CHECK_FALSE(templates_of(declined).empty());
    CHECK(s.q("SELECT count(*) FROM questionnaire_answers") == "1");

    // no consent, result C: nothing kept, yet the follow-up (it is not part of the totals)
    Answers c;
    c.consent = "いいえ";
    auto well = s.questionnaire(no, by_buttons(c));
    CHECK(contains(well.all_text(), kResultC));
    CHECK(s.q("SELECT count(*) FROM questionnaire_answers") == "1");
    CHECK(s.q("SELECT status FROM support_followups WHERE user_id = '" + no + "'") == "pending");
}

TEST_CASE("support questionnaire: result C schedules a follow-up in 2 days, result A none", "[integration][support]") {
    SupportService s;
    const auto well = user(1031), ill = user(1032);

    const long long before = now_ms();
    auto r = s.questionnaire(well, by_buttons(Answers{}));
    const long long after = now_ms();
    INFO(r.raw);
    const auto text = r.all_text();
    CHECK(contains(text, kResultC));
    CHECK(contains(text, kPrevention));
    CHECK(contains(text, "2" + kFollowupNote));
    CHECK_FALSE(contains(text, kDone));
    CHECK(templates_of(r).empty());  // no centre for result C
    CHECK(s.q("SELECT count(*) FROM support_followups") == "1");
    CHECK(s.q("SELECT outcome || '|' || status FROM support_followups WHERE user_id = '" + well + "'") == "C|pending");
    CHECK(s.q("SELECT due_at BETWEEN " + sql_instant(before + 2 * kDayMs - 1000) + " AND " + sql_instant(after + 2 * kDayMs + 1000) +
              " FROM support_followups") == "t");
    CHECK(s.q("SELECT outcome FROM questionnaire_answers") == "C");

    Answers a;
    a.fatigue = "はい";
    auto urgent = s.questionnaire(ill, by_buttons(a));
    CHECK(contains(urgent.all_text(), kResultA));
    CHECK(contains(urgent.all_text(), "理由: 強いだるさがある\n"));
    CHECK_FALSE(contains(urgent.all_text(), kFollowupNote));
    CHECK(s.q("SELECT count(*) FROM support_followups WHERE user_id = '" + ill + "'") == "0");

    // a newer questionnaire replaces the pending follow-up (one per user)
    auto again = s.questionnaire(well, by_buttons(Answers{}));
    CHECK(contains(again.all_text(), kResultC));
    CHECK(s.q("SELECT count(*) FROM support_followups") == "1");
}

TEST_CASE("support follow-up: pushed once when due, with its buttons, and 配信停止 stops it for good", "[integration][support]") {
    SupportService s({{"SAPO_SUPPORT_FOLLOWUP_HOURS", "00:00-24:00"}, {"SAPO_HEALTH_SCHEDULE_INTERVAL_MS", "200"}});
    const auto u = user(1041), other = user(1042);
    s.follow(u);
    s.follow(other);
    auto r = s.questionnaire(u, by_buttons(Answers{}));
    REQUIRE(contains(r.all_text(), kResultC));
    REQUIRE(s.q("SELECT status FROM support_followups WHERE user_id = '" + u + "'") == "pending");
    // not due for two days: nothing yet
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    CHECK(s.pushes_to(u).empty());

    exec_sql(s.db.url(), "UPDATE support_followups SET due_at = now() - interval '1 minute' WHERE user_id = '" + u + "'");
    REQUIRE(wait_until([&] { return !s.pushes_to(u).empty(); }, std::chrono::seconds(15)));
    auto push = parse_json(s.pushes_to(u).front());
    REQUIRE(push["messages"].Size() == 1);
    const auto& m = push["messages"][0];
    CHECK(contains(str(m, "text"), kFollowupPush));
    REQUIRE(m.HasMember("quickReply"));
    const auto& items = m["quickReply"]["items"];
    REQUIRE(items.Size() == 2);
    CHECK(str(items[0]["action"], "type") == "postback");
    CHECK(str(items[0]["action"], "label") == "もう一度チェック");
    CHECK(str(items[0]["action"], "data") == "m=personal_support");
    CHECK(str(items[1]["action"], "type") == "message");
    CHECK(str(items[1]["action"], "label") == "配信停止");
    CHECK(str(items[1]["action"], "text") == "配信停止");
    CHECK(s.q("SELECT status FROM support_followups WHERE user_id = '" + u + "'") == "sent");
    // once: the job ran many times since
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(s.pushes_to(u).size() == 1);
    CHECK(s.q("SELECT count(*) FROM outbox WHERE user_id = '" + u + "' AND reply_token IS NULL") == "1");

    // the button starts the questionnaire again
    auto restart = s.tap(u, "m=personal_support");
    CHECK(contains(restart.all_text(), kIntro));
    CHECK(contains(restart.all_text(), kAgeQ));
    s.say(u, "キャンセル");

    // 配信停止, then result C again: no follow-up
    auto stop = s.say(u, "配信停止");
    INFO(stop.raw);
    CHECK(contains(stop.all_text(), kStopped));
    CHECK(s.q("SELECT count(*) FROM support_optouts WHERE user_id = '" + u + "'") == "1");
    auto later = s.questionnaire(u, by_buttons(Answers{}));
    INFO(later.raw);
    CHECK(contains(later.all_text(), kResultC));
    CHECK(contains(later.all_text(), kDone));
    CHECK_FALSE(contains(later.all_text(), kFollowupNote));
    CHECK(s.q("SELECT count(*) FROM support_followups WHERE status = 'pending'") == "0");

    // 配信停止 while one is pending: it is stopped and never pushed
    auto r2 = s.questionnaire(other, by_buttons(Answers{}));
    REQUIRE(contains(r2.all_text(), "2" + kFollowupNote));
    CHECK(contains(s.say(other, "配信停止").all_text(), kStopped));
    CHECK(s.q("SELECT status FROM support_followups WHERE user_id = '" + other + "'") == "stopped");
    exec_sql(s.db.url(), "UPDATE support_followups SET due_at = now() - interval '1 minute' WHERE user_id = '" + other + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(s.pushes_to(other).empty());
    CHECK(s.pushes_to(u).size() == 1);
}

namespace {

/// 40 consented answers over 2026-10-01..03 and 3 on 10-04:
///            A   B   C
///   10-01  231:2 231:2 250:4     220:5(B)
///   10-02        231:2 231:3 250:3 unknown:3
///   10-03        100:8 (B) 220:5 (C) 231:3 (C)
///   10-04                231:3 (C)
void insert_answers(const std::string& url) {
    exec_sql(url,
             "INSERT INTO questionnaire_answers (answered_at, answered_date, age_band, outcome, area, centre, answers) "
             "SELECT (v.d::date + time '12:00') AT TIME ZONE 'Asia/Tokyo', v.d::date, '40_59', v.o, v.a, coalesce(v.a, '*'), '{}' "
             "FROM (VALUES ('2026-10-01', '231', 'A', 2), ('2026-10-01', '231', 'B', 2), ('2026-10-01', '250', 'C', 4), "
             "             ('2026-10-01', '220', 'B', 5), "
             "             ('2026-10-02', '231', 'B', 2), ('2026-10-02', '231', 'C', 3), ('2026-10-02', '250', 'C', 3), "
             "             ('2026-10-02', NULL, 'C', 3), "
             "             ('2026-10-03', '100', 'B', 8), ('2026-10-03', '220', 'C', 5), ('2026-10-03', '231', 'C', 3), "
             "             ('2026-10-04', '231', 'C', 3)) AS v(d, a, o, n) "
             "CROSS JOIN LATERAL generate_series(1, v.n)");
}

/// "key|key=count" or "key|key=suppressed" for each row of a summary, in order.
std::vector<std::string> cells(const rapidjson::Document& doc, const std::vector<std::string>& dims) {
    std::vector<std::string> out;
    for (const auto& row : doc["rows"].GetArray()) {
        std::string keys;
        for (const auto& d : dims) keys += (keys.empty() ? "" : "|") + str(row, d.c_str());
        if (row["suppressed"].GetBool()) {
            CHECK(row["count"].IsNull());
            out.push_back(keys + "=suppressed");
        } else {
            REQUIRE(row["count"].IsInt64());
            out.push_back(keys + "=" + std::to_string(row["count"].GetInt64()));
        }
    }
    return out;
}

}  // namespace

TEST_CASE("support summary: counts by area, outcome and day, small cells suppressed", "[integration][support]") {
    SupportService s;
    insert_answers(s.db.url());
    REQUIRE(s.q("SELECT count(*) FROM questionnaire_answers") == "43");
    const std::string range = "from=2026-10-01&to=2026-10-03";

    auto get = [&](const std::string& query) {
        auto r = s.admin("GET", "/admin/api/questionnaire/summary?" + query);
        INFO(query << " -> " << r.body);
        REQUIRE(r.status == 200);
        auto doc = parse_json(r.body);
        REQUIRE(doc.IsObject());
        return doc;
    };

    SECTION("by area: one small cell, so the next smallest is hidden too") {
        auto doc = get(range + "&group_by=area");
        CHECK(str(doc, "from") == "2026-10-01");
        CHECK(str(doc, "to") == "2026-10-03");
        CHECK(doc["min_count"].GetInt() == 5);
        REQUIRE(doc["total"].IsInt64());
        CHECK(doc["total"].GetInt64() == 40);
        CHECK(cells(doc, {"area"}) == std::vector<std::string>{"100=8", "220=10", "231=12", "250=suppressed", "unknown=suppressed"});
    }

    SECTION("by outcome: A is small, B (the next smallest) hidden with it") {
        auto doc = get(range + "&group_by=outcome");
        CHECK(doc["total"].GetInt64() == 40);
        CHECK(cells(doc, {"outcome"}) == std::vector<std::string>{"A=suppressed", "B=suppressed", "C=21"});
    }

    SECTION("outcome is the default grouping") {
        auto doc = get(range);
        REQUIRE(doc["group_by"].Size() == 1);
        CHECK(std::string(doc["group_by"][0].GetString()) == "outcome");
        CHECK(cells(doc, {"outcome"}) == std::vector<std::string>{"A=suppressed", "B=suppressed", "C=21"});
    }

    SECTION("by day and area: five small cells, nothing more hidden") {
        auto doc = get(range + "&group_by=day,area");
        CHECK(doc["total"].GetInt64() == 40);
        CHECK(cells(doc, {"day", "area"}) ==
              std::vector<std::string>{"2026-10-01|220=5", "2026-10-01|231=suppressed", "2026-10-01|250=suppressed",
                                       "2026-10-02|231=5", "2026-10-02|250=suppressed", "2026-10-02|unknown=suppressed",
                                       "2026-10-03|100=8", "2026-10-03|220=5", "2026-10-03|231=suppressed"});
    }

    SECTION("by area and outcome: the order of the dimensions is kept") {
        auto doc = get(range + "&group_by=outcome,area");
        REQUIRE(doc["group_by"].Size() == 2);
        CHECK(std::string(doc["group_by"][0].GetString()) == "outcome");
        CHECK(cells(doc, {"outcome", "area"}) ==
              std::vector<std::string>{"A|231=suppressed", "B|100=8", "B|220=5", "B|231=suppressed", "C|220=5", "C|231=6",
                                       "C|250=7", "C|unknown=suppressed"});
    }

    SECTION("a day with fewer than 5 answers: the total is hidden too") {
        auto doc = get("from=2026-10-04&to=2026-10-04&group_by=outcome");
        CHECK(doc["total"].IsNull());
        CHECK(cells(doc, {"outcome"}) == std::vector<std::string>{"C=suppressed"});
        auto empty = get("from=2026-09-01&to=2026-09-30&group_by=area");
        CHECK(empty["total"].IsNull());
        CHECK(empty["rows"].Size() == 0);
        // one day more: 4 days, 43 answers; the 4th day's 3 join 231's C
        auto all = get("from=2026-10-01&to=2026-10-04&group_by=area");
        CHECK(all["total"].GetInt64() == 43);
        CHECK(cells(all, {"area"}) == std::vector<std::string>{"100=8", "220=10", "231=15", "250=suppressed", "unknown=suppressed"});
    }

    SECTION("the CSV: BOM, header, <5 for hidden cells") {
        auto r = s.admin("GET", "/admin/api/questionnaire/summary.csv?" + range + "&group_by=area");
        REQUIRE(r.status == 200);
        CHECK(r.headers["content-type"].find("text/csv") == 0);
        CHECK(contains(r.headers["content-disposition"], "questionnaire-2026-10-01-2026-10-03.csv"));
        CHECK(r.body == "\xEF\xBB\xBF" "area,count\r\n100,8\r\n220,10\r\n231,12\r\n250,<5\r\nunknown,<5\r\n");
        auto two = s.admin("GET", "/admin/api/questionnaire/summary.csv?" + range + "&group_by=day,area");
        REQUIRE(two.status == 200);
        CHECK(two.body.rfind("\xEF\xBB\xBF" "day,area,count\r\n2026-10-01,220,5\r\n2026-10-01,231,<5\r\n", 0) == 0);
        CHECK(contains(two.body, "\r\n2026-10-03,100,8\r\n"));
    }

    SECTION("bad requests") {
        for (const std::string query :
             {"group_by=week", "group_by=day,day", "group_by=", "group_by=,area", "group_by=Area", "from=2026-13-01&to=2026-10-03",
              "from=yesterday&to=2026-10-03", "from=2026-10-01&to=2026/10/03", "from=2026-10-03&to=2026-10-01",
              "from=2025-01-01&to=2026-10-03", "from=2026-02-30&to=2026-03-03"}) {
            INFO(query);
            auto r = s.admin("GET", "/admin/api/questionnaire/summary?" + query);
            INFO(r.body);
            CHECK(r.status == 400);
            CHECK(s.admin("GET", "/admin/api/questionnaire/summary.csv?" + query).status == 400);
        }
        CHECK(http_request(s.sapo.port(), "GET", "/admin/api/questionnaire/summary?" + range).status == 401);
        CHECK(http_request(s.sapo.port(), "GET", "/admin/api/questionnaire/summary.csv?" + range).status == 401);
        CHECK(http_request(s.sapo.port(), "GET", "/admin/api/questionnaire/summary?" + range, "",
                           {{"Authorization", "Bearer wrong-token-wrong-token-wrong"}})
                  .status == 401);
        CHECK(s.admin("POST", "/admin/api/questionnaire/summary").status == 405);
        CHECK(s.admin("GET", "/admin/api/questionnaire/other").status == 404);
    }
}

TEST_CASE("support summary: answers given through the bot are counted only with consent", "[integration][support]") {
    SupportService s;
    const auto today = tokyo_date(now_ms());
    // five consented result C and two declined, all today
    for (unsigned i = 0; i < 7; ++i) {
        Answers a;
        a.consent = i < 5 ? "はい" : "いいえ";
        a.postal = i % 2 ? "231-0023" : "220-0011";
        auto r = s.questionnaire(user(1100 + i), by_buttons(a));
        REQUIRE(contains(r.all_text(), kResultC));
    }
    CHECK(s.q("SELECT count(*) FROM questionnaire_answers") == "5");
    // straddling midnight in Tokyo would split the day: ask for yesterday too
    const auto from = tokyo_date(now_ms() - kDayMs);
    auto r = s.admin("GET", "/admin/api/questionnaire/summary?from=" + from + "&to=" + today + "&group_by=outcome");
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto doc = parse_json(r.body);
    CHECK(doc["total"].GetInt64() == 5);
    CHECK(cells(doc, {"outcome"}) == std::vector<std::string>{"C=5"});
    auto by_area = parse_json(s.admin("GET", "/admin/api/questionnaire/summary?from=" + from + "&to=" + today + "&group_by=area").body);
    CHECK(by_area["total"].GetInt64() == 5);
    CHECK(cells(by_area, {"area"}) == std::vector<std::string>{"220=suppressed", "231=suppressed"});
}
