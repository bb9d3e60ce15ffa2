// `sapo flows ...` as an operator runs it: the real binary in a child process with its own
// stdin, stdout and stderr, and (for import/publish/list/export) a real PostgreSQL database.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "test/support/cli_runner.hpp"
#include "test/support/harness.hpp"

using namespace sapo::test;
namespace fs = std::filesystem;

namespace {

/// The effects this sapo has, as an unknown effect's problem lists them.
constexpr const char* kKnownEffects =
    "alert.raise, checkin.record, facility.join, facility.register, facility.staff_keyword, faq.answer, faq.hours, faq.miss, "
    "faq.show, health.begin, health.enrol, health.save, notification.request, notification.staff_facility, support.centre, "
    "support.save, support.stop, user.set_language";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

const std::string kDefinitions = std::string(SAPO_SOURCE_DIR) + "/flows/definitions";
const std::string kOriginalDone = "これからは日本語でお送りします。「メニュー」と送るとメニューを表示します。";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

std::string original_language_flow() { return slurp(kDefinitions + "/language.json"); }

std::string changed_language_flow() { return replaced(original_language_flow(), kOriginalDone, "（第2版）日本語にしました。"); }

/// The shipped language flow with `ask_language` pointing nowhere and an effect sapo lacks.
std::string invalid_language_flow() {
    auto text = replaced(original_language_flow(), R"("next": "save")", R"("next": "nowhere")");
    return replaced(text, R"("effect": "user.set_language")", R"("effect": "user.fly")");
}

std::string with_newline(std::string s) {
    if (s.empty() || s.back() != '\n') s += '\n';
    return s;
}

}  // namespace

