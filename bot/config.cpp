#include "bot/config.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace sapo {
namespace {

std::string read_file(const std::string& key, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(key, "cannot read config file " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void parse_listen(const std::string& key, const std::string& value, Config& c) {
    auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        throw ConfigError(key, "expected host:port, got \"" + value + "\"");
    }
    std::string host = value.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    int port = 0;
    auto port_text = value.substr(colon + 1);
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 0 ||
        port > 65535) {
        throw ConfigError(key, "port must be 0..65535, got \"" + port_text + "\"");
    }
    c.listen_host = host;
    c.listen_port = static_cast<unsigned short>(port);
}

long long parse_int(const std::string& key, const std::string& text, long long lo, long long hi) {
    long long v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) {
        throw ConfigError(key, "expected an integer, got \"" + text + "\"");
    }
    if (v < lo || v > hi) {
        throw ConfigError(
            key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi)
        );
    }
    return v;
}

void check_url(const std::string& key, const std::string& url) {
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        throw ConfigError(key, "must start with https:// (or http:// for a loopback test server)");
    }
}

/// "HH:MM" (00:00–23:59) as minutes since midnight.
int parse_clock_minute(const std::string& key, const std::string& v) {
    if (v.size() != 5 || v[2] != ':' || !std::isdigit(static_cast<unsigned char>(v[0])) ||
        !std::isdigit(static_cast<unsigned char>(v[1])) || !std::isdigit(static_cast<unsigned char>(v[3])) ||
        !std::isdigit(static_cast<unsigned char>(v[4]))) {
        throw ConfigError(key, "must be a time of day as HH:MM, e.g. 09:00");
    }
    const int h = (v[0] - '0') * 10 + (v[1] - '0');
    const int m = (v[3] - '0') * 10 + (v[4] - '0');
    if (h > 23 || m > 59) throw ConfigError(key, "must be a time of day as HH:MM between 00:00 and 23:59");
    return h * 60 + m;
}

/// A decimal number such as 39.0 within [lo, hi].
double parse_decimal(const std::string& key, const std::string& v, double lo, double hi) {
    double d = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || d < lo || d > hi) {
        std::ostringstream range;
        range << "must be a number from " << lo << " to " << hi;
        throw ConfigError(key, range.str());
    }
    return d;
}

