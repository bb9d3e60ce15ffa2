#pragma once
/// @file
/// @brief Flow versions for operators (CLI and admin API): drafts, publishing, history, and the
/// audit log of who changed what. Validation is the caller's: the store only keeps documents.

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sapo::storage {

struct FlowVersionRecord {
    std::string flow_id;
    int version = 0;
    std::string status;  ///< "draft" or "published"
    std::string definition;
    std::string created_by;
    std::string created_at;  ///< ISO 8601, UTC
    std::string updated_at;
    std::string published_by;
    std::string published_at;
};

struct FlowSummary {
    std::string flow_id;
    int published_version = 0;  ///< 0: never published
    int draft_version = 0;      ///< 0: no draft
    std::string updated_at;
};

struct DraftResult {
    int version = 0;
    bool changed = false;  ///< false: identical to the newest version, nothing written
};

class FlowStore {
public:
    virtual ~FlowStore() = default;

    virtual std::vector<FlowSummary> list() = 0;
    /// A version, or the newest (draft or published) when `version` is empty.
    virtual std::optional<FlowVersionRecord> get(const std::string& flow_id, std::optional<int> version) = 0;
    virtual std::optional<FlowVersionRecord> draft(const std::string& flow_id) = 0;

    /// Creates the flow's draft (the next version number) or replaces it. A document identical to
    /// the newest version writes nothing. Audited as `action` by `actor`.
    virtual DraftResult put_draft(
        const std::string& flow_id,
        const std::string& definition,
        const std::string& actor,
        const std::string& action
    ) = 0;

    /// Publishes draft `version` if it is still the draft and still holds exactly `definition`
    /// (the document the caller validated; a draft replaced meanwhile is not published).
    virtual bool publish(const std::string& flow_id, int version, const std::string& definition,
                         const std::string& actor) = 0;

    /// Installs `definition` as published version 1 when the flow has no version at all (first
    /// start of a fresh database). Returns whether it did.
    virtual bool seed(const std::string& flow_id, const std::string& definition, const std::string& actor) = 0;

    /// Ids of every flow with at least one version.
    virtual std::vector<std::string> flow_ids() = 0;

    /// Records an operator action that is not a write of its own (e.g. a refused publish).
    virtual void audit(const std::string& actor, const std::string& action, const std::string& subject,
                       const std::string& details_json) = 0;
};

/// One connection, serialised by a mutex: operator actions are rare.
std::unique_ptr<FlowStore> make_pg_flow_store(const std::string& database_url);

}  // namespace sapo::storage