/// The shipped flow ids (file names in flows/definitions), sorted.
std::vector<std::string> shipped_ids() {
    std::vector<std::string> ids;
    for (const auto& entry : fs::directory_iterator(kDefinitions)) {
        if (entry.path().extension() == ".json") ids.push_back(entry.path().stem().string());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

TEST_CASE("flows cli: validate accepts every shipped flow", "[pg][net][e2e][cli]") {
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(kDefinitions)) {
        if (entry.path().extension() != ".json") continue;
        ++files;
        INFO(entry.path().string());
        auto r = run_sapo({"flows", "validate", entry.path().string()});
        CHECK(r.code == 0);
        CHECK(r.out.empty());
        CHECK(r.err == "1 file, 0 problems\n");
    }
    CHECK(files == shipped_ids().size());
    CHECK(files >= 7);
    const auto expected = std::to_string(files) + " files, 0 problems\n";
    std::vector<std::string> all_args{"flows", "validate"};
    for (const auto& id : shipped_ids()) all_args.push_back(kDefinitions + "/" + id + ".json");
    auto all = run_sapo(all_args);
    CHECK(all.code == 0);
    CHECK(all.out.empty());
    CHECK(all.err == expected);
    auto dir = run_sapo({"flows", "validate", kDefinitions});
    CHECK(dir.code == 0);
    CHECK(dir.err == expected);
}

TEST_CASE("flows cli: validate names every problem of a bad file with its node, and a missing file fails", "[pg][net][e2e][cli]") {
    TempDir dir;
    const auto bad = dir.file("bad_language.json");
    write_file(bad, invalid_language_flow());

    auto r = run_sapo({"flows", "validate", bad});
    INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
    CHECK(r.code == 1);
    auto lines = lines_of(r.out);
    REQUIRE(lines.size() >= 2);
    for (const auto& l : lines) {
        INFO(l);
        CHECK(l.rfind(bad + ": node \"", 0) == 0);
        auto node_end = l.find("\": ", bad.size() + 8);
        REQUIRE(node_end != std::string::npos);
        CHECK(node_end + 3 < l.size());  // a message follows
    }
    CHECK(std::count(lines.begin(), lines.end(),
                     bad + ": node \"ask_language\": \"next\" points to \"nowhere\", which is not a node in this flow") == 1);
    CHECK(std::count(lines.begin(), lines.end(),
                     bad + ": node \"save\": unknown effect \"user.fly\"; this sapo knows: " + kKnownEffects) == 1);
    CHECK(r.err == "1 file, " + std::to_string(lines.size()) + " problems\n");

    SECTION("a good file beside it does not hide the bad one") {
        auto both = run_sapo({"flows", "validate", kDefinitions + "/language.json", bad});
        CHECK(both.code == 1);
        CHECK(both.out == r.out);
        CHECK(both.err == "2 files, " + std::to_string(lines.size()) + " problems\n");
    }
    SECTION("a file that is not JSON: one problem of the whole file") {
        const auto broken = dir.file("broken.json");
        write_file(broken, "{\"id\": \"broken\", ");
        auto b = run_sapo({"flows", "validate", broken});
        CHECK(b.code == 1);
        auto bl = lines_of(b.out);
        REQUIRE(bl.size() == 1);
        CHECK(bl[0].rfind(broken + ": ", 0) == 0);
        CHECK(bl[0].find("node \"") == std::string::npos);
        CHECK(b.err == "1 file, 1 problem\n");
    }
    SECTION("a missing file") {
        const auto missing = dir.file("no_such_flow.json");
        auto m = run_sapo({"flows", "validate", missing});
        CHECK(m.code == 1);
        CHECK(m.out == missing + ": cannot read the file\n");
        auto with_good = run_sapo({"flows", "validate", kDefinitions + "/welcome.json", missing});
        CHECK(with_good.code == 1);
        CHECK(with_good.out == missing + ": cannot read the file\n");
    }
    SECTION("no file at all is a usage error") {
        auto u = run_sapo({"flows", "validate"});
        CHECK(u.code == 2);
        CHECK(u.err.find("usage: sapo flows validate") != std::string::npos);
    }
}

TEST_CASE("flows cli: import, list, publish and export against the database", "[pg][net][e2e][cli]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    const std::map<std::string, std::string> env{{"DATABASE_URL", db.url()}};
    auto migrated = run_sapo({"migrate"}, env);
    INFO("migrate: " << migrated.out << migrated.err);
    REQUIRE(migrated.code == 0);

    // a fresh database gets the shipped flows, as version 1, from the CLI
    auto shipped = run_sapo({"flows", "import", "--as", "tester"}, env);
    INFO("import: " << shipped.out << shipped.err);
    REQUIRE(shipped.code == 0);
    auto shipped_lines = lines_of(shipped.out);
    std::sort(shipped_lines.begin(), shipped_lines.end());
    std::vector<std::string> expected_lines;
    for (const auto& id : shipped_ids()) expected_lines.push_back(id + ": draft version 1");
    CHECK(shipped_lines == expected_lines);
    // in an order where every goto's target is published first
    for (const char* id : {"checkin", "facility_join", "facility_register", "facility_staff", "faq", "health_enrol",
                           "health_report", "language", "personal_support", "main_menu", "support_stop", "welcome"}) {
        auto p = run_sapo({"flows", "publish", id, "--as", "tester"}, env);
        CHECK(p.code == 0);
        CHECK(p.out == std::string(id) + ": published version 1\n");
    }

    // an operator's changed copy of language.json
    TempDir dir;
    write_file(dir.file("language.json"), changed_language_flow());
    auto imported = run_sapo({"flows", "import", dir.path, "--as", "tester"}, env);
    CHECK(imported.code == 0);
    CHECK(imported.out == "language: draft version 2\n");
    auto again = run_sapo({"flows", "import", dir.path, "--as", "tester"}, env);
    CHECK(again.code == 0);
    CHECK(again.out == "language: unchanged (same as version 2)\n");
    CHECK(query_value(db.url(), "SELECT definition FROM flow_versions WHERE flow_id = 'language' AND version = 2") ==
          changed_language_flow());

    // an invalid file is refused by import
    write_file(dir.file("bad.json"), invalid_language_flow());
    auto refused = run_sapo({"flows", "import", dir.file("bad.json"), "--as", "tester"}, env);
    CHECK(refused.code == 1);
    CHECK(refused.out.find(dir.file("bad.json") + ": node \"ask_language\": \"next\" points to \"nowhere\"") != std::string::npos);
    CHECK(refused.out.find(dir.file("bad.json") + ": not imported\n") != std::string::npos);
    CHECK(query_value(db.url(), "SELECT definition FROM flow_versions WHERE flow_id = 'language' AND version = 2") ==
          changed_language_flow());

    auto listed = run_sapo({"flows", "list"}, env);
    CHECK(listed.code == 0);
    auto rows = lines_of(listed.out);
    REQUIRE(rows.size() == 14);  // the heading and the 13 shipped flows, in id order
    CHECK(words_of(rows[0]) == std::vector<std::string>{"flow", "published", "draft", "updated"});
    auto expect_row = [&](const std::string& row, const std::string& id, const std::string& published, const std::string& draft) {
        INFO(row);
        auto w = words_of(row);
        REQUIRE(w.size() == 4);
        CHECK(w[0] == id);
        CHECK(w[1] == published);
        CHECK(w[2] == draft);
        CHECK(w[3].size() == 20);
        CHECK(w[3].back() == 'Z');
    };
    expect_row(rows[1], "checkin", "1", "-");
    expect_row(rows[5], "faq", "1", "-");
    expect_row(rows[6], "health_enrol", "1", "-");
    expect_row(rows[7], "health_report", "1", "-");
    expect_row(rows[8], "language", "1", "2");
    expect_row(rows[9], "main_menu", "1", "-");
    expect_row(rows[10], "notification_request", "-", "1");
    expect_row(rows[11], "personal_support", "1", "-");
    expect_row(rows[12], "support_stop", "1", "-");
    expect_row(rows[13], "welcome", "1", "-");

    auto published = run_sapo({"flows", "publish", "language", "--as", "tester"}, env);
    CHECK(published.code == 0);
    CHECK(published.out == "language: published version 2\n");
    CHECK(query_value(db.url(), "SELECT string_agg(version || ':' || status, ',' ORDER BY version) FROM flow_versions "
                                "WHERE flow_id = 'language'") == "1:published,2:published");
    CHECK(query_value(db.url(), "SELECT published_by FROM flow_versions WHERE flow_id = 'language' AND version = 2") ==
          "cli:tester");
    auto nothing = run_sapo({"flows", "publish", "language", "--as", "tester"}, env);
    CHECK(nothing.code == 1);
    CHECK(nothing.out.rfind("language: there is no draft to publish", 0) == 0);
    CHECK(run_sapo({"flows", "publish", "no_such_flow"}, env).code == 1);

    auto v1 = run_sapo({"flows", "export", "language", "--version", "1"}, env);
    CHECK(v1.code == 0);
    CHECK(v1.out == with_newline(original_language_flow()));
    auto newest = run_sapo({"flows", "export", "language"}, env);
    CHECK(newest.code == 0);
    CHECK(newest.out == with_newline(changed_language_flow()));
    auto none = run_sapo({"flows", "export", "language", "--version", "9"}, env);
    CHECK(none.code == 1);
    CHECK(none.out.empty());
    CHECK(none.err == "language: no such flow version\n");

    CHECK(query_value(db.url(), "SELECT string_agg(action || ':' || subject || ':' || (details->>'version'), ',' ORDER BY id) "
                                "FROM audit_log WHERE actor = 'cli:tester' AND subject = 'flow:language'") ==
          "flow.import:flow:language:1,flow.publish:flow:language:1,flow.import:flow:language:2,flow.publish:flow:language:2");
    CHECK(query_value(db.url(), "SELECT count(*) FROM audit_log WHERE actor <> 'cli:tester'") == "0");

    SECTION("an invalid draft (written around the CLI's checks) is not published") {
        exec_sql(db.url(), "INSERT INTO flow_versions (flow_id, version, status, definition, created_by) "
                           "VALUES ('language', 3, 'draft', $flow$" + invalid_language_flow() + "$flow$, 'sql')");
        auto bad = run_sapo({"flows", "publish", "language", "--as", "tester"}, env);
        INFO(bad.out << bad.err);
        CHECK(bad.code == 1);
        auto lines = lines_of(bad.out);
        REQUIRE(lines.size() >= 3);
        CHECK(std::count(lines.begin(), lines.end(),
                         "language draft: node \"ask_language\": \"next\" points to \"nowhere\", which is not a node in this flow") == 1);
        CHECK(std::count(lines.begin(), lines.end(),
                         "language draft: node \"save\": unknown effect \"user.fly\"; this sapo knows: " +
                             std::string(kKnownEffects)) == 1);
        CHECK(lines.back() == "language: not published");
        CHECK(query_value(db.url(), "SELECT string_agg(version || ':' || status, ',' ORDER BY version) FROM flow_versions "
                                    "WHERE flow_id = 'language'") == "1:published,2:published,3:draft");
        CHECK(query_value(db.url(), "SELECT count(*) FROM flow_versions WHERE published_at IS NOT NULL AND flow_id = 'language'") == "2");
        CHECK(query_value(db.url(), "SELECT actor || ' ' || action || ' ' || details::text FROM audit_log ORDER BY id DESC LIMIT 1") ==
              "cli:tester flow.publish.refused {\"version\": 3}");
        // export shows the newest (the draft), as stored
        CHECK(run_sapo({"flows", "export", "language"}, env).out == with_newline(invalid_language_flow()));
    }
    SECTION("without DATABASE_URL the database commands say what is missing") {
        auto no_db = run_sapo({"flows", "list"});
        CHECK(no_db.code == 2);
        CHECK(no_db.err.find("DATABASE_URL") != std::string::npos);
    }
}

TEST_CASE("flows cli: simulate talks to a flow in the terminal", "[pg][net][e2e][cli]") {
    SECTION("Japanese: menu, Language, English") {
        auto r = run_sapo({"flows", "simulate", "main_menu"}, {}, "5\n2\n");
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(r.out ==
              "bot> ご用件を下のボタンから選んでください。\n"
              "     （「メニュー」と送ると、いつでもここに戻ります）\n"
              "     [1] チェックイン [2] 体調の相談 [3] 健康観察 [4] よくある質問 [5] Language / 言語\n"
              "you> 5\n"
              "bot> sapo からのメッセージの言語を選んでください。\n"
              "     Choose the language sapo writes in.\n"
              "     [1] 日本語 [2] English\n"
              "you> 2\n"
              "     (effect user.set_language language=en)\n"
              "bot> sapo will write to you in English from now on. Send \"menu\" to see the menu.\n"
              "     (conversation ended)\n");
    }
    SECTION("--lang en shows English labels") {
        auto r = run_sapo({"flows", "simulate", "main_menu", "--lang", "en"}, {}, "5\n1\n");
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 11);
        CHECK(lines[0] == "bot> Please choose what you need below.");
        CHECK(lines[2] == "     [1] Check in [2] Health advice [3] Daily health report [4] FAQ [5] Language / 言語");
        CHECK(lines[4] == "bot> Choose the language sapo writes in.");
        CHECK(lines[8] == "     (effect user.set_language language=ja)");
        // Japanese chosen: from then on sapo writes Japanese
        CHECK(lines[9] == "bot> " + kOriginalDone);
        CHECK(lines[10] == "     (conversation ended)");
    }
    SECTION("typed text and a cancel word") {
        auto r = run_sapo({"flows", "simulate", "language"}, {}, "やめる\n");
        CHECK(r.code == 0);
        auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 8);
        CHECK(lines[0] == "bot> sapo からのメッセージの言語を選んでください。");
        CHECK(lines[3] == "you> やめる");
        CHECK(lines[4] == "bot> 中止しました。");
        CHECK(lines[5] == "bot> ご用件を下のボタンから選んでください。");
    }
    SECTION("an unknown flow") {
        auto r = run_sapo({"flows", "simulate", "no_such_flow"}, {}, "");
        CHECK(r.code == 1);
        CHECK(r.err == "sapo: no flow \"no_such_flow\" to simulate\n");
    }
}
