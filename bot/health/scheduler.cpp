#include "bot/health/scheduler.hpp"

#include "bot/log.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::health {

using storage::PromptSlot;

std::vector<PromptSlot> open_slots(int minute_of_day, const ScheduleSettings& s) {
    std::vector<PromptSlot> out;
    // a late prompt still goes, but not at night: "good morning" at 22:00 helps nobody, and a
    // patient enrolled in the evening is prompted the next morning
    if (minute_of_day >= kLastPromptMinute) return out;
    if (minute_of_day >= s.morning_minute) {
        out.push_back(PromptSlot::closing);
        out.push_back(PromptSlot::morning);
    }
    if (minute_of_day >= s.reminder_minute) out.push_back(PromptSlot::reminder);
    return out;
}

HealthScheduler::HealthScheduler(ScheduleSettings settings, std::unique_ptr<storage::HealthStore> store, const Clock& clock,
                                 std::map<PromptSlot, PromptMessages> messages, std::function<void()> on_claimed)
    : settings_(settings),
      store_(std::move(store)),
      clock_(clock),
      messages_(std::move(messages)),
      on_claimed_(std::move(on_claimed)),
      thread_("health scheduler", settings.interval, [this] { tick(); }) {}

HealthScheduler::~HealthScheduler() { stop(); }

std::string HealthScheduler::today() const { return flows::iso_date(flows::tokyo_date(clock_.now_ms())); }

int HealthScheduler::claim(PromptSlot slot, std::int64_t now_ms, std::int64_t gap_ms) {
    const auto& m = messages_.at(slot);
    const auto date = flows::iso_date(flows::tokyo_date(now_ms));
    const int queued = store_->claim_prompts(slot, date, now_ms, gap_ms, m.ja, m.en);
    if (queued > 0) {
        log::info("health prompts queued", {{"slot", storage::prompt_slot_name(slot)}, {"date", date},
                                            {"patients", std::to_string(queued)}});
        if (on_claimed_) on_claimed_();
    }
    return queued;
}

int HealthScheduler::tick() {
    const auto now = clock_.now_ms();
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.reminder_gap).count();
    int queued = 0;
    for (auto slot : open_slots(flows::tokyo_minute_of_day(now), settings_)) queued += claim(slot, now, gap);
    return queued;
}

int HealthScheduler::run_now(PromptSlot slot) { return claim(slot, clock_.now_ms(), 0); }

void HealthScheduler::start() { thread_.start(); }

void HealthScheduler::stop() { thread_.stop(); }

}  // namespace sapo::health
