#pragma once
/// @file
/// @brief Maps (method, path) to the endpoints: /webhook, /healthz, /readyz, /metrics.

#include "bot/http/server.hpp"
#include "bot/http/webhook_endpoint.hpp"
#include "storage/repository.hpp"

namespace sapo::http {

Handler make_router(WebhookEndpoint& webhook, const storage::HealthProbe& health);

}  // namespace sapo::http
