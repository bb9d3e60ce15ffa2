#pragma once
/// @file
/// @brief What operators read about a red flag: the reasons the health_report flow raises, in
/// words, and the push to the operators' LINE group.

#include <cstdint>
#include <string>

namespace sapo::health {

/// The reason in the operator's words ("高熱（39.0℃以上）"); an id the flow made up is shown as is.
std::string reason_text(const std::string& reason, const std::string& language);

struct AlertNotice {
    std::int64_t patient_id = 0;
    std::string label;
    std::string phone;  ///< "" when none
    std::string reason;
    std::string detail;
    std::int64_t raised_ms = 0;
};

/// The push to the operators' group: one text message, Japanese then English (a JSON array).
std::string alert_push_json(const AlertNotice& a);

}  // namespace sapo::health
