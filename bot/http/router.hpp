#pragma once
/// @file
/// @brief Maps (method, path) to the endpoints: /webhook, /healthz, /readyz, /metrics.

#include "bot/http/admin_endpoints.hpp"
#include "bot/http/dev_endpoints.hpp"
#include "bot/http/facility_pages.hpp"
#include "bot/http/server.hpp"
#include "bot/http/webhook_endpoint.hpp"
#include "storage/repository.hpp"

namespace sapo::http {

/// `dev` (local mode only; null otherwise) adds /dev/chat, /dev/api/... and /dev/clock;
/// `admin` (null: none) adds /admin/api/...; `facilities` (null: none) /facilities/{code}/....
Handler make_router(
    WebhookEndpoint& webhook,
    const storage::HealthProbe& health,
    DevEndpoints* dev = nullptr,
    AdminEndpoints* admin = nullptr,
    FacilityPages* facilities = nullptr
);

}  // namespace sapo::http
