// The health report's effects (health.enrol, health.begin, alert.raise, health.save) applied to
// an in-memory HealthTx, at a fixed time: 2026-11-21 10:00 in Tokyo.

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "bot/dispatch/effects.hpp"
#include "bot/dispatch/flow_setup.hpp"
#include "bot/health/effects.hpp"
#include "flows/tokyo_time.hpp"
#include "test/unit/fake_health_tx.hpp"

using sapo::flows::Effect;
using sapo::flows::Value;
using sapo::flows::Variables;
using sapo::test::FakeHealthTx;

namespace {

const std::string kUser = "U4af4980629c6f7e1f0d1a1b2c3d4e5f6";
const std::string kOther = "U0000000000000000000000000000000a";
const std::string kGroup = "Ca56f94637cc4347f90a25382909b24b9";
constexpr std::int64_t kMinute = 60'000;

/// 2026-11-21 10:00 in Tokyo (01:00 UTC).
std::int64_t tokyo_10am_ms() {
    return sapo::flows::days_from_civil(sapo::flows::CivilDate{2026, 11, 21}) * 86'400'000 + 1 * 60 * kMinute;
}

class TestClock final : public sapo::Clock {
public:
    std::int64_t ms = tokyo_10am_ms();
    time_point now() const override { return time_point(std::chrono::milliseconds(ms)); }
};

/// Only the health part of a transaction: the health effects must not touch the rest.
class HealthOnlyStore final : public sapo::storage::ConversationStore {
public:
    FakeHealthTx tx;
    sapo::storage::HealthTx& health() override { return tx; }
    sapo::storage::CheckinTx& facilities() override { throw std::logic_error("health effects touched facilities"); }
    sapo::storage::FaqTx& faq() override { throw std::logic_error("health effects touched the FAQ"); }
    sapo::storage::SupportTx& support() override { throw std::logic_error("health effects touched the questionnaire"); }
    std::optional<sapo::flows::Session> load_session(const std::string&) override { return std::nullopt; }
    void save_session(const std::string&, const sapo::flows::Session&) override {
        throw std::logic_error("health effects saved a session");
    }
    void end_session(const std::string&) override { throw std::logic_error("health effects ended a session"); }
    void set_language(const std::string&, const std::string&) override {
        throw std::logic_error("health effects set a language");
    }
    std::vector<std::pair<std::string, int>> published_versions() override { return {}; }
    std::optional<std::string> flow_definition(const std::string&, int) override { return std::nullopt; }
};

struct Bench {
    sapo::health::HealthSettings settings{kGroup};
    sapo::dispatch::EffectRegistry effects;
    HealthOnlyStore store;
    TestClock clock;
    FakeHealthTx& tx = store.tx;

    Bench() { sapo::health::add_health_effects(effects, &settings); }

    Variables apply(const std::string& name, std::map<std::string, std::string, std::less<>> params = {},
                    const std::string& language = "ja", const std::string& user = kUser) {
        sapo::dispatch::EffectContext c{user, store, clock, clock.ms, language};
        Effect e;
        e.name = name;
        e.params = std::move(params);
        return effects.apply(e, c);
    }
    Variables enrol(const std::string& code, const std::string& language = "ja", const std::string& user = kUser) {
        return apply("health.enrol", {{"code", code}}, language, user);
    }

    /// A patient monitored 2026-11-20 .. 2026-11-30 holding code 1234567, linked to nobody yet.
    sapo::storage::PatientRecord& patient(std::int64_t id = 1, const std::string& code = "1234567",
                                          const std::string& from = "2026-11-20", const std::string& to = "2026-11-30") {
        return tx.add_patient(id, code, from, to);
    }
    /// Links `id` to the user as enrolment would.
    void link(std::int64_t id, const std::string& user = kUser) {
        tx.user_of[id] = user;
        tx.patients.at(id).enrolled = true;
        tx.patients.at(id).enrollment_code.reset();
    }
};

Variables status_only(const char* s) { return {{"status", Value(s)}}; }

std::string vars(const Variables& v) { return sapo::flows::to_json(v); }

int failed_attempts(const FakeHealthTx& tx) {
    int n = 0;
    for (const auto& a : tx.attempts) n += a.second.second ? 0 : 1;
    return n;
}

}  // namespace

