#include "bot/random.hpp"

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("random_hex: 2 lower-case hex characters per byte, never the same twice", "[unit][random]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto h = sapo::random_hex(16);
        REQUIRE(h.size() == 32);
        CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
        seen.insert(h);
    }
    CHECK(seen.size() == 1000);
    CHECK(sapo::random_hex(0).empty());
    CHECK(sapo::random_hex(3).size() == 6);
}
