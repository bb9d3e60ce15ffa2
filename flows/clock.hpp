#pragma once
/// @file
/// @brief The one clock every service takes the time from, so that local mode can move time
/// forward (POST /dev/clock) to try schedules, and tests can fix it.

#include <atomic>
#include <chrono>

namespace sapo {

class Clock {
public:
    using time_point = std::chrono::system_clock::time_point;

    virtual ~Clock() = default;
    virtual time_point now() const = 0;

    std::int64_t now_ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
    }
};

/// Real time plus an offset that only ever moves forward (time never runs backwards for the
/// services). The offset is zero in production; local mode lets the chat page advance it.
class AdjustableClock final : public Clock {
public:
    time_point now() const override {
        return std::chrono::system_clock::now() + std::chrono::milliseconds(offset_ms_.load());
    }

    /// Moves time forward by `by` (negative values are ignored).
    void advance(std::chrono::milliseconds by) {
        if (by.count() > 0) offset_ms_ += by.count();
    }

    /// Moves time forward to `target`; a target in the past is ignored. Returns the new now().
    time_point advance_to(time_point target) {
        // rounded up, so that now() is never a fraction before the target afterwards
        auto delta = std::chrono::ceil<std::chrono::milliseconds>(target - now());
        advance(delta);
        return now();
    }

    std::chrono::milliseconds offset() const { return std::chrono::milliseconds(offset_ms_.load()); }

private:
    std::atomic<std::int64_t> offset_ms_{0};
};

}  // namespace sapo