TEST_CASE("health.enrol: the right code links the user and answers the period in their language", "[unit][health]") {
    Bench b;
    b.patient();
    SECTION("Japanese") {
        auto out = b.enrol("1234567");
        CHECK(vars(out) == vars({{"status", Value("ok")}, {"from", Value("11月20日")}, {"to", Value("11月30日")}}));
    }
    SECTION("English") {
        auto out = b.enrol("1234567", "en");
        CHECK(vars(out) == vars({{"status", Value("ok")}, {"from", Value("Nov 20")}, {"to", Value("Nov 30")}}));
    }
    SECTION("typed the way a patient types it") {
        auto out = b.enrol("１２３-４５６７");
        CHECK(out.at("status") == Value("ok"));
    }
    REQUIRE(b.tx.user_of.size() == 1);
    CHECK(b.tx.user_of.at(1) == kUser);
    const auto& p = b.tx.patients.at(1);
    CHECK(p.enrolled);
    CHECK(p.enrolled_ms == std::optional<std::int64_t>(b.clock.ms));
    CHECK_FALSE(p.enrollment_code);  // used up
    REQUIRE(b.tx.attempts.size() == 1);
    CHECK(b.tx.attempts[0].first == kUser);
    CHECK(b.tx.attempts[0].second == std::make_pair(b.clock.ms, true));
}

TEST_CASE("health.enrol: wrong codes count down, the 5th locks for 30 minutes", "[unit][health]") {
    Bench b;
    b.patient();
    for (int i = 1; i <= 4; ++i) {
        INFO("wrong code " << i);
        // unknown, malformed, too short and empty codes all count
        const char* codes[] = {"7654321", "abc", "123456", ""};
        auto out = b.enrol(codes[i - 1]);
        CHECK(vars(out) == vars({{"status", Value("bad_code")}, {"attempts_left", Value(5 - i)}}));
        CHECK(failed_attempts(b.tx) == i);
        b.clock.ms += kMinute;
    }
    auto fifth = b.enrol("7654321");
    CHECK(vars(fifth) == vars({{"status", Value("locked")}, {"locked_minutes", Value(30)}}));
    CHECK(failed_attempts(b.tx) == 5);
    CHECK(b.tx.user_of.empty());

    SECTION("while locked even the right code is refused and nothing is recorded") {
        b.clock.ms += 10 * kMinute;
        auto out = b.enrol("1234567");
        CHECK(vars(out) == vars({{"status", Value("locked")}, {"locked_minutes", Value(20)}}));
        CHECK(b.tx.attempts.size() == 5);
        CHECK(b.tx.user_of.empty());
        CHECK(b.tx.patients.at(1).enrollment_code == std::optional<std::string>("1234567"));
        // one ms before the end: still a minute to wait (rounded up)
        b.clock.ms += 20 * kMinute - 1;
        CHECK(vars(b.enrol("1234567")) == vars({{"status", Value("locked")}, {"locked_minutes", Value(1)}}));
        CHECK(b.tx.attempts.size() == 5);
    }
    SECTION("after 30 minutes the right code works") {
        b.clock.ms += 30 * kMinute;
        CHECK(b.enrol("1234567").at("status") == Value("ok"));
        CHECK(b.tx.user_of.at(1) == kUser);
    }
    SECTION("the lock is the user's: another LINE user may still enrol") {
        CHECK(b.enrol("1234567", "ja", kOther).at("status") == Value("ok"));
        CHECK(b.tx.user_of.at(1) == kOther);
    }
}

TEST_CASE("health.enrol: wrong codes spread over more than 10 minutes do not lock", "[unit][health]") {
    Bench b;
    b.patient();
    for (int i = 0; i < 4; ++i) {
        CHECK(b.enrol("7654321").at("status") == Value("bad_code"));
        b.clock.ms += 3 * kMinute;
    }
    // the first failure is now 12 minutes old: only 3 of the last 10 minutes count
    auto out = b.enrol("7654321");
    CHECK(vars(out) == vars({{"status", Value("bad_code")}, {"attempts_left", Value(1)}}));
    CHECK(b.enrol("1234567").at("status") == Value("ok"));
}

