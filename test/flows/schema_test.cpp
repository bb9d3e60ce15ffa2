// The JSON Schema in flows/schema/ must agree with what sapo accepts: every shipped flow and the
// complete example in flows/README.md pass both the schema and the validator.

#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "flows/loader.hpp"
#include "test/flows/flow_test_support.hpp"

namespace {

const std::string kRoot = std::string(SAPO_FIXTURES_DIR) + "/../..";

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO(path);
    REQUIRE(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Empty when `json` satisfies the schema, else where and why not.
std::string schema_problem(const std::string& json) {
    static const auto schema_text = read(kRoot + "/flows/schema/flow.schema.json");
    rapidjson::Document schema_doc;
    schema_doc.Parse(schema_text.c_str());
    REQUIRE_FALSE(schema_doc.HasParseError());
    rapidjson::SchemaDocument schema(schema_doc);
    rapidjson::Document doc;
    doc.Parse(json.c_str());
    if (doc.HasParseError()) return "not JSON";
    rapidjson::SchemaValidator validator(schema);
    if (doc.Accept(validator)) return "";
    rapidjson::StringBuffer where;
    validator.GetInvalidDocumentPointer().StringifyUriFragment(where);
    return std::string(where.GetString()) + ": " + validator.GetInvalidSchemaKeyword();
}

/// The first ```json block after "## Complete example" in flows/README.md.
std::string readme_example() {
    auto readme = read(kRoot + "/flows/README.md");
    auto section = readme.find("## Complete example");
    REQUIRE(section != std::string::npos);
    auto open = readme.find("```json\n", section);
    REQUIRE(open != std::string::npos);
    open += 8;
    auto close = readme.find("```", open);
    REQUIRE(close != std::string::npos);
    return readme.substr(open, close - open);
}

sapo::flows::Registry registry() {
    sapo::flows::Registry r;
    std::vector<std::string> problems;
    auto t = sapo::flows::load_template(read(kRoot + "/templates/call_center.json"), problems);
    REQUIRE(t);
    r.templates.emplace(t->id, *t);
    r.effects = flowtest::registry().effects;  // the effects as the bot declares them
    auto qr = sapo::flows::load_template(read(kRoot + "/templates/facility_qr.json"), problems);
    REQUIRE(qr);
    r.templates.emplace(qr->id, *qr);
    for (const char* file : {"health_emergency", "support_centre", "support_line24"}) {
        auto loaded = sapo::flows::load_template(read(kRoot + "/templates/" + file + ".json"), problems);
        REQUIRE(loaded);
        r.templates.emplace(loaded->id, *loaded);
    }
    r.globals = flowtest::registry().globals;
    for (const auto& e : std::filesystem::directory_iterator(kRoot + "/flows/definitions")) {
        r.flow_ids.push_back(e.path().stem().string());
    }
    return r;
}

}  // namespace

TEST_CASE("schema: every shipped flow satisfies the schema and the validator", "[unit][flows][schema]") {
    auto reg = registry();
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(kRoot + "/flows/definitions")) {
        if (e.path().extension() != ".json") continue;
        ++files;
        auto json = read(e.path().string());
        INFO(e.path().string());
        CHECK(schema_problem(json).empty());
        auto loaded = sapo::flows::load_flow(json, reg);
        for (const auto& p : loaded.problems) FAIL_CHECK(sapo::flows::format_problem(e.path().string(), p));
        CHECK(loaded.flow);
        CHECK(loaded.id == e.path().stem().string());  // the file is named after the flow
    }
    CHECK(files >= 3);
}

TEST_CASE("schema: the README's complete example is valid and uses every kind of node it documents", "[unit][flows][schema]") {
    auto json = readme_example();
    CHECK(schema_problem(json).empty());
    auto loaded = sapo::flows::load_flow(json, registry());
    for (const auto& p : loaded.problems) FAIL_CHECK(sapo::flows::format_problem("README example", p));
    REQUIRE(loaded.flow);
    CHECK(loaded.flow->id == "fever_check");
}

TEST_CASE("schema: structural mistakes are refused by the schema too", "[unit][flows][schema]") {
    const std::string base = R"({"schema_version": 1, "id": "x", "start": "a", "nodes": {"a": )";
    CHECK(schema_problem(base + R"({"type": "end"}}})").empty());
    CHECK_FALSE(schema_problem(base + R"({"type": "question"}}})").empty());
    CHECK_FALSE(schema_problem(base + R"({"type": "end", "nxt": "b"}}})").empty());
    CHECK_FALSE(schema_problem(base + R"({"type": "message", "text": {"en": "no ja"}, "next": "a"}}})").empty());
    CHECK_FALSE(schema_problem(base + R"({"type": "branch", "cases": [{"if": {"+": [1, 2]}, "next": "a"}], "else": "a"}}})").empty());
    CHECK_FALSE(schema_problem(R"({"schema_version": 2, "id": "x", "start": "a", "nodes": {"a": {"type": "end"}}})").empty());
    CHECK_FALSE(schema_problem(R"({"schema_version": 1, "id": "Bad-Id", "start": "a", "nodes": {"a": {"type": "end"}}})").empty());
}
