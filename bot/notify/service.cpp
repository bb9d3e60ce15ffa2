#include "bot/notify/service.hpp"

#include "bot/notify/manager_notice.hpp"

namespace sapo::notify {

NotificationService::NotificationService(storage::NotificationStore& store, storage::FacilityStore& facilities,
                                         const Clock& clock, ServiceSettings settings)
    : store_(store), facilities_(facilities), clock_(clock), settings_(std::move(settings)) {}

CreateResult NotificationService::create(const DraftRequest& request) {
    CreateResult result;
    auto facility = request.facility_id > 0 ? facilities_.get(request.facility_id) : std::nullopt;
    auto draft = prepare_draft(request, facility ? &*facility : nullptr, shipped_notification_templates(), settings_.draft,
                               clock_.now_ms(), result.problems);
    if (!draft) return result;
    result.record = store_.create(*draft);
    result.targets = store_.count_targets(draft->facility_id, draft->start_ms, draft->end_ms);
    return result;
}

ActionResult NotificationService::approve(std::int64_t id, const std::string& approver) {
    using O = storage::ApproveOutcome;
    ActionResult r;
    switch (store_.approve(id, approver, settings_.two_person_rule)) {
        case O::approved:
            break;
        case O::not_found:
            return {ActionResult::Kind::not_found, "there is no notification " + std::to_string(id), std::nullopt};
        case O::not_draft:
            r = {ActionResult::Kind::conflict, "", store_.get(id)};
            r.message = "notification " + std::to_string(id) + " is " + (r.record ? r.record->status : "gone") +
                        ": only a draft can be approved";
            return r;
        case O::same_operator:
            return {ActionResult::Kind::forbidden,
                    "two-person rule: " + approver +
                        " drafted this notification, so another operator must approve it (name yourself with X-Operator "
                        "or sapo notify --as)",
                    store_.get(id)};
    }
    r.record = store_.get(id);
    return r;
}

ActionResult NotificationService::cancel(std::int64_t id, const std::string& actor) {
    using O = storage::CancelOutcome;
    switch (store_.cancel(id, actor, manager_cancelled_notice_json)) {
        case O::cancelled:
            return {ActionResult::Kind::ok, "", store_.get(id)};
        case O::not_found:
            return {ActionResult::Kind::not_found, "there is no notification " + std::to_string(id), std::nullopt};
        case O::already_finished: {
            auto record = store_.get(id);
            return {ActionResult::Kind::conflict,
                    "notification " + std::to_string(id) + " is " + (record ? record->status : "gone") +
                        ": there is nothing left to cancel",
                    record};
        }
    }
    return {};
}

std::optional<storage::NotificationRecord> NotificationService::get(std::int64_t id) { return store_.get(id); }

std::vector<storage::NotificationRecord> NotificationService::list(int limit) { return store_.list(limit); }

std::int64_t NotificationService::targets(const storage::NotificationRecord& n) {
    if (n.targets) return *n.targets;
    if (n.status != "draft") return 0;  // cancelled before approval: nobody was chosen
    return store_.count_targets(n.facility_id, n.start_ms, n.end_ms);
}

}  // namespace sapo::notify