/// Applies one setting given as text (from the file or the environment).
void apply(Config& c, const std::string& key, const std::string& name, const std::string& v) {
    using std::chrono::milliseconds;
    if (name == "listen") {
        parse_listen(key, v, c);
    } else if (name == "io_threads") {
        c.io_threads = static_cast<int>(parse_int(key, v, 1, 64));
    } else if (name == "max_body_bytes") {
        c.max_body_bytes = static_cast<std::size_t>(parse_int(key, v, 1024, 64LL << 20));
    } else if (name == "read_timeout_ms") {
        c.read_timeout = milliseconds(parse_int(key, v, 100, 600000));
    } else if (name == "write_timeout_ms") {
        c.write_timeout = milliseconds(parse_int(key, v, 100, 600000));
    } else if (name == "idle_timeout_ms") {
        c.idle_timeout = milliseconds(parse_int(key, v, 100, 3600000));
    } else if (name == "db_writers") {
        c.db_writers = static_cast<int>(parse_int(key, v, 1, 32));
    } else if (name == "webhook_store_timeout_ms") {
        c.webhook_store_timeout = milliseconds(parse_int(key, v, 100, 10000));
    } else if (name == "max_batch_requests") {
        c.max_batch_requests = static_cast<std::size_t>(parse_int(key, v, 1, 100000));
    } else if (name == "dispatch_workers") {
        c.dispatch_workers = static_cast<int>(parse_int(key, v, 1, 256));
    } else if (name == "dispatch_batch") {
        c.dispatch_batch = static_cast<int>(parse_int(key, v, 1, 1000));
    } else if (name == "handler_max_attempts") {
        c.handler_max_attempts = static_cast<int>(parse_int(key, v, 1, 100));
    } else if (name == "sweep_interval_ms") {
        c.sweep_interval = milliseconds(parse_int(key, v, 100, 3600000));
    } else if (name == "outbox_reclaim_after_ms") {
        c.outbox_reclaim_after = milliseconds(parse_int(key, v, 100, 3600000));
    } else if (name == "shutdown_grace_ms") {
        c.shutdown_grace = milliseconds(parse_int(key, v, 0, 600000));
    } else if (name == "line_api_base_url") {
        check_url(key, v);
        c.line_api_base_url = v;
    } else if (name == "line_timeout_ms") {
        c.line_timeout = milliseconds(parse_int(key, v, 100, 120000));
    } else if (name == "line_max_attempts") {
        c.line_max_attempts = static_cast<int>(parse_int(key, v, 1, 20));
    } else if (name == "line_backoff_base_ms") {
        c.line_backoff_base = milliseconds(parse_int(key, v, 1, 60000));
    } else if (name == "line_rate_limit_per_s") {
        c.line_rate_limit_per_s = static_cast<double>(parse_int(key, v, 1, 1000000));
    } else if (name == "line_pool_size") {
        c.line_pool_size = static_cast<int>(parse_int(key, v, 1, 1024));
    } else if (name == "emergency_phone") {
        // it becomes a tel: link: digits and hyphens only (LINE refuses the whole reply otherwise)
        if (v.size() < 3 || v.size() > 20 || v.find_first_not_of("0123456789-") != std::string::npos ||
            std::count_if(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) < 3) {
            throw ConfigError(key, "must be a phone number of digits and hyphens, e.g. 0120-123-456 or 119");
        }
        c.emergency_phone = v;
    } else if (name == "call_center_phone") {
        c.call_center_phone = v;
    } else if (name == "call_center_hours") {
        c.call_center_hours = v;
    } else if (name == "line_basic_id") {
        if (!v.empty() && (v[0] != '@' || v.size() < 2 || v.size() > 40 ||
                           v.find_first_of(" /?#&%") != std::string::npos)) {
            throw ConfigError(key, "must be the bot's basic id as LINE shows it, e.g. @123abcde");
        }
        c.line_basic_id = v;
    } else if (name == "public_base_url") {
        if (!v.empty()) check_url(key, v);
        c.public_base_url = v.size() > 1 && v.back() == '/' ? v.substr(0, v.size() - 1) : v;
    } else if (name == "checkin_retention_days") {
        c.checkin_retention_days = static_cast<int>(parse_int(key, v, 1, 3650));
    } else if (name == "maintenance_interval_ms") {
        c.maintenance_interval = milliseconds(parse_int(key, v, 1000, 86400000));
    } else if (name == "fanout_workers") {
        c.fanout_workers = static_cast<int>(parse_int(key, v, 1, 64));
    } else if (name == "fanout_rate_per_s") {
        c.fanout_rate_per_s = static_cast<double>(parse_int(key, v, 1, 1000000));
    } else if (name == "fanout_poll_interval_ms") {
        c.fanout_poll_interval = milliseconds(parse_int(key, v, 10, 600000));
    } else if (name == "fanout_max_attempts") {
        c.fanout_max_attempts = static_cast<int>(parse_int(key, v, 1, 100));
    } else if (name == "fanout_retry_base_ms") {
        c.fanout_retry_base = milliseconds(parse_int(key, v, 1, 3600000));
    } else if (name == "notify_two_person_rule") {
        if (v != "0" && v != "1") throw ConfigError(key, "must be 1 (an operator other than the drafter approves) or 0");
        c.notify_two_person_rule = v == "1";
    } else if (name == "health_morning" || name == "health_reminder" || name == "health_missing_from") {
        const int minute = parse_clock_minute(key, v);
        (name == "health_morning" ? c.health_morning_minute
         : name == "health_reminder" ? c.health_reminder_minute
                                     : c.health_missing_minute) = minute;
    } else if (name == "health_reminder_gap_min") {
        c.health_reminder_gap = std::chrono::minutes(parse_int(key, v, 0, 720));
    } else if (name == "health_fever_alert") {
        c.health_fever_alert = parse_decimal(key, v, 37.0, 42.0);
    } else if (name == "health_spo2_alert") {
        c.health_spo2_alert = parse_decimal(key, v, 80, 99);
    } else if (name == "health_alert_group") {
        if (!v.empty() && (v.size() != 33 || (v[0] != 'C' && v[0] != 'U' && v[0] != 'R'))) {
            throw ConfigError(key, "must be a LINE group id (C + 32 hex digits), or a user id (U...)");
        }
        c.health_alert_group = v;
    } else if (name == "health_code_valid_days") {
        c.health_code_valid_days = static_cast<int>(parse_int(key, v, 1, 90));
    } else if (name == "health_retention_days") {
        c.health_retention_days = static_cast<int>(parse_int(key, v, 1, 3650));
    } else if (name == "health_schedule_interval_ms") {
        c.health_schedule_interval = milliseconds(parse_int(key, v, 100, 600000));
    } else if (name == "support_followup_days") {
        c.support_followup_days = static_cast<int>(parse_int(key, v, 0, 60));
    } else if (name == "support_followup_hours") {
        c.support_followup_hours = v;  // checked at start-up, like call_center_hours
    } else if (name == "support_region") {
        if (v.empty() || v.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
            throw ConfigError(key, "must be the name of a file in config/regions/ without .csv, e.g. kanagawa");
        }
        c.support_region = v;
    } else if (name == "log_level") {
        static const std::set<std::string> levels{"debug", "info", "warn", "error"};
        if (!levels.count(v)) throw ConfigError(key, "must be one of debug, info, warn, error");
        c.log_level = v;
    } else {
        throw ConfigError(key, "unknown setting");
    }
}

