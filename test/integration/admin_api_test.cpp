// The operators' admin API over HTTP against a real `sapo serve` (LINE credentials pointed at the
// fake, so not local mode) and a real PostgreSQL: the bearer token, listing flows, drafts,
// validation, publishing, and the audit log.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "test/integration/service_fixture.hpp"
#include "test/support/cli_runner.hpp"

using namespace sapo;
using namespace sapo::test;

namespace {

constexpr const char* kAdminToken = "admin-api-test-token-0123456789";

rapidjson::Document json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    return doc;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

/// "node: message" for each problem of a {"problems":[...]} answer.
std::vector<std::pair<std::string, std::string>> problems_of(const rapidjson::Document& d) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!d.IsObject() || !d.HasMember("problems") || !d["problems"].IsArray()) return out;
    for (const auto& p : d["problems"].GetArray()) {
        out.emplace_back(p["node"].IsString() ? p["node"].GetString() : "", p["message"].GetString());
    }
    return out;
}

bool has_problem(const std::vector<std::pair<std::string, std::string>>& problems, const std::string& node,
                 const std::string& fragment) {
    for (const auto& [n, m] : problems) {
        if (n == node && m.find(fragment) != std::string::npos) return true;
    }
    return false;
}

const std::string kOriginalDone = "これからは日本語でお送りします。「メニュー」と送るとメニューを表示します。";

/// The shipped language flow with `ask_language` pointing nowhere and an effect sapo lacks.
std::string invalid_language_flow() {
    auto text = read_source_file("flows/definitions/language.json");
    text = replaced(text, R"("next": "save")", R"("next": "nowhere")");
    text = replaced(text, R"("effect": "user.set_language")", R"("effect": "user.fly")");
    return text;
}

std::string changed_language_flow() {
    return replaced(read_source_file("flows/definitions/language.json"), kOriginalDone, "（第2版）日本語にしました。");
}

struct AdminService {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;

    AdminService() : sapo({"serve"}, service_env(db.url(), line, {{"SAPO_ADMIN_TOKEN", kAdminToken}})) {
        sapo.start_serving();
    }

    HttpResult call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& operator_name = "hanako") {
        std::map<std::string, std::string> headers{{"Authorization", std::string("Bearer ") + kAdminToken}};
        if (!operator_name.empty()) headers["X-Operator"] = operator_name;
        return http_request(sapo.port(), method, target, body, headers);
    }

    std::string versions(const std::string& flow) {
        return query_value(db.url(), "SELECT coalesce(string_agg(version || ':' || status, ',' ORDER BY version), '') "
                                     "FROM flow_versions WHERE flow_id = '" + flow + "'");
    }

    /// "actor action subject details" of the operators' audit rows (not the seeding), in order.
    std::vector<std::string> audit() {
        std::vector<std::string> out;
        for (const auto& r : query_rows(db.url(), "SELECT actor, action, subject, details::text FROM audit_log "
                                                  "WHERE action NOT IN ('flow.seed', 'faq.seed') ORDER BY id")) {
            out.push_back(r[0] + " " + r[1] + " " + r[2] + " " + r[3]);
        }
        return out;
    }
};

}  // namespace

