#pragma once
/// @file
/// @brief The daily health report as its effects see it inside the event's transaction:
/// enrolment with the code from the health centre, the patient behind a LINE user, alerts and
/// reports. What is written here commits with the event's reply.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/health_records.hpp"

namespace sapo::storage {

class HealthTx {
public:
    virtual ~HealthTx() = default;

    /// The patient this LINE user reports for (not ended), if any.
    virtual std::optional<PatientRecord> patient_of(const std::string& user_id) = 0;

    /// When this user's wrong enrollment codes were sent, since `since_ms`, oldest first.
    virtual std::vector<std::int64_t> failed_attempts(const std::string& user_id, std::int64_t since_ms) = 0;
    virtual void record_attempt(const std::string& user_id, std::int64_t at_ms, bool ok) = 0;

    /// The patient holding this (unused) code, locked for the rest of the transaction.
    virtual std::optional<PatientRecord> patient_by_code(const std::string& code) = 0;
    /// Links the user to the patient and uses up the code. A link of the same user to a patient
    /// whose monitoring is over (before `today`) is ended first.
    virtual void link(std::int64_t patient_id, const std::string& user_id, std::int64_t at_ms, const std::string& today) = 0;

    /// Stores an alert; false when this conversation already raised one for this reason.
    virtual bool raise_alert(std::int64_t patient_id, const std::string& run, const std::string& reason,
                             const std::string& detail, std::int64_t at_ms) = 0;
    /// Queues a push (a JSON array of LINE messages) to a user or group in the outbox; the
    /// dispatcher's sweeper sends it with its own retry key.
    virtual void queue_push(const std::string& to, const std::string& messages_json) = 0;

    /// Stores a complete report; its flags are the reasons of the alerts its conversation raised.
    /// Returns the report's id.
    virtual std::int64_t save_report(const NewReport& report) = 0;
};

}  // namespace sapo::storage
