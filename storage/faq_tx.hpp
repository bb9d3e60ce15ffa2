#pragma once
/// @file
/// @brief The FAQ as an effect sees it inside its event's transaction: the set's version (one
/// cheap read per question, so a PUT is used by the very next question on every instance), the
/// entries when the version changed, and the questions it could not answer.

#include <cstdint>
#include <string>
#include <vector>

#include "flows/faq_entries.hpp"

namespace sapo::storage {

class FaqTx {
public:
    virtual ~FaqTx() = default;

    virtual std::int64_t version() = 0;
    /// The whole set in its order, disabled entries included.
    virtual std::vector<flows::faq::Entry> entries() = 0;
    /// `reason`: "no_match" or "not_helpful" (then `entry_id` names the answer). No user id.
    virtual void record_miss(const std::string& text, const std::string& reason, const std::string& entry_id) = 0;
};

}  // namespace sapo::storage