TEST_CASE_METHOD(AdminService, "admin API: the bearer token is required", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    const std::vector<std::pair<std::string, std::string>> paths{
        {"GET", "/admin/api/flows"},
        {"GET", "/admin/api/flows/language/draft"},
        {"PUT", "/admin/api/flows/language/draft"},
        {"POST", "/admin/api/flows/language/validate"},
        {"POST", "/admin/api/flows/language/publish"},
        {"GET", "/admin/api/nowhere"},
    };
    const std::vector<std::map<std::string, std::string>> wrong{
        {},
        {{"Authorization", "Bearer wrong-token"}},
        {{"Authorization", std::string("Bearer ") + kAdminToken + "x"}},
        {{"Authorization", std::string("Bearer ") + std::string(kAdminToken).substr(1)}},
        {{"Authorization", std::string("Basic ") + kAdminToken}},
        {{"Authorization", kAdminToken}},
        {{"Authorization", "Bearer "}},
    };
    for (const auto& [method, path] : paths) {
        for (const auto& headers : wrong) {
            INFO(method << " " << path << " with " << (headers.empty() ? "no header" : headers.begin()->second));
            auto r = http_request(sapo.port(), method, path, changed_language_flow(), headers);
            CHECK(r.status == 401);
            CHECK(r.headers["www-authenticate"] == "Bearer");
            CHECK(json(r.body)["message"].IsString());
        }
    }
    // nothing was changed by any of them
    CHECK(versions("language") == "1:published");
    CHECK(audit().empty());
    // and the right token works
    CHECK(call("GET", "/admin/api/flows").status == 200);
}

TEST_CASE_METHOD(AdminService, "admin API: the shipped flows are listed as published version 1", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    auto r = call("GET", "/admin/api/flows");
    REQUIRE(r.status == 200);
    CHECK(r.headers["content-type"].find("application/json") == 0);
    auto d = json(r.body);
    REQUIRE(d.IsObject());
    REQUIRE(d["flows"].IsArray());
    const char* ids[] = {"checkin",       "facility_join", "facility_register",    "facility_staff", "faq",
                         "health_enrol",  "health_report", "language",             "main_menu",      "notification_request",
                         "personal_support", "support_stop", "welcome"};
    REQUIRE(d["flows"].Size() == std::size(ids));
    for (rapidjson::SizeType i = 0; i < std::size(ids); ++i) {
        const auto& f = d["flows"][i];
        INFO(ids[i]);
        CHECK(std::string(f["id"].GetString()) == ids[i]);
        REQUIRE(f["published_version"].IsInt());
        CHECK(f["published_version"].GetInt() == 1);
        CHECK(f["draft_version"].IsNull());
        CHECK(std::string(f["updated_at"].GetString()).size() == 20);  // 2024-01-02T03:04:05Z
    }
    // no draft yet
    auto draft = call("GET", "/admin/api/flows/language/draft");
    CHECK(draft.status == 404);
    CHECK(draft.body.find("has no draft") != std::string::npos);
    CHECK(call("GET", "/admin/api/flows/no_such_flow/draft").status == 404);
}

TEST_CASE_METHOD(AdminService, "admin API: PUT draft refuses a wrong id and malformed JSON, keeps an invalid flow with its problems",
                 "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    SECTION("the flow's id differs from the URL -> 422, nothing stored") {
        auto body = replaced(changed_language_flow(), R"("id": "language")", R"("id": "main_menu")");
        auto r = call("PUT", "/admin/api/flows/language/draft", body);
        CHECK(r.status == 422);
        CHECK(r.body.find("\\\"id\\\" must be \\\"language\\\"") != std::string::npos);
        auto no_id = call("PUT", "/admin/api/flows/language/draft", R"({"schema_version":1})");
        CHECK(no_id.status == 422);
        CHECK(versions("language") == "1:published");
        CHECK(versions("main_menu") == "1:published");
        CHECK(audit().empty());
    }
    SECTION("malformed JSON or not an object -> 400, nothing stored") {
        CHECK(call("PUT", "/admin/api/flows/language/draft", R"({"id": "language", )").status == 400);
        CHECK(call("PUT", "/admin/api/flows/language/draft", "[1,2]").status == 400);
        CHECK(call("PUT", "/admin/api/flows/language/draft", "").status == 400);
        CHECK(versions("language") == "1:published");
        CHECK(audit().empty());
    }
    SECTION("an invalid flow is kept as the draft, and the answer lists its problems by node") {
        auto r = call("PUT", "/admin/api/flows/language/draft", invalid_language_flow());
        REQUIRE(r.status == 200);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        CHECK(std::string(d["id"].GetString()) == "language");
        CHECK(d["version"].GetInt() == 2);
        CHECK(d["changed"].GetBool());
        CHECK_FALSE(d["valid"].GetBool());
        auto problems = problems_of(d);
        CHECK(has_problem(problems, "ask_language", "\"nowhere\""));
        CHECK(has_problem(problems, "save", "\"user.fly\""));
        for (const auto& [node, message] : problems) {
            INFO(message);
            CHECK_FALSE(node.empty());
        }
        CHECK(versions("language") == "1:published,2:draft");
        auto draft = call("GET", "/admin/api/flows/language/draft");
        REQUIRE(draft.status == 200);
        auto dd = json(draft.body);
        CHECK(dd["version"].GetInt() == 2);
        CHECK(std::string(dd["status"].GetString()) == "draft");
        CHECK(std::string(dd["updated_by"].GetString()) == "admin:hanako");
        CHECK(std::string(dd["definition"]["nodes"]["ask_language"]["next"].GetString()) == "nowhere");
        // the stored document is the operator's, byte for byte
        CHECK(query_value(db.url(), "SELECT definition FROM flow_versions WHERE flow_id = 'language' AND version = 2") ==
              invalid_language_flow());
        CHECK(audit() == std::vector<std::string>{"admin:hanako flow.draft.put flow:language {\"version\": 2}"});

        // the same document again writes nothing
        auto same = call("PUT", "/admin/api/flows/language/draft", invalid_language_flow());
        REQUIRE(same.status == 200);
        CHECK_FALSE(json(same.body)["changed"].GetBool());
        CHECK(audit().size() == 1);
    }
}

