#pragma once
/// @file
/// @brief The daily health report's clock: at 09:00 Asia/Tokyo the prompt to every patient in
/// their monitoring period, at 10:00 the reminder to those without a complete report, the closing
/// message the morning after a period ends. The scheduler only claims (storage makes each
/// (patient, date, slot) claimable once, across instances and restarts); the prompt runner sends.
/// A slot stays open until 20:00, so an instance that starts late still sends it.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "bot/health/prompts.hpp"
#include "bot/periodic.hpp"
#include "flows/clock.hpp"
#include "storage/health_store.hpp"

namespace sapo::health {

struct ScheduleSettings {
    int morning_minute = 9 * 60;
    int reminder_minute = 10 * 60;
    std::chrono::minutes reminder_gap{30};  ///< a late morning prompt is not chased sooner than this
    std::chrono::milliseconds interval{30000};
};

/// No slot fires from 20:00 to midnight (Asia/Tokyo).
inline constexpr int kLastPromptMinute = 20 * 60;

/// The slots open at a Tokyo minute of the day (pure): closing and morning from the morning
/// time, the reminder from its own, none from 20:00.
std::vector<storage::PromptSlot> open_slots(int minute_of_day, const ScheduleSettings& s);

class HealthScheduler {
public:
    /// `on_claimed` runs after a claim that queued someone (the prompt runner starts at once).
    HealthScheduler(ScheduleSettings settings, std::unique_ptr<storage::HealthStore> store, const Clock& clock,
                    std::map<storage::PromptSlot, PromptMessages> messages, std::function<void()> on_claimed);
    ~HealthScheduler();  ///< stops

    HealthScheduler(const HealthScheduler&) = delete;
    HealthScheduler& operator=(const HealthScheduler&) = delete;

    void start();
    void stop();

    /// One look at the clock: claims every open slot for today. Returns how many were queued.
    int tick();
    /// Claims a slot now, whatever the time (an operator's "send it now"); the reminder then
    /// doesn't wait for the gap either. Returns how many were queued.
    int run_now(storage::PromptSlot slot);
    /// Today's date in Tokyo by the scheduler's clock ("2026-11-21").
    std::string today() const;

private:
    int claim(storage::PromptSlot slot, std::int64_t now_ms, std::int64_t gap_ms);

    ScheduleSettings settings_;
    std::unique_ptr<storage::HealthStore> store_;
    const Clock& clock_;
    std::map<storage::PromptSlot, PromptMessages> messages_;
    std::function<void()> on_claimed_;
    Periodic thread_;
};

}  // namespace sapo::health