TEST_CASE("health.enrol: expired codes and periods", "[unit][health]") {
    Bench b;
    SECTION("the code expired a ms ago") {
        b.patient().code_expires_ms = b.clock.ms - 1;
        CHECK(vars(b.enrol("1234567")) == vars({{"status", Value("expired")}, {"attempts_left", Value(4)}}));
        CHECK(b.tx.user_of.empty());
        REQUIRE(b.tx.attempts.size() == 1);
        CHECK_FALSE(b.tx.attempts[0].second.second);
    }
    SECTION("the code expires right now") {
        b.patient().code_expires_ms = b.clock.ms;
        CHECK(b.enrol("1234567").at("status") == Value("expired"));
    }
    SECTION("the code expires in a ms") {
        b.patient().code_expires_ms = b.clock.ms + 1;
        CHECK(b.enrol("1234567").at("status") == Value("ok"));
    }
    SECTION("the monitoring period ended yesterday") {
        b.patient(1, "1234567", "2026-11-10", "2026-11-20");
        CHECK(vars(b.enrol("1234567")) == vars({{"status", Value("expired")}, {"attempts_left", Value(4)}}));
        CHECK(b.tx.user_of.empty());
    }
    SECTION("the monitoring period ends today") {
        b.patient(1, "1234567", "2026-11-10", "2026-11-21");
        CHECK(b.enrol("1234567").at("status") == Value("ok"));
    }
    SECTION("a patient whose monitoring an operator stopped: like an unknown code") {
        b.patient().ended_ms = b.clock.ms - kMinute;
        CHECK(vars(b.enrol("1234567")) == vars({{"status", Value("bad_code")}, {"attempts_left", Value(4)}}));
        CHECK(b.tx.user_of.empty());
    }
}

TEST_CASE("health.enrol: a user already reporting for a patient is told so", "[unit][health]") {
    Bench b;
    b.patient(1, "", "2026-11-18", "2026-11-28");
    b.link(1);
    b.patient(2, "7654321");
    SECTION("Japanese") {
        auto out = b.enrol("7654321");
        CHECK(vars(out) == vars({{"status", Value("already")}, {"from", Value("11月18日")}, {"to", Value("11月28日")}}));
    }
    SECTION("English") {
        auto out = b.enrol("7654321", "en");
        CHECK(vars(out) == vars({{"status", Value("already")}, {"from", Value("Nov 18")}, {"to", Value("Nov 28")}}));
    }
    SECTION("even a wrong code is not counted") {
        CHECK(b.enrol("0000000").at("status") == Value("already"));
    }
    CHECK(b.tx.attempts.empty());
    CHECK(b.tx.user_of.size() == 1);
    CHECK(b.tx.patients.at(2).enrollment_code == std::optional<std::string>("7654321"));
}

TEST_CASE("health.enrol: after a period is over the user can enrol with a new code", "[unit][health]") {
    Bench b;
    b.patient(1, "", "2026-11-01", "2026-11-15");
    b.link(1);
    b.patient(2, "7654321", "2026-11-21", "2026-12-01");
    auto out = b.enrol("7654321");
    CHECK(vars(out) == vars({{"status", Value("ok")}, {"from", Value("11月21日")}, {"to", Value("12月1日")}}));
    CHECK(b.tx.patients.at(1).ended_ms == std::optional<std::int64_t>(b.clock.ms));  // the old link ended
    CHECK(b.tx.user_of.at(2) == kUser);
    auto now = b.tx.patient_of(kUser);
    REQUIRE(now);
    CHECK(now->id == 2);
}

