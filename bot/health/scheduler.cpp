#include "bot/health/scheduler.hpp"

#include "bot/log.hpp"
#include "flows/tokyo_time.hpp"
#include "storage/errors.hpp"

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
      on_claimed_(std::move(on_claimed)) {}

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

void HealthScheduler::start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void HealthScheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void HealthScheduler::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            tick();
        } catch (const storage::StorageError& e) {
            log::warn("health scheduler: database error", {{"error", e.what()}});
        } catch (const std::exception& e) {
            log::error("health scheduler: unexpected error", {{"error", e.what()}});
        }
        lock.lock();
        cv_.wait_for(lock, settings_.interval, [this] { return stopping_; });
    }
}

}  // namespace sapo::health
