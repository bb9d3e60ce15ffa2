#pragma once
/// @file
/// @brief What handling one event may read and write, inside that event's transaction: the
/// user's session, the flows it runs on, and what effects change. Everything written here commits
/// or rolls back together with the event's processed mark and its outbox row.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flows/engine.hpp"
#include "storage/checkin_tx.hpp"
#include "storage/faq_tx.hpp"
#include "storage/health_tx.hpp"
#include "storage/support_store.hpp"

namespace sapo::storage {

class ConversationStore {
public:
    virtual ~ConversationStore() = default;

    virtual std::optional<flows::Session> load_session(const std::string& user_id) = 0;
    virtual void save_session(const std::string& user_id, const flows::Session& session) = 0;
    virtual void end_session(const std::string& user_id) = 0;

    /// The user's language, as an effect chose it (overrides the LINE profile's).
    virtual void set_language(const std::string& user_id, const std::string& language) = 0;

    /// The newest published version of every flow.
    virtual std::vector<std::pair<std::string, int>> published_versions() = 0;
    /// A published flow version's JSON (drafts are never run).
    virtual std::optional<std::string> flow_definition(const std::string& flow_id, int version) = 0;

    /// Facilities and check-ins, in the same transaction.
    virtual CheckinTx& facilities() = 0;

    /// The FAQ, for the faq.* effects.
    virtual FaqTx& faq() = 0;

    /// Patients, enrolment, alerts and reports, for the health.* effects.
    virtual HealthTx& health() = 0;

    /// The questionnaire's answers and follow-ups, for the support.* effects.
    virtual SupportTx& support() = 0;
};

}  // namespace sapo::storage
