#include "bot/dispatch/maintenance.hpp"

#include "bot/log.hpp"
#include "flows/tokyo_time.hpp"
#include "storage/errors.hpp"

namespace sapo::dispatch {

MaintenanceReport run_maintenance(storage::FacilityStore& store, const Clock& clock, int retention_days,
                                  HealthRetention health) {
    const auto now = clock.now_ms();
    constexpr std::int64_t kDay = 86'400'000;
    store.ensure_checkin_partitions(now, now + 62 * kDay);
    MaintenanceReport r;
    r.cutoff_ms = now - retention_days * kDay;
    r.purge = store.purge_checkins(r.cutoff_ms);
    log::info(
        "check-in retention applied",
        {{"retention_days", std::to_string(retention_days)},
         {"partitions_dropped", std::to_string(r.purge.partitions_dropped)},
         {"rows_in_dropped_partitions", std::to_string(r.purge.rows_in_dropped)},
         {"rows_deleted", std::to_string(r.purge.rows_deleted)},
         {"notification_recipients_deleted", std::to_string(r.purge.recipients_deleted)},
         {"faq_misses_deleted", std::to_string(r.purge.faq_misses_deleted)}}
    );
    if (health.store) {
        r.health_cutoff = flows::iso_date(flows::tokyo_date(now - health.days * kDay));
        r.health = health.store->purge(r.health_cutoff);
        log::info("health record retention applied",
                  {{"retention_days", std::to_string(health.days)},
                   {"patients_deleted", std::to_string(r.health.patients_deleted)},
                   {"prompts_deleted", std::to_string(r.health.prompts_deleted)}});
    }
    return r;
}

Maintenance::Maintenance(storage::FacilityStore& store, const Clock& clock, int retention_days,
                         std::chrono::milliseconds interval, HealthRetention health)
    : store_(store), clock_(clock), retention_days_(retention_days), interval_(interval), health_(health) {}

Maintenance::~Maintenance() { stop(); }

void Maintenance::start() { thread_ = std::thread([this] { loop(); }); }

void Maintenance::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Maintenance::loop() {
    for (;;) {
        try {
            run_maintenance(store_, clock_, retention_days_, health_);
        } catch (const std::exception& e) {
            log::warn("check-in retention failed; tried again later", {{"error", e.what()}});
        }
        std::unique_lock lock(mutex_);
        if (cv_.wait_for(lock, interval_, [&] { return stopping_; })) return;
    }
}

}  // namespace sapo::dispatch