TEST_CASE_METHOD(AdminService, "admin API: validate, refused publish, publish, and the audit log", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    // validate with nothing to validate
    CHECK(call("POST", "/admin/api/flows/language/validate").status == 404);
    // validate a document given in the body, without storing it
    auto given_bad = call("POST", "/admin/api/flows/language/validate", invalid_language_flow());
    CHECK(given_bad.status == 422);
    CHECK(has_problem(problems_of(json(given_bad.body)), "ask_language", "\"nowhere\""));
    auto given_good = call("POST", "/admin/api/flows/language/validate", changed_language_flow());
    CHECK(given_good.status == 200);
    CHECK(given_good.body == R"({"valid":true,"problems":[]})");
    CHECK(versions("language") == "1:published");
    // publish with no draft
    CHECK(call("POST", "/admin/api/flows/language/publish").status == 404);

    // an invalid draft: validate (empty body = the draft) says 422, publish refuses
    REQUIRE(call("PUT", "/admin/api/flows/language/draft", invalid_language_flow()).status == 200);
    auto v = call("POST", "/admin/api/flows/language/validate");
    CHECK(v.status == 422);
    auto vd = json(v.body);
    CHECK_FALSE(vd["valid"].GetBool());
    CHECK(has_problem(problems_of(vd), "save", "\"user.fly\""));
    auto refused = call("POST", "/admin/api/flows/language/publish", "", "taro");
    CHECK(refused.status == 422);
    auto rd = json(refused.body);
    REQUIRE(rd.IsObject());
    CHECK(std::string(rd["message"].GetString()) == "version 2 of \"language\" is not valid; nothing was published");
    CHECK(has_problem(problems_of(rd), "ask_language", "\"nowhere\""));
    CHECK(versions("language") == "1:published,2:draft");
    CHECK(query_value(db.url(), "SELECT count(*) FROM flow_versions WHERE published_at IS NOT NULL AND flow_id = 'language'") == "1");

    // the draft fixed (replaced in place: still version 2), validated, published
    auto fixed = call("PUT", "/admin/api/flows/language/draft", changed_language_flow());
    REQUIRE(fixed.status == 200);
    CHECK(fixed.body == R"({"id":"language","version":2,"changed":true,"valid":true,"problems":[]})");
    auto ok = call("POST", "/admin/api/flows/language/validate");
    CHECK(ok.status == 200);
    CHECK(ok.body == R"({"valid":true,"problems":[]})");
    auto published = call("POST", "/admin/api/flows/language/publish", "", "jiro");
    REQUIRE(published.status == 200);
    CHECK(published.body == R"({"id":"language","version":2,"status":"published"})");
    CHECK(versions("language") == "1:published,2:published");
    CHECK(query_value(db.url(), "SELECT published_by FROM flow_versions WHERE flow_id = 'language' AND version = 2") ==
          "admin:jiro");
    CHECK(call("GET", "/admin/api/flows/language/draft").status == 404);
    CHECK(call("POST", "/admin/api/flows/language/publish").status == 404);  // nothing left to publish

    auto list = json(call("GET", "/admin/api/flows").body);
    REQUIRE(list["flows"].Size() == 13);
    const auto& language = list["flows"][7];  // in id order
    REQUIRE(std::string(language["id"].GetString()) == "language");
    CHECK(language["published_version"].GetInt() == 2);
    CHECK(language["draft_version"].IsNull());

    // an operator without a name is recorded as the token
    REQUIRE(call("PUT", "/admin/api/flows/main_menu/draft",
                 replaced(read_source_file("flows/definitions/main_menu.json"), "\"timeout_minutes\": 1440", "\"timeout_minutes\": 60"),
                 "").status == 200);

    CHECK(audit() == std::vector<std::string>{
                         "admin:hanako flow.draft.put flow:language {\"version\": 2}",
                         "admin:taro flow.publish.refused flow:language {\"version\": 2}",
                         "admin:hanako flow.draft.put flow:language {\"version\": 2}",
                         "admin:jiro flow.publish flow:language {\"version\": 2}",
                         "admin-token flow.draft.put flow:main_menu {\"version\": 2}",
                     });
    CHECK(query_value(db.url(), "SELECT count(*) FROM audit_log WHERE action = 'flow.seed' AND actor = 'sapo (shipped flows)'") == "13");
}