TEST_CASE("health.begin: whether the user may report today", "[unit][health]") {
    Bench b;
    SECTION("not enrolled") {
        CHECK(vars(b.apply("health.begin")) == vars(status_only("not_enrolled")));
    }
    SECTION("before the period") {
        b.patient(1, "", "2026-11-22", "2026-12-01");
        b.link(1);
        CHECK(vars(b.apply("health.begin")) ==
              vars({{"status", Value("not_started")}, {"from", Value("11月22日")}, {"to", Value("12月1日")}}));
        CHECK(vars(b.apply("health.begin", {}, "en")) ==
              vars({{"status", Value("not_started")}, {"from", Value("Nov 22")}, {"to", Value("Dec 1")}}));
    }
    SECTION("after the period") {
        b.patient(1, "", "2026-11-10", "2026-11-20");
        b.link(1);
        CHECK(vars(b.apply("health.begin")) ==
              vars({{"status", Value("ended")}, {"from", Value("11月10日")}, {"to", Value("11月20日")}}));
    }
    SECTION("in the period, with or without a pulse oximeter") {
        const bool oximeter = GENERATE(true, false);
        auto& p = b.patient(1, "", "2026-11-21", "2026-11-21");  // today is the first and last day
        p.pulse_oximeter = oximeter;
        b.link(1);
        auto out = b.apply("health.begin");
        REQUIRE(out.count("run") == 1);
        const std::string run = out.at("run").as_string();
        INFO(run);
        CHECK(run.size() == 16);
        CHECK(run.find_first_not_of("0123456789abcdef") == std::string::npos);
        CHECK(vars(out) == vars({{"status", Value("ok")},
                                 {"from", Value("11月21日")},
                                 {"to", Value("11月21日")},
                                 {"date", Value("2026-11-21")},
                                 {"oximeter", Value(oximeter ? "yes" : "no")},
                                 {"run", Value(run)}}));
        // each report is a run of its own
        CHECK(b.apply("health.begin").at("run") != Value(run));
    }
    CHECK(b.tx.alerts.empty());
    CHECK(b.tx.reports.empty());
    CHECK(b.tx.attempts.empty());
}

TEST_CASE("alert.raise: stored once per run and reason, pushed to the operators' group when new", "[unit][health]") {
    Bench b;
    auto& p = b.patient();
    p.phone = "090-1234-5678";
    b.link(1);

    CHECK(b.apply("alert.raise", {{"run", "r1"}, {"reason", "high_fever"}, {"detail", "39.2℃"}}).empty());
    REQUIRE(b.tx.alerts.size() == 1);
    CHECK(b.tx.alerts[0].patient_id == 1);
    CHECK(b.tx.alerts[0].run == "r1");
    CHECK(b.tx.alerts[0].reason == "high_fever");
    CHECK(b.tx.alerts[0].detail == "39.2℃");
    REQUIRE(b.tx.pushes.size() == 1);
    CHECK(b.tx.pushes[0].to == kGroup);

    rapidjson::Document d;
    d.Parse(b.tx.pushes[0].messages.c_str());
    INFO(b.tx.pushes[0].messages);
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsArray());
    REQUIRE(d.Size() == 1);
    REQUIRE(d[0].IsObject());
    CHECK(d[0].MemberCount() == 2);
    CHECK(std::string(d[0]["type"].GetString()) == "text");
    const std::string text = d[0]["text"].GetString();
    CHECK(text ==
          "【至急・健康観察】P-1（患者ID 1）\n"
          "理由: 高熱（39.2℃）\n"
          "時刻: 11月21日 10:00\n"
          "電話: 090-1234-5678\n"
          "本人に緊急連絡先を案内しました。折り返し確認し、管理画面で「確認済み」にしてください。\n\n"
          "[Urgent: health report] P-1 (patient 1)\n"
          "Reason: high fever (39.2℃)\n"
          "At: Nov 21, 10:00\n"
          "Phone: 090-1234-5678\n"
          "The patient was shown the emergency number. Call back, then acknowledge the alert in the console.");

    SECTION("the same reason in the same run again: nothing new") {
        b.apply("alert.raise", {{"run", "r1"}, {"reason", "high_fever"}, {"detail", "39.5℃"}});
        CHECK(b.tx.alerts.size() == 1);
        CHECK(b.tx.pushes.size() == 1);
    }
    SECTION("another reason in the same run, the same reason in another run: both new") {
        b.apply("alert.raise", {{"run", "r1"}, {"reason", "breath_signs"}, {"detail", ""}});
        b.apply("alert.raise", {{"run", "r2"}, {"reason", "high_fever"}, {"detail", "39.0℃"}});
        REQUIRE(b.tx.alerts.size() == 3);
        REQUIRE(b.tx.pushes.size() == 3);
        CHECK(b.tx.pushes[1].to == kGroup);
        CHECK(b.tx.pushes[1].messages.find("理由: 息が荒い・急な息苦しさ・胸の痛みなど\\n") != std::string::npos);
        CHECK(b.tx.pushes[2].messages.find("理由: 高熱（39.0℃）\\n") != std::string::npos);
    }
}

