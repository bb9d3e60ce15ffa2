#include "bot/line/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

namespace sapo::line {

RateLimiter::RateLimiter(double rate_per_s, Now now) : RateLimiter(rate_per_s, rate_per_s, std::move(now)) {}

RateLimiter::RateLimiter(double rate_per_s, double burst, Now now)
    : rate_(rate_per_s),
      burst_(std::max(1.0, burst)),
      now_(std::move(now)),
      tokens_(burst_),
      last_(now_()) {}

std::chrono::nanoseconds RateLimiter::reserve() {
    if (!(rate_ > 0)) return std::chrono::nanoseconds{0};
    std::lock_guard lock(mutex_);
    const auto now = now_();
    // An injected clock may stand still or (by mistake) step back; never refill on that.
    if (now > last_) {
        const double elapsed_s = std::chrono::duration<double>(now - last_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed_s * rate_);
        last_ = now;
    }
    tokens_ -= 1.0;
    if (tokens_ >= 0) return std::chrono::nanoseconds{0};
    const double wait_ns = std::ceil(-tokens_ / rate_ * 1e9);
    return std::chrono::nanoseconds{static_cast<std::chrono::nanoseconds::rep>(wait_ns)};
}

void RateLimiter::acquire() {
    const auto wait = reserve();
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

}  // namespace sapo::line