/// Settings the environment may override, by variable name.
const std::map<std::string, std::string>& env_settings() {
    static const std::map<std::string, std::string> m{
        {"SAPO_LISTEN", "listen"},
        {"LINE_API_BASE_URL", "line_api_base_url"},
        {"SAPO_EMERGENCY_PHONE", "emergency_phone"},
        {"SAPO_CALL_CENTER_PHONE", "call_center_phone"},
        {"SAPO_CALL_CENTER_HOURS", "call_center_hours"},
        {"SAPO_LOG_LEVEL", "log_level"},
        {"SAPO_IO_THREADS", "io_threads"},
        {"SAPO_DB_WRITERS", "db_writers"},
        {"SAPO_DISPATCH_WORKERS", "dispatch_workers"},
        {"SAPO_DISPATCH_BATCH", "dispatch_batch"},
        {"SAPO_MAX_BODY_BYTES", "max_body_bytes"},
        {"SAPO_SWEEP_INTERVAL_MS", "sweep_interval_ms"},
        {"SAPO_OUTBOX_RECLAIM_MS", "outbox_reclaim_after_ms"},
        {"SAPO_WEBHOOK_STORE_TIMEOUT_MS", "webhook_store_timeout_ms"},
        {"SAPO_LINE_BACKOFF_BASE_MS", "line_backoff_base_ms"},
        {"SAPO_LINE_BASIC_ID", "line_basic_id"},
        {"SAPO_PUBLIC_BASE_URL", "public_base_url"},
        {"SAPO_CHECKIN_RETENTION_DAYS", "checkin_retention_days"},
        {"SAPO_MAINTENANCE_INTERVAL_MS", "maintenance_interval_ms"},
        {"SAPO_FANOUT_WORKERS", "fanout_workers"},
        {"SAPO_FANOUT_RATE", "fanout_rate_per_s"},
        {"SAPO_FANOUT_POLL_MS", "fanout_poll_interval_ms"},
        {"SAPO_FANOUT_MAX_ATTEMPTS", "fanout_max_attempts"},
        {"SAPO_FANOUT_RETRY_BASE_MS", "fanout_retry_base_ms"},
        {"SAPO_NOTIFY_TWO_PERSON_RULE", "notify_two_person_rule"},
        {"SAPO_HEALTH_MORNING", "health_morning"},
        {"SAPO_HEALTH_REMINDER", "health_reminder"},
        {"SAPO_HEALTH_MISSING_FROM", "health_missing_from"},
        {"SAPO_HEALTH_REMINDER_GAP_MIN", "health_reminder_gap_min"},
        {"SAPO_HEALTH_FEVER_ALERT", "health_fever_alert"},
        {"SAPO_HEALTH_SPO2_ALERT", "health_spo2_alert"},
        {"SAPO_HEALTH_ALERT_GROUP", "health_alert_group"},
        {"SAPO_HEALTH_CODE_VALID_DAYS", "health_code_valid_days"},
        {"SAPO_HEALTH_SCHEDULE_INTERVAL_MS", "health_schedule_interval_ms"},
        {"SAPO_HEALTH_RETENTION_DAYS", "health_retention_days"},
        {"SAPO_SUPPORT_FOLLOWUP_DAYS", "support_followup_days"},
        {"SAPO_SUPPORT_FOLLOWUP_HOURS", "support_followup_hours"},
        {"SAPO_SUPPORT_REGION", "support_region"},
    };
    return m;
}

