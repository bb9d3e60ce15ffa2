#include "bot/http/admin_replies.hpp"

#include <charconv>

#include "bot/log.hpp"

namespace sapo::http::admin {

Response reply(const Request& req, unsigned status, std::string body) {
    return json_response(status, std::move(body), req.version(), req.keep_alive());
}

Response message(const Request& req, unsigned status, const std::string& text) {
    return reply(req, status, "{\"message\":\"" + log::json_escape(text) + "\"}");
}

Response not_allowed(const Request& req, const char* allow) {
    auto res = message(req, 405, std::string("use ") + allow);
    res.set(boost::beast::http::field::allow, allow);
    return res;
}

void write_string(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

std::optional<std::int64_t> parse_id(const std::string& s) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc{} || p != s.data() + s.size() || id <= 0) return std::nullopt;
    return id;
}

}  // namespace sapo::http::admin
