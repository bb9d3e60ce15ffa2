#pragma once
/// @file
/// @brief JSON log lines on stderr: {"ts","level","msg", ...fields}. Thread-safe.
///
/// Fields are for identifiers (request id, event id, status codes), never for message text or
/// other personal data at info level: operators ship these lines to shared log stores.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sapo::log {

enum class Level { debug, info, warn, error };

/// One key/value pair of a log line; values are always written as JSON strings.
using Field = std::pair<std::string_view, std::string_view>;
using Fields = std::initializer_list<Field>;

/// Sets the minimum level written; "debug", "info", "warn" or "error".
void set_level(Level level);

/// Parses a level name; returns false for an unknown name.
bool parse_level(std::string_view name, Level& out);

bool enabled(Level level);

void write(Level level, std::string_view msg, Fields fields = {});

inline void debug(std::string_view msg, Fields fields = {}) {
    if (enabled(Level::debug)) write(Level::debug, msg, fields);
}

inline void info(std::string_view msg, Fields fields = {}) { write(Level::info, msg, fields); }

inline void warn(std::string_view msg, Fields fields = {}) { write(Level::warn, msg, fields); }

inline void error(std::string_view msg, Fields fields = {}) { write(Level::error, msg, fields); }

/// Escapes a string for inclusion inside a JSON string literal (without the quotes).
std::string json_escape(std::string_view s);

}  // namespace sapo::log
