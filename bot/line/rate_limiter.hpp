#pragma once
/// @file
/// @brief A thread-safe token bucket that throttles LINE API calls on the client side.
///
/// LINE answers 429 once a channel exceeds its per-endpoint rate (2,000 req/s for reply, push,
/// multicast and profile) and documents no Retry-After header, so the client paces itself.

#include <chrono>
#include <functional>
#include <mutex>

namespace sapo::line {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    /// Returns the current time; injected so tests can drive the bucket without sleeping.
    using Now = std::function<Clock::time_point()>;

    /// A bucket refilled at `rate_per_s` tokens per second, holding at most max(1, rate_per_s)
    /// tokens (burst = one second's worth) and starting full. A rate <= 0 disables throttling.
    /// `now` is called under the limiter's lock and must be thread-safe.
    explicit RateLimiter(double rate_per_s, Now now = &Clock::now);

    /// The same with a bucket of max(1, burst) tokens: 1 spaces calls evenly from the first.
    RateLimiter(double rate_per_s, double burst, Now now = &Clock::now);

    /// Takes one token now, possibly borrowing against the future, and returns how long the
    /// caller must wait before using it (zero when a token was available). Never blocks.
    /// Thread-safe; concurrent reservations queue up behind each other.
    std::chrono::nanoseconds reserve();

    /// Blocks the calling thread until a token is available (reserve() + sleep).
    void acquire();

    double rate_per_s() const { return rate_; }

private:
    const double rate_;
    const double burst_;
    Now now_;
    std::mutex mutex_;
    double tokens_;  // may go negative: tokens promised to callers that are still waiting
    Clock::time_point last_;
};

}  // namespace sapo::line
