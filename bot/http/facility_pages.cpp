#include "bot/http/facility_pages.hpp"

#include "bot/facility/poster.hpp"
#include "bot/facility/qr.hpp"
#include "bot/log.hpp"
#include "storage/errors.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;

namespace {

Response content(const Request& req, unsigned status, std::string body, const char* type) {
    Response res{static_cast<bhttp::status>(status), req.version()};
    res.set(bhttp::field::server, "sapo");
    res.set(bhttp::field::content_type, type);
    // the code decides the content, which only changes when the facility is renamed
    res.set(bhttp::field::cache_control, "public, max-age=300");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

}  // namespace

bool FacilityPages::handle(const Request& req, const std::string& path, const Respond& respond) {
    constexpr std::string_view kPrefix = "/facilities/";
    if (path.rfind(kPrefix, 0) != 0) return false;
    auto rest = path.substr(kPrefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) {
        respond(json_response(404, R"({"message":"not found"})", req.version(), req.keep_alive()));
        return true;
    }
    if (req.method() != bhttp::verb::get) {
        auto res = json_response(405, R"({"message":"use GET"})", req.version(), req.keep_alive());
        res.set(bhttp::field::allow, "GET");
        respond(std::move(res));
        return true;
    }
    try {
        respond(page(req, rest.substr(0, slash), rest.substr(slash + 1)));
    } catch (const storage::StorageError& e) {
        log::warn("facility page: database error", {{"error", e.what()}});
        respond(json_response(503, R"({"message":"the database is not available; try again"})", req.version(), req.keep_alive()));
    } catch (const std::exception& e) {
        log::error("facility page: unexpected error", {{"error", e.what()}});
        respond(json_response(500, R"({"message":"internal error"})", req.version(), req.keep_alive()));
    }
    return true;
}

Response FacilityPages::page(const Request& req, const std::string& code, const std::string& what) {
    if (what != "qr.png" && what != "qr.svg" && what != "poster") {
        return json_response(404, R"({"message":"not found"})", req.version(), req.keep_alive());
    }
    auto id = links_.codes().facility_of(code);
    auto f = id ? store_.get(*id) : std::nullopt;
    if (!f) return json_response(404, R"({"message":"no facility has this code"})", req.version(), req.keep_alive());
    if (f->status != "active") {
        return json_response(410, R"({"message":"this facility is closed"})", req.version(), req.keep_alive());
    }
    auto l = links_.links(f->id);
    if (what == "qr.png") return content(req, 200, facility::qr_png(l.checkin_url), "image/png");
    auto svg = facility::qr_svg(l.checkin_url);
    if (what == "qr.svg") return content(req, 200, svg, "image/svg+xml");
    facility::PosterInfo info{f->name, f->kind, f->address, l.code, l.checkin_text, l.checkin_url, svg};
    return content(req, 200, facility::poster_html(info), "text/html; charset=utf-8");
}

}  // namespace sapo::http
