#pragma once
/// @file
/// @brief Facilities for operators (admin API) and for the public QR and poster pages; check-in
/// retention; values sapo keeps once generated. One connection, serialised by a mutex.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/facility_records.hpp"

namespace sapo::storage {

class FacilityStore {
public:
    virtual ~FacilityStore() = default;

    /// Each change is written to audit_log as `actor`.
    virtual FacilityRecord create(const NewFacility& f, const std::string& actor) = 0;
    virtual std::optional<FacilityRecord> get(std::int64_t id) = 0;
    virtual std::vector<FacilityRecord> list() = 0;
    virtual std::optional<FacilityRecord> update(std::int64_t id, const FacilityPatch& patch, const std::string& actor) = 0;
    virtual std::optional<FacilityRecord> close(std::int64_t id, const std::string& actor) = 0;

    /// The named secret; made with `generate` and kept the first time it is asked for.
    virtual std::string secret(const std::string& name, const std::function<std::string()>& generate) = 0;

    /// Drops the monthly check-in partitions that end before `cutoff_ms` and deletes the older
    /// rows of the partition the cutoff falls in.
    virtual PurgeReport purge_checkins(std::int64_t cutoff_ms) = 0;
    /// Makes sure the partitions for the months of `from_ms` .. `to_ms` exist.
    virtual void ensure_checkin_partitions(std::int64_t from_ms, std::int64_t to_ms) = 0;
};

std::unique_ptr<FacilityStore> make_pg_facility_store(const std::string& database_url);

}  // namespace sapo::storage
