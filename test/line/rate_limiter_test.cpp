#include "bot/line/rate_limiter.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using sapo::line::RateLimiter;

namespace {

/// A clock the test moves by hand.
struct ManualClock {
    RateLimiter::Clock::time_point now{RateLimiter::Clock::time_point{} + 1h};
    RateLimiter::Now fn() {
        return [this] { return now; };
    }
};

}  // namespace

TEST_CASE("rate limiter: a full bucket gives a burst of `rate` tokens, then makes callers wait", "[line]") {
    ManualClock clock;
    RateLimiter limiter(10, clock.fn());

    for (int i = 0; i < 10; ++i) CHECK(limiter.reserve() == 0ns);
    // The 11th token is 1/10 s away, the 12th 2/10 s: reservations queue up.
    CHECK(limiter.reserve() == 100ms);
    CHECK(limiter.reserve() == 200ms);
}

TEST_CASE("rate limiter: a burst of 1 spaces every call, the first one included", "[line]") {
    ManualClock clock;
    RateLimiter limiter(10, 1.0, clock.fn());
    CHECK(limiter.reserve() == 0ns);
    CHECK(limiter.reserve() == 100ms);
    CHECK(limiter.reserve() == 200ms);
    clock.now += 1s;  // the bucket refills to one token, never more
    CHECK(limiter.reserve() == 0ns);
    CHECK(limiter.reserve() == 100ms);
}

TEST_CASE("rate limiter: tokens come back at the configured rate", "[line]") {
    ManualClock clock;
    RateLimiter limiter(4, clock.fn());
    for (int i = 0; i < 4; ++i) REQUIRE(limiter.reserve() == 0ns);

    clock.now += 250ms;  // one token at 4/s
    CHECK(limiter.reserve() == 0ns);
    CHECK(limiter.reserve() == 250ms);
}

TEST_CASE("rate limiter: an idle bucket refills only up to the burst", "[line]") {
    ManualClock clock;
    RateLimiter limiter(5, clock.fn());
    clock.now += 1h;
    for (int i = 0; i < 5; ++i) CHECK(limiter.reserve() == 0ns);
    CHECK(limiter.reserve() > 0ns);
}

TEST_CASE("rate limiter: a waiting caller's reservation is paid back before new tokens count", "[line]") {
    ManualClock clock;
    RateLimiter limiter(2, clock.fn());
    REQUIRE(limiter.reserve() == 0ns);
    REQUIRE(limiter.reserve() == 0ns);
    REQUIRE(limiter.reserve() == 500ms);  // borrowed
    clock.now += 500ms;                   // ...which pays it back, nothing more
    CHECK(limiter.reserve() == 500ms);
}

TEST_CASE("rate limiter: a clock that steps back does not mint tokens", "[line]") {
    ManualClock clock;
    RateLimiter limiter(1, clock.fn());
    REQUIRE(limiter.reserve() == 0ns);
    clock.now -= 10s;
    CHECK(limiter.reserve() == 1s);
}

TEST_CASE("rate limiter: rate <= 0 disables throttling", "[line]") {
    ManualClock clock;
    RateLimiter limiter(0, clock.fn());
    for (int i = 0; i < 1000; ++i) REQUIRE(limiter.reserve() == 0ns);
}

TEST_CASE("rate limiter: concurrent reservations hand out each token once", "[line]") {
    ManualClock clock;
    RateLimiter limiter(100, clock.fn());
    std::atomic<int> immediate{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                if (limiter.reserve() == 0ns) ++immediate;
            }
        });
    }
    for (auto& t : threads) t.join();
    // The clock stands still: exactly the burst is free, the other 300 must wait.
    CHECK(immediate.load() == 100);
    CHECK(limiter.reserve() == std::chrono::duration_cast<std::chrono::nanoseconds>(301 * 10ms));
}

TEST_CASE("rate limiter: acquire blocks for the reserved wait on the real clock", "[line]") {
    RateLimiter limiter(20);  // burst 20, then one every 50 ms
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 23; ++i) limiter.acquire();
    CHECK(std::chrono::steady_clock::now() - start >= 140ms);
}