TEST_CASE_METHOD(AdminService, "admin API: unknown paths are 404, wrong methods 405", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    for (const char* path : {"/admin/api/", "/admin/api", "/admin/api/nothing", "/admin/api/flows/language",
                             "/admin/api/flows/language/bogus", "/admin/api/flows/Language/draft",
                             "/admin/api/flows/../draft", "/admin/api/flows/language/draft/extra"}) {
        INFO(path);
        auto r = call("GET", path);
        CHECK(r.status == 404);
        CHECK(json(r.body)["message"].IsString());
    }
    const std::vector<std::pair<std::string, std::string>> wrong_methods{
        {"POST", "/admin/api/flows"},
        {"DELETE", "/admin/api/flows"},
        {"DELETE", "/admin/api/flows/language/draft"},
        {"POST", "/admin/api/flows/language/draft"},
        {"GET", "/admin/api/flows/language/validate"},
        {"GET", "/admin/api/flows/language/publish"},
        {"PUT", "/admin/api/flows/language/publish"},
    };
    for (const auto& [method, path] : wrong_methods) {
        INFO(method << " " << path);
        CHECK(call(method, path, changed_language_flow()).status == 405);
    }
    CHECK(versions("language") == "1:published");
    CHECK(audit().empty());
}

// RFC 9110 15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
TEST_CASE_METHOD(AdminService, "admin API: a 405 names the allowed methods (Allow header)", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    CHECK(http_request(sapo.port(), "GET", "/webhook").headers["allow"] == "POST");  // the router's own 405s do
    auto r = call("DELETE", "/admin/api/flows");
    REQUIRE(r.status == 405);
    CHECK(r.headers["allow"] == "GET");
    auto p = call("GET", "/admin/api/flows/language/publish");
    REQUIRE(p.status == 405);
    CHECK(p.headers["allow"] == "POST");
}

