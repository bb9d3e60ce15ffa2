#pragma once
/// @file
/// @brief Access to LINE's public webhook fixtures in test/fixtures/line (see SOURCES.md there).

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sapo::webhook::test {

/// test/fixtures/line
inline std::filesystem::path line_fixtures_dir() {
    return std::filesystem::path(SAPO_FIXTURES_DIR) / "line";
}

/// The exact bytes of test/fixtures/line/<relative>; throws when the file cannot be read, so a
/// missing fixture fails the test instead of testing an empty body.
inline std::string read_line_fixture(std::string_view relative) {
    const std::filesystem::path path = line_fixtures_dir() / relative;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open fixture " + path.string());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace sapo::webhook::test
