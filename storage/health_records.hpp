#pragma once
/// @file
/// @brief What storage keeps of the daily health report: patients, their reports, the alerts
/// their answers raise, and the scheduled prompts.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sapo::storage {

/// A patient in home care, registered by the health centre.
struct PatientRecord {
    std::int64_t id = 0;
    std::string label;
    std::string monitoring_from;  ///< "YYYY-MM-DD", Asia/Tokyo, inclusive
    std::string monitoring_to;
    std::optional<std::string> phone;
    std::optional<std::string> risk;
    bool pulse_oximeter = false;
    std::optional<std::string> enrollment_code;  ///< until used
    std::optional<std::int64_t> code_expires_ms;
    bool enrolled = false;  ///< a LINE account is linked (its id is never shown)
    std::optional<std::int64_t> enrolled_ms;
    std::optional<std::int64_t> ended_ms;  ///< monitoring stopped by an operator
    std::string created_by;
    std::int64_t created_ms = 0;
};

struct NewPatient {
    std::string label;
    std::string monitoring_from;
    std::string monitoring_to;
    std::optional<std::string> phone;
    std::optional<std::string> risk;
    bool pulse_oximeter = false;
    std::string created_by;
};

/// A change to a patient; unset fields stay as they are.
struct PatientPatch {
    std::optional<std::string> label;
    std::optional<std::string> monitoring_from;
    std::optional<std::string> monitoring_to;
    std::optional<std::optional<std::string>> phone;  ///< nullopt inside: remove it
    std::optional<std::optional<std::string>> risk;
    std::optional<bool> pulse_oximeter;
    bool end = false;  ///< stop monitoring now: no more prompts, no closing message
};

/// A finished report as the flow hands it over.
struct NewReport {
    std::int64_t patient_id = 0;
    std::string run;
    std::string report_date;  ///< Asia/Tokyo
    std::int64_t completed_ms = 0;
    std::optional<double> temperature;
    std::optional<int> spo2;
    std::string answers_json = "{}";  ///< item -> answer
};

/// One patient's day, for operators: the newest complete report, if any.
struct DayReport {
    std::int64_t patient_id = 0;
    std::string label;
    bool completed = false;
    int reports = 0;  ///< complete reports that day
    std::optional<std::int64_t> completed_ms;
    std::optional<double> temperature;
    std::optional<int> spo2;
    std::string answers_json = "{}";
    std::vector<std::string> flags;
};

/// A patient with no complete report on a day, for a phone call.
struct MissingPatient {
    std::int64_t patient_id = 0;
    std::string label;
    std::optional<std::string> phone;
    std::string reason;  ///< blocked | not_enrolled | no_report
    bool prompted = false;  ///< LINE accepted the morning prompt
    bool reminded = false;  ///< LINE accepted the reminder
};

struct AlertRecord {
    std::int64_t id = 0;
    std::int64_t patient_id = 0;
    std::string label;
    std::optional<std::string> phone;
    std::string reason;
    std::string detail;
    std::int64_t raised_ms = 0;
    std::string state;  ///< open | acknowledged
    std::optional<std::string> acked_by;
    std::optional<std::int64_t> acked_ms;
};

/// What the health retention removed.
struct HealthPurgeReport {
    std::int64_t patients_deleted = 0;  ///< with their reports, alerts and prompts
    std::int64_t prompts_deleted = 0;   ///< prompt rows of earlier days (and their batches)
};

/// The scheduled messages: the morning prompt, the reminder, the closing message.
enum class PromptSlot { morning, reminder, closing };
const char* prompt_slot_name(PromptSlot s);
std::optional<PromptSlot> parse_prompt_slot(const std::string& s);

}  // namespace sapo::storage
