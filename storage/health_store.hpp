#pragma once
/// @file
/// @brief The daily health report for operators and the scheduler: patients, a day's reports,
/// who did not answer, alerts, and claiming a slot's prompts. One connection, serialised.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/fanout_store.hpp"
#include "storage/health_records.hpp"

namespace sapo::storage {

class HealthStore {
public:
    virtual ~HealthStore() = default;

    /// Registers a patient with a fresh enrollment code from `make_code` (called again if the code
    /// is taken), valid until `code_expires_ms`; audited as `p.created_by`.
    virtual PatientRecord create_patient(const NewPatient& p, const std::function<std::string()>& make_code,
                                         std::int64_t code_expires_ms) = 0;
    virtual std::optional<PatientRecord> patient(std::int64_t id) = 0;
    /// Newest first.
    virtual std::vector<PatientRecord> patients(int limit) = 0;
    /// nullopt when there is no such patient. Throws StorageError(data) when the period would end
    /// before it starts.
    virtual std::optional<PatientRecord> update_patient(std::int64_t id, const PatientPatch& patch,
                                                        const std::string& actor) = 0;
    /// A new code for a patient not enrolled yet; nullopt when unknown or already enrolled.
    virtual std::optional<PatientRecord> renew_code(std::int64_t id, const std::function<std::string()>& make_code,
                                                    std::int64_t code_expires_ms, const std::string& actor) = 0;

    /// Every patient whose monitoring covers `date`, with their newest complete report that day.
    virtual std::vector<DayReport> day_reports(const std::string& date) = 0;
    /// Patients of `date` with no complete report. `all`: everyone missing; otherwise only those
    /// who can't be prompted (blocked the bot, never enrolled), who go on the list at once.
    virtual std::vector<MissingPatient> missing(const std::string& date, bool all) = 0;

    /// Newest first; `state` "" for all, "open" or "acknowledged".
    virtual std::vector<AlertRecord> alerts(const std::string& state, int limit) = 0;
    enum class AckResult { acknowledged, already, not_found };
    virtual AckResult acknowledge(std::int64_t alert_id, const std::string& actor) = 0;

    /// Deletes the patients whose monitoring ended (by its last day, or when an operator ended
    /// it) before `before_date`, with their reports, alerts, prompts and enrolment; and every
    /// prompt row, batch and run of a day before it.
    virtual HealthPurgeReport purge(const std::string& before_date) = 0;

    /// Claims the slot's prompts for `date` (Asia/Tokyo) at `now_ms`: every patient due one and
    /// not yet sent one gets a row (the primary key makes each (patient, date, slot) claimed once,
    /// whichever instance asks), cut into batches of ≤ 500 per language with their retry keys, in
    /// one transaction. Due: morning — enrolled, monitoring covers the date, not ended, not blocked;
    /// reminder — also prompted this morning at least `reminder_gap_ms` ago and no complete report
    /// that day; closing — monitoring ended (by its date) within the last 7 days, never sent one.
    /// `messages_ja`/`messages_en`: JSON arrays of LINE messages. Returns how many were claimed.
    virtual int claim_prompts(PromptSlot slot, const std::string& date, std::int64_t now_ms,
                              std::int64_t reminder_gap_ms, const std::string& messages_ja,
                              const std::string& messages_en) = 0;
};

std::unique_ptr<HealthStore> make_pg_health_store(const std::string& database_url);

/// The prompt batches as a FanoutStore, for a FanoutRunner of their own.
std::unique_ptr<FanoutStore> make_pg_health_prompt_store(const std::string& database_url);

}  // namespace sapo::storage
