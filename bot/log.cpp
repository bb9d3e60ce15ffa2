#include "bot/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace sapo::log {
namespace {

std::atomic<Level> g_level{Level::info};

spdlog::logger& logger() {
    // stderr, one line per record; the JSON is built here so the pattern is only the payload.
    static auto instance = [] {
        auto l = spdlog::stderr_logger_mt("sapo");
        l->set_pattern("%v");
        l->set_level(spdlog::level::trace);
        l->flush_on(spdlog::level::trace);
        return l;
    }();
    return *instance;
}

const char* level_name(Level level) {
    switch (level) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
    }
    return "info";
}

std::string timestamp() {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms.count()));
    return out;
}

}  // namespace

void set_level(Level level) { g_level.store(level); }

bool parse_level(std::string_view name, Level& out) {
    if (name == "debug") {
        out = Level::debug;
    } else if (name == "info") {
        out = Level::info;
    } else if (name == "warn" || name == "warning") {
        out = Level::warn;
    } else if (name == "error") {
        out = Level::error;
    } else {
        return false;
    }
    return true;
}

bool enabled(Level level) { return static_cast<int>(level) >= static_cast<int>(g_level.load()); }

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

void write(Level level, std::string_view msg, Fields fields) {
    if (!enabled(level)) return;
    std::string line;
    line.reserve(96 + msg.size());
    line += R"({"ts":")";
    line += timestamp();
    line += R"(","level":")";
    line += level_name(level);
    line += R"(","msg":")";
    line += json_escape(msg);
    line += '"';
    for (const auto& [key, value] : fields) {
        line += ",\"";
        line += json_escape(key);
        line += "\":\"";
        line += json_escape(value);
        line += '"';
    }
    line += '}';
    logger().info(line);
}

}  // namespace sapo::log