TEST_CASE("admin API: without SAPO_ADMIN_TOKEN (not local mode) every admin path is 401", "[pg][net][e2e][admin]") {
    if (!have_test_postgres()) return;
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo({"serve"}, service_env(db.url(), line));
    sapo.start_serving();
    INFO(sapo.log());
    const std::vector<std::pair<std::string, std::string>> paths{
        {"GET", "/admin/api/flows"},
        {"GET", "/admin/api"},
        {"GET", "/admin/api/flows/language/draft"},
        {"PUT", "/admin/api/flows/language/draft"},
        {"POST", "/admin/api/flows/language/validate"},
        {"POST", "/admin/api/flows/language/publish"},
        {"DELETE", "/admin/api/flows"},
        {"GET", "/admin/api/nowhere"},
    };
    const std::vector<std::map<std::string, std::string>> attempts{
        {},
        {{"Authorization", "Bearer "}},
        {{"Authorization", "Bearer x"}},
        {{"Authorization", std::string("Bearer ") + kAdminToken}},
    };
    for (const auto& [method, path] : paths) {
        for (const auto& headers : attempts) {
            INFO(method << " " << path);
            auto r = http_request(sapo.port(), method, path, changed_language_flow(), headers);
            CHECK(r.status == 401);
            CHECK(r.headers["www-authenticate"] == "Bearer");
            CHECK(r.body.find("SAPO_ADMIN_TOKEN") != std::string::npos);
        }
    }
    CHECK(query_value(db.url(), "SELECT string_agg(version || ':' || status, ',') FROM flow_versions WHERE flow_id = 'language'") ==
          "1:published");
    CHECK(query_value(db.url(), "SELECT count(*) FROM audit_log WHERE action NOT IN ('flow.seed', 'faq.seed')") == "0");
}

TEST_CASE_METHOD(AdminService, "admin API: a long operator name is cut to 64 bytes", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    // a name that is not UTF-8 is refused before anything is written
    CHECK(call("PUT", "/admin/api/flows/language/draft", changed_language_flow(), std::string("\xff\xfe")).status == 400);
    const std::string long_name(100, 'x');
    auto r = call("PUT", "/admin/api/flows/language/draft", changed_language_flow(), long_name);
    REQUIRE(r.status == 200);
    CHECK(audit() == std::vector<std::string>{"admin:" + std::string(64, 'x') + " flow.draft.put flow:language {\"version\": 2}"});
}

// The name is cut to 64 bytes between characters: a cut inside a UTF-8 sequence would be refused
// by PostgreSQL and fail the whole draft (it once did, with a misleading 503).
TEST_CASE_METHOD(AdminService, "admin API: a long Japanese operator name does not break saving a draft",
                 "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    std::string name;
    for (int i = 0; i < 22; ++i) name += "山";  // 3 bytes each: 66 bytes
    auto r = call("PUT", "/admin/api/flows/language/draft", changed_language_flow(), name);
    INFO(r.body << "\nsapo log after:\n" << sapo.log());
    CHECK(r.status == 200);
    auto rows = audit();
    REQUIRE(rows.size() == 1);
    std::string cut = "admin:";
    for (int i = 0; i < 21; ++i) cut += "山";
    CHECK(rows[0].rfind(cut, 0) == 0);
    CHECK(versions("language") == "1:published,2:draft");
}

