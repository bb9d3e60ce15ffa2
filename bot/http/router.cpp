#include "bot/http/router.hpp"

#include "bot/log.hpp"
#include "bot/metrics.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;

namespace {

Response text_response(unsigned status, std::string body, const Request& req, const char* type) {
    Response res{static_cast<bhttp::status>(status), req.version()};
    res.set(bhttp::field::server, "sapo");
    res.set(bhttp::field::content_type, type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

}  // namespace

Handler make_router(WebhookEndpoint& webhook, const storage::HealthProbe& health, DevEndpoints* dev, AdminEndpoints* admin,
                    FacilityPages* facilities) {
    return [&webhook, &health, dev, admin, facilities](Request&& req, Respond respond) {
        auto target = std::string(req.target());
        auto path = target.substr(0, target.find('?'));
        const auto method = req.method();
        auto only = [&](bhttp::verb allowed) {
            if (method == allowed) return true;
            auto res = json_response(405, R"({"message":"method not allowed"})", req.version(), req.keep_alive());
            res.set(bhttp::field::allow, bhttp::to_string(allowed));
            respond(std::move(res));
            return false;
        };
        if (path == "/webhook") {
            if (only(bhttp::verb::post)) webhook.handle(std::move(req), std::move(respond));
        } else if (path == "/healthz") {
            if (only(bhttp::verb::get)) respond(json_response(200, R"({"status":"ok"})", req.version(), req.keep_alive()));
        } else if (path == "/readyz") {
            if (!only(bhttp::verb::get)) return;
            std::string why;
            bool ok = health.ready(why);
            respond(json_response(
                ok ? 200 : 503,
                ok ? R"({"status":"ready"})"
                   : R"({"status":"not ready","reason":")" + log::json_escape(why) + "\"}",
                req.version(),
                req.keep_alive()
            ));
        } else if (path == "/metrics") {
            if (only(bhttp::verb::get)) {
                respond(text_response(200, metrics::global().render(), req, "text/plain; version=0.0.4; charset=utf-8"));
            }
        } else if (admin && admin->handle(req, path, respond)) {
            return;
        } else if (facilities && facilities->handle(req, path, respond)) {
            return;
        } else if (dev && dev->handle(req, path, respond)) {
            return;
        } else {
            respond(json_response(404, R"({"message":"not found"})", req.version(), req.keep_alive()));
        }
    };
}

}  // namespace sapo::http