TEST_CASE("alert.raise: no group, no push, no patient, no settings", "[unit][health]") {
    SECTION("no operators' group configured: stored but not pushed") {
        Bench b;
        b.settings.alert_group = "";
        b.patient();
        b.link(1);
        b.apply("alert.raise", {{"run", "r1"}, {"reason", "low_spo2"}, {"detail", "SpO2 90%"}});
        REQUIRE(b.tx.alerts.size() == 1);
        CHECK(b.tx.alerts[0].reason == "low_spo2");
        CHECK(b.tx.pushes.empty());
    }
    SECTION("a phone-less patient: the push says so") {
        Bench b;
        b.patient();
        b.link(1);
        b.apply("alert.raise", {{"run", "r1"}, {"reason", "consciousness"}, {"detail", "unknown"}});
        REQUIRE(b.tx.pushes.size() == 1);
        const auto& m = b.tx.pushes[0].messages;
        CHECK(m.find("理由: 意識障害（あり・わからない）（unknown）\\n時刻: 11月21日 10:00\\n電話番号: 未登録\\n") != std::string::npos);
        CHECK(m.find("Phone: not registered") != std::string::npos);
    }
    SECTION("a user with no patient: nothing") {
        Bench b;
        b.patient();
        b.apply("alert.raise", {{"run", "r1"}, {"reason", "high_fever"}, {"detail", "40℃"}});
        CHECK(b.tx.alerts.empty());
        CHECK(b.tx.pushes.empty());
    }
    SECTION("registered without settings (validation only): applying it throws") {
        sapo::dispatch::EffectRegistry effects;
        sapo::health::add_health_effects(effects, nullptr);
        HealthOnlyStore store;
        TestClock clock;
        sapo::dispatch::EffectContext c{kUser, store, clock, clock.ms, "ja"};
        Effect e;
        e.name = "alert.raise";
        e.params = {{"run", "r1"}, {"reason", "high_fever"}};
        CHECK_THROWS_AS(effects.apply(e, c), std::logic_error);
        CHECK(store.tx.alerts.empty());
    }
    SECTION("all_effects passes the settings on") {
        sapo::health::HealthSettings settings{"Cgroup"};
        auto effects = sapo::dispatch::all_effects(nullptr, nullptr, std::make_shared<sapo::faq::Catalog>(), {}, &settings);
        HealthOnlyStore store;
        store.tx.add_patient(7, "", "2026-11-20", "2026-11-30");
        store.tx.user_of[7] = kUser;
        TestClock clock;
        sapo::dispatch::EffectContext c{kUser, store, clock, clock.ms, "ja"};
        Effect e;
        e.name = "alert.raise";
        e.params = {{"run", "r9"}, {"reason", "face_signs"}, {"detail", ""}};
        effects.apply(e, c);
        REQUIRE(store.tx.pushes.size() == 1);
        CHECK(store.tx.pushes[0].to == "Cgroup");
        CHECK(store.tx.pushes[0].messages.find("P-7（患者ID 7）\\n理由: 顔色が悪い・唇が紫色・様子がおかしい\\n") !=
              std::string::npos);
    }
}

