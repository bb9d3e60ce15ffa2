#pragma once
/// @file
/// @brief The personal-support questionnaire's storage: inside the event's transaction, the
/// consented answers and the follow-up (SupportTx); for operators and the follow-up job, the
/// totals and the due follow-ups (SupportStore).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sapo::storage {

/// A consented answer as kept: no user, the area only.
struct QuestionnaireAnswer {
    std::int64_t answered_ms = 0;
    std::string answered_date;  ///< Asia/Tokyo
    std::optional<std::string> age_band;
    std::string outcome;
    std::optional<std::string> area;  ///< 3 digits
    std::optional<std::string> centre;
    std::string answers_json = "{}";
};

class SupportTx {
public:
    virtual ~SupportTx() = default;
    virtual void save_answer(const QuestionnaireAnswer& a) = 0;
    /// Schedules (or replaces) the user's follow-up; false when they opted out (nothing scheduled).
    virtual bool schedule_followup(const std::string& user_id, const std::string& outcome, std::int64_t due_ms,
                                   std::int64_t now_ms) = 0;
    /// A newer answer that needs no follow-up (outcome A: call now) drops the pending one.
    virtual void drop_followup(const std::string& user_id) = 0;
    /// 配信停止: the pending follow-up is stopped and none is scheduled again. Returns whether one was
    /// pending.
    virtual bool opt_out(const std::string& user_id, std::int64_t now_ms) = 0;
};

/// One cell of the totals: the values of the grouping dimensions, in order, and the count.
struct SummaryCell {
    std::vector<std::string> keys;
    std::int64_t count = 0;
};

class SupportStore {
public:
    virtual ~SupportStore() = default;

    /// Consented answers from `from` to `to` (dates, inclusive) counted by `dimensions` (each of
    /// "day", "area", "outcome"), in key order. Single answers are never returned.
    virtual std::vector<SummaryCell> summary(const std::string& from, const std::string& to,
                                             const std::vector<std::string>& dimensions) = 0;

    /// Marks every pending follow-up due at `now_ms` (of users who have not blocked the bot) sent
    /// and queues its push in the outbox, in one transaction: `messages(language)` gives the LINE
    /// messages (a JSON array). Returns how many.
    virtual int send_due_followups(std::int64_t now_ms, const std::function<std::string(const std::string&)>& messages) = 0;
};

std::unique_ptr<SupportStore> make_pg_support_store(const std::string& database_url);

}  // namespace sapo::storage
