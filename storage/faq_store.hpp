#pragma once
/// @file
/// @brief The FAQ for operators (admin API, sapo faq): read, replace the whole set, change one
/// entry, the unanswered questions. Every change bumps the set's version and is audited. One
/// connection, serialised.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flows/faq_entries.hpp"

namespace sapo::storage {

struct FaqMiss {
    std::string text;
    std::string reason;  ///< no_match | not_helpful
    std::string entry_id;
    std::string at;      ///< ISO 8601, UTC
};

class FaqStore {
public:
    virtual ~FaqStore() = default;

    virtual std::vector<flows::faq::Entry> entries() = 0;
    virtual std::int64_t version() = 0;
    /// Replaces the set (already checked) in one transaction; returns the new version.
    virtual std::int64_t replace(const std::vector<flows::faq::Entry>& entries, const std::string& actor) = 0;
    /// Replaces the set only when there is none yet (a fresh database); true when it did.
    virtual bool seed(const std::vector<flows::faq::Entry>& entries, const std::string& actor) = 0;
    /// Changes one entry (already checked); false when there is no such id.
    virtual bool update(const flows::faq::Entry& entry, const std::string& actor) = 0;
    /// Unanswered questions since `since_ms` (0: all), newest first, at most `limit`.
    virtual std::vector<FaqMiss> misses(std::int64_t since_ms, int limit) = 0;
    /// Deletes unanswered questions older than `cutoff_ms` (retention); returns how many.
    virtual std::int64_t purge_misses(std::int64_t cutoff_ms) = 0;
};

std::unique_ptr<FaqStore> make_pg_faq_store(const std::string& database_url);

}  // namespace sapo::storage