void apply_file(Config& c, const std::string& key, const std::string& path) {
    auto text = read_file(key, path);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag>(text.c_str());
    if (doc.HasParseError()) {
        throw ConfigError(
            path,
            std::string("invalid JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
                rapidjson::GetParseError_En(doc.GetParseError())
        );
    }
    if (!doc.IsObject()) throw ConfigError(path, "must be a JSON object");
    static const std::set<std::string> secrets{
        "channel_secret", "access_token", "admin_token", "database_url", "checkin_key"};
    for (auto& m : doc.GetObject()) {
        std::string name = m.name.GetString();
        if (!name.empty() && name[0] == '_') continue;  // "_comment" keys document the file
        if (secrets.count(name)) {
            throw ConfigError(name, "secrets are read from the environment only, not from " + path);
        }
        std::string value;
        if (m.value.IsString()) {
            value = m.value.GetString();
        } else if (m.value.IsInt64()) {
            value = std::to_string(m.value.GetInt64());
        } else if (m.value.IsDouble()) {
            std::ostringstream number;
            number << m.value.GetDouble();
            value = number.str();
        } else {
            throw ConfigError(name, "must be a string or a number");
        }
        apply(c, name, name, value);
    }
}

}  // namespace

Environment process_environment() {
    Environment env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return env;
}

Config load_config(const Environment& env, const std::string& explicit_path) {
    Config c;
    auto get = [&](const char* k) -> std::string {
        auto it = env.find(k);
        return it == env.end() ? std::string() : it->second;
    };
    std::string path = explicit_path.empty() ? get("SAPO_CONFIG") : explicit_path;
    if (!path.empty()) {
        apply_file(c, explicit_path.empty() ? "SAPO_CONFIG" : "--config", path);
        c.config_path = path;
    } else if (std::filesystem::exists("config/sapo.json")) {
        apply_file(c, "config/sapo.json", "config/sapo.json");
        c.config_path = "config/sapo.json";
    }
    for (const auto& [var, name] : env_settings()) {
        auto it = env.find(var);
        if (it != env.end() && !it->second.empty()) apply(c, var, name, it->second);
    }
    c.database_url = get("DATABASE_URL");
    c.channel_secret = get("LINE_CHANNEL_SECRET");
    c.access_token = get("LINE_CHANNEL_ACCESS_TOKEN");
    c.admin_token = get("SAPO_ADMIN_TOKEN");
    c.checkin_key = get("SAPO_CHECKIN_KEY");
    if (!c.checkin_key.empty() && c.checkin_key.size() < 16) {
        throw ConfigError("SAPO_CHECKIN_KEY", "must be at least 16 characters (it keeps check-in codes unforgeable)");
    }
    return c;
}

}  // namespace sapo