TEST_CASE("health.save: the report with the answers given, temperature and SpO2 as numbers", "[unit][health]") {
    Bench b;
    b.patient(3, "");
    b.link(3);
    std::map<std::string, std::string, std::less<>> all{
        {"run", "0123456789abcdef"}, {"temperature", "37.26"}, {"spo2", "96"},
        {"face", "not_usual"},       {"face_signs", "no"},      {"cough", "yes"},
        {"breathing", "unknown"},    {"breath_signs", "no"},    {"fatigue", "yes"},
        {"nausea", "no"},            {"diarrhea", "no"},        {"consciousness", "no"},
        {"mind_signs", ""},          {"eating", "yes"},         {"urination", "no"},
        {"extra", "ignored"},
    };
    SECTION("every answer") {
        CHECK(b.apply("health.save", all).empty());
        REQUIRE(b.tx.reports.size() == 1);
        const auto& r = b.tx.reports[0];
        CHECK(r.patient_id == 3);
        CHECK(r.run == "0123456789abcdef");
        CHECK(r.report_date == "2026-11-21");
        CHECK(r.completed_ms == b.clock.ms);
        CHECK(r.temperature == std::optional<double>(37.3));
        CHECK(r.spo2 == std::optional<int>(96));
        CHECK(r.answers_json ==
              R"({"face":"not_usual","face_signs":"no","cough":"yes","breathing":"unknown","breath_signs":"no",)"
              R"("fatigue":"yes","nausea":"no","diarrhea":"no","consciousness":"no","eating":"yes","urination":"no"})");
    }
    SECTION("temperature rounded to 0.1, SpO2 to a whole number") {
        all["temperature"] = "36.54";
        all["spo2"] = "96.6";
        b.apply("health.save", all);
        REQUIRE(b.tx.reports.size() == 1);
        CHECK(b.tx.reports[0].temperature == std::optional<double>(36.5));
        CHECK(b.tx.reports[0].spo2 == std::optional<int>(97));
    }
    SECTION("a temperature as the flow renders a whole number") {
        all["temperature"] = "38";
        b.apply("health.save", all);
        CHECK(b.tx.reports.at(0).temperature == std::optional<double>(38.0));
    }
    SECTION("skipped temperature and no SpO2 asked: both unset, only the given answers kept") {
        b.apply("health.save", {{"run", "r1"}, {"temperature", ""}, {"spo2", ""}, {"face", "usual"}, {"cough", "no"},
                                {"breathing", "no"}, {"fatigue", "no"}, {"nausea", "no"}, {"diarrhea", "no"},
                                {"consciousness", "no"}, {"eating", "yes"}, {"urination", "no"}});
        REQUIRE(b.tx.reports.size() == 1);
        const auto& r = b.tx.reports[0];
        CHECK(r.temperature == std::nullopt);
        CHECK(r.spo2 == std::nullopt);
        CHECK(r.answers_json == R"({"face":"usual","cough":"no","breathing":"no","fatigue":"no","nausea":"no",)"
                                R"("diarrhea":"no","consciousness":"no","eating":"yes","urination":"no"})");
    }
    SECTION("nothing answered") {
        b.apply("health.save", {{"run", "r1"}});
        REQUIRE(b.tx.reports.size() == 1);
        CHECK(b.tx.reports[0].answers_json == "{}");
        CHECK(b.tx.reports[0].temperature == std::nullopt);
    }
    SECTION("readings that are not numbers or not plausible are left out") {
        all["temperature"] = GENERATE("abc", "36.5度", "29.9", "45.1", "nan", "inf");
        all["spo2"] = "101";
        b.apply("health.save", all);
        REQUIRE(b.tx.reports.size() == 1);
        CHECK(b.tx.reports[0].temperature == std::nullopt);
        CHECK(b.tx.reports[0].spo2 == std::nullopt);
    }
    SECTION("answers are JSON-escaped") {
        all["face"] = "a\"b\\c";
        b.apply("health.save", all);
        REQUIRE(b.tx.reports.size() == 1);
        CHECK(b.tx.reports[0].answers_json.rfind(R"({"face":"a\"b\\c","face_signs":"no",)", 0) == 0);
        rapidjson::Document d;
        d.Parse(b.tx.reports[0].answers_json.c_str());
        REQUIRE_FALSE(d.HasParseError());
        CHECK(std::string(d["face"].GetString()) == "a\"b\\c");
    }
    SECTION("a user with no patient: nothing saved") {
        b.apply("health.save", all, "ja", kOther);
        CHECK(b.tx.reports.empty());
    }
}
