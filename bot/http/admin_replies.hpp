#pragma once
/// @file
/// @brief What every admin API resource answers with: JSON bodies, `{"message": …}` errors, 405
/// with Allow, ids from the path.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bot/http/server.hpp"

namespace sapo::http::admin {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// A JSON response keeping the request's HTTP version and keep-alive.
Response reply(const Request& req, unsigned status, std::string body);
/// `{"message": text}` with the status.
Response message(const Request& req, unsigned status, const std::string& text);
/// 405 naming the allowed methods in the message and the Allow header.
Response not_allowed(const Request& req, const char* allow);
void write_string(Writer& w, std::string_view s);
/// A positive id from a path segment; nullopt for anything else.
std::optional<std::int64_t> parse_id(const std::string& s);
/// 422 `{"message": "<what> is not valid: …", "errors": {field: sentence}}`.
Response invalid_fields(const Request& req, const std::string& what, const std::map<std::string, std::string>& errors);
/// ?name= from the request's target, percent-decoded; nullopt when absent.
std::optional<std::string> query_param(const Request& req, const char* name);

}  // namespace sapo::http::admin
