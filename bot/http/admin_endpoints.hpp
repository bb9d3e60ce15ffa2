#pragma once
/// @file
/// @brief The operators' admin API (/admin/api/...), behind a bearer token (SAPO_ADMIN_TOKEN):
/// flows (list, read and replace the draft, validate, publish), facilities and notifications. Every change is written
/// to the audit log with the operator's name (X-Operator header until accounts exist).
///
/// The handlers run on the endpoints' own worker thread, one request at a time, never on an I/O
/// thread: an approval that freezes 100,000 recipients must not hold up the webhook.

#include <functional>
#include <string>

#include "bot/dispatch/effects.hpp"
#include <boost/asio/thread_pool.hpp>

#include "bot/http/admin_facilities.hpp"
#include "bot/http/admin_faq.hpp"
#include "bot/http/admin_health.hpp"
#include "bot/http/admin_notifications.hpp"
#include "bot/http/admin_support.hpp"
#include "bot/http/server.hpp"
#include "storage/flow_store.hpp"

namespace sapo::http {

class AdminEndpoints {
public:
    /// `on_publish` runs after a flow is published (the dispatcher's catalog re-reads versions).
    /// `facilities` (null: none) serves /admin/api/facilities.
    /// `notifications` (null: none) serves /admin/api/notifications and notification-templates,
    /// `faq` (null: none) /admin/api/faq, `health` (null: none) /admin/api/patients, health/…
    /// and alerts, `support` (null: none) /admin/api/questionnaire/….
    AdminEndpoints(std::string token, storage::FlowStore& flows, const dispatch::EffectRegistry& effects,
                   std::function<void()> on_publish, AdminFacilities* facilities = nullptr,
                   AdminNotifications* notifications = nullptr, AdminFaq* faq = nullptr, AdminHealth* health = nullptr,
                   AdminSupport* support = nullptr)
        : token_(std::move(token)),
          flows_(flows),
          effects_(effects),
          on_publish_(std::move(on_publish)),
          facilities_(facilities),
          notifications_(notifications),
          faq_(faq),
          health_(health),
          support_(support) {}

    /// Waits for the requests already taken to be answered.
    ~AdminEndpoints();

    AdminEndpoints(const AdminEndpoints&) = delete;
    AdminEndpoints& operator=(const AdminEndpoints&) = delete;

    /// True when the path is under /admin/api/ (then `respond` has been called).
    bool handle(const Request& req, const std::string& path, const Respond& respond);

private:
    Response route(const Request& req, const std::string& path);
    Response list_flows(const Request& req);
    Response get_draft(const Request& req, const std::string& id);
    Response put_draft(const Request& req, const std::string& id);
    Response validate(const Request& req, const std::string& id);
    Response publish(const Request& req, const std::string& id);

    std::string token_;
    storage::FlowStore& flows_;
    const dispatch::EffectRegistry& effects_;
    std::function<void()> on_publish_;
    AdminFacilities* facilities_;
    AdminNotifications* notifications_;
    AdminFaq* faq_;
    AdminHealth* health_;
    AdminSupport* support_;
    boost::asio::thread_pool worker_{1};
};

}  // namespace sapo::http
