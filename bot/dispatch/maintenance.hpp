#pragma once
/// @file
/// @brief Keeping little and deleting on time: check-ins older than the retention are removed
/// (whole monthly partitions dropped, the edge deleted) and the coming months' partitions are
/// made ahead; patients whose monitoring ended long enough ago are deleted with their reports. Runs at start-up and then every `interval`; `sapo purge` runs it once.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "flows/clock.hpp"
#include "storage/facility_store.hpp"
#include "storage/health_store.hpp"

namespace sapo::dispatch {

struct MaintenanceReport {
    storage::PurgeReport purge;
    std::int64_t cutoff_ms = 0;
    storage::HealthPurgeReport health;
    std::string health_cutoff;  ///< "YYYY-MM-DD": patients whose monitoring ended before it are deleted
};

/// The health report's records are kept `days` after a patient's monitoring ends.
struct HealthRetention {
    storage::HealthStore* store = nullptr;  ///< null: not purged
    int days = 90;
};

/// One round: partitions for this month and the next two, then the purge. Throws StorageError.
MaintenanceReport run_maintenance(storage::FacilityStore& store, const Clock& clock, int retention_days,
                                  HealthRetention health = {});

class Maintenance {
public:
    Maintenance(storage::FacilityStore& store, const Clock& clock, int retention_days, std::chrono::milliseconds interval,
                HealthRetention health = {});
    ~Maintenance();
    void start();
    void stop();

private:
    void loop();

    storage::FacilityStore& store_;
    const Clock& clock_;
    const int retention_days_;
    const std::chrono::milliseconds interval_;
    const HealthRetention health_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sapo::dispatch
