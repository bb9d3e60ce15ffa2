#include "bot/http/admin_replies.hpp"

#include <boost/url/parse.hpp>

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

Response invalid_fields(const Request& req, const std::string& what, const std::map<std::string, std::string>& errors) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("message");
    std::string summary = what + " is not valid: ";
    for (auto it = errors.begin(); it != errors.end(); ++it) summary += (it == errors.begin() ? "" : "; ") + it->second;
    write_string(w, summary);
    w.Key("errors");
    w.StartObject();
    for (const auto& [field, why] : errors) {
        write_string(w, field);
        write_string(w, why);
    }
    w.EndObject();
    w.EndObject();
    return reply(req, 422, buf.GetString());
}

std::optional<std::string> query_param(const Request& req, const char* name) {
    auto url = boost::urls::parse_origin_form(std::string_view(req.target().data(), req.target().size()));
    if (!url) return std::nullopt;
    auto it = url->params().find(name);
    if (it == url->params().end()) return std::nullopt;
    return std::string((*it).value);
}

}  // namespace sapo::http::admin
