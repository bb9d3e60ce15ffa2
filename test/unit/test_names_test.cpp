// ctest splits a discovered test name at ';' (a CMake list), and the halves match no Catch2 test:
// such a test silently never runs under scripts/test. A '[' or ']' does worse: CMake does not
// split a list inside brackets, so an unbalanced one glues every later name of the file into one
// test that matches nothing. This keeps every name free of all three.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>

TEST_CASE("test names: no test case name contains a semicolon or a square bracket", "[unit][meta]") {
    const auto root = std::filesystem::path(SAPO_FIXTURES_DIR).parent_path();  // test/
    const std::regex name(R"re(TEST_CASE(?:_METHOD)?\(\s*(?:\w+\s*,\s*)?"((?:[^"\\]|\\.)*)")re");
    int names = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.path().extension() != ".cpp") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        auto s = text.str();
        for (std::sregex_iterator it(s.begin(), s.end(), name), end; it != end; ++it) {
            ++names;
            INFO(entry.path().string() << ": " << (*it)[1].str());
            CHECK((*it)[1].str().find_first_of(";[]") == std::string::npos);
        }
    }
    CHECK(names > 300);  // the scan really found the tests
}