// Race: PUT draft replaces a draft in place (same version number) while publish validates it.
// Publish only publishes the exact document it validated (storage publish compares the
// definition), so the outcome is 200 with the validated document or 409 — never an invalid
// document published.
TEST_CASE_METHOD(AdminService, "admin API: a draft replaced while it is being published is not published unvalidated",
                 "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    // a valid, large version 2 draft (written directly: saving it through PUT would validate it too)
    std::string big = R"({"schema_version": 1, "id": "language", "title": {"ja": "言語", "en": "Language"}, "start": "m0", "nodes": {)";
    constexpr int kNodes = 3000;
    for (int i = 0; i < kNodes; ++i) {
        auto id = "m" + std::to_string(i);
        auto next = i + 1 < kNodes ? "m" + std::to_string(i + 1) : std::string("done");
        big += "\"" + id + R"(": {"type": "message", "text": {"ja": ")" + id + R"(", "en": ")" + id + R"("}, "next": ")" + next + "\"},";
    }
    big += R"("done": {"type": "end", "text": {"ja": "おわり", "en": "done"}}}})";
    REQUIRE(call("POST", "/admin/api/flows/language/validate", big).status == 200);
    exec_sql(db.url(), "INSERT INTO flow_versions (flow_id, version, status, definition, created_by) "
                       "VALUES ('language', 2, 'draft', $flow$" + big + "$flow$, 'sql')");

    HttpResult published;
    std::thread publisher([&] { published = call("POST", "/admin/api/flows/language/publish", "", "publisher"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto put = call("PUT", "/admin/api/flows/language/draft", invalid_language_flow(), "editor");
    publisher.join();
    INFO("publish: " << published.status << " " << published.body << "\nput: " << put.status << " " << put.body);
    REQUIRE(put.status == 200);
    CHECK(put.body.find("\"valid\":false") != std::string::npos);

    auto published_v2 = query_value(db.url(), "SELECT definition FROM flow_versions "
                                              "WHERE flow_id = 'language' AND version = 2 AND status = 'published'");
    const bool invalid_published = published_v2 == invalid_language_flow();
    CHECK_FALSE(invalid_published);
    if (published.status == 200) {
        const bool validated_one_published = published_v2 == big;
        CHECK(validated_one_published);
    } else {
        CHECK(published.status == 409);
        CHECK(published_v2.empty());
    }
}

TEST_CASE_METHOD(AdminService, "admin API: a goto to a flow that is only a draft is refused at publish", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    const std::string helper = R"({"schema_version": 1, "id": "helper_only_draft", "start": "e", "nodes": {"e": {"type": "end"}}})";
    REQUIRE(call("PUT", "/admin/api/flows/helper_only_draft/draft", helper).status == 200);
    const std::string caller = R"({"schema_version": 1, "id": "caller", "start": "g", "nodes": {"g": {"type": "goto", "flow": "helper_only_draft"}}})";
    REQUIRE(call("PUT", "/admin/api/flows/caller/draft", caller).status == 200);
    auto r = call("POST", "/admin/api/flows/caller/publish");
    CHECK(r.status == 422);
    CHECK(r.body.find("helper_only_draft") != std::string::npos);
    CHECK(versions("caller") == "1:draft");
    // once the target is published, the caller can be
    REQUIRE(call("POST", "/admin/api/flows/helper_only_draft/publish").status == 200);
    CHECK(call("POST", "/admin/api/flows/caller/publish").status == 200);
}

TEST_CASE_METHOD(AdminService, "admin API: bodies that are not UTF-8 or absurdly nested get 400, nothing stored", "[pg][net][e2e][admin]") {
    INFO(sapo.log());
    auto bad = changed_language_flow();
    bad.replace(bad.find("言語"), 3, "\xff\xfe\xfd");
    auto r = call("PUT", "/admin/api/flows/language/draft", bad);
    CHECK(r.status == 400);
    CHECK(r.body.find("UTF-8") != std::string::npos);
    std::string deep = R"({"schema_version": 1, "id": "language", "start": "a", "nodes": {"a": {"type": "branch", "cases": [{"if": )";
    deep += std::string(200000, '[') + std::string(200000, ']');
    deep += R"(, "next": "a"}], "else": "a"}}})";
    auto d = call("PUT", "/admin/api/flows/language/draft", deep);
    CHECK(d.status == 200);  // stored as a draft with its problem reported, and sapo still serves
    CHECK(d.body.find("nested more than 64 levels") != std::string::npos);
    CHECK(call("GET", "/admin/api/flows").status == 200);
    CHECK(versions("language") == "1:published,2:draft");
}
