#pragma once
/// @file
/// @brief Service configuration: defaults, then the JSON file (config/sapo.json or SAPO_CONFIG),
/// then the environment. Secrets (channel secret, access token, admin token, DATABASE_URL) are
/// read from the environment only, so they never sit in a file in the repository.

#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>

namespace sapo {

/// A bad configuration value; `key()` names it the way the operator wrote it (file key or
/// environment variable), so start-up can stop with one line that says what to fix.
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string key, const std::string& why)
        : std::runtime_error(key + ": " + why), key_(std::move(key)) {}

    const std::string& key() const { return key_; }

private:
    std::string key_;
};

struct Config {
    // http
    std::string listen_host = "127.0.0.1";
    unsigned short listen_port = 8080;
    int io_threads = 2;
    std::size_t max_body_bytes = 1024 * 1024;
    std::chrono::milliseconds read_timeout{10000};
    std::chrono::milliseconds write_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};

    // database
    std::string database_url;  ///< DATABASE_URL (environment only)
    int db_writers = 2;        ///< connections that commit webhook batches (group commit)
    /// Longest a webhook waits for its commit before answering 503 (LINE gives up after 2 s).
    std::chrono::milliseconds webhook_store_timeout{1500};
    std::size_t max_batch_requests = 512;  ///< requests folded into one group commit at most

    // dispatcher
    int dispatch_workers = 4;
    int dispatch_batch = 32;  ///< keys a worker handles in one transaction
    int handler_max_attempts = 3;
    std::chrono::milliseconds sweep_interval{5000};
    /// An outbox row claimed longer ago than this belongs to a sender that died; resend it.
    std::chrono::milliseconds outbox_reclaim_after{30000};
    /// How long a stop waits for requests in flight before giving up on them.
    std::chrono::milliseconds shutdown_grace{10000};

    // LINE
    std::string channel_secret;  ///< LINE_CHANNEL_SECRET (environment only)
    std::string access_token;    ///< LINE_CHANNEL_ACCESS_TOKEN (environment only)
    std::string line_api_base_url = "https://api.line.me";
    std::chrono::milliseconds line_timeout{5000};
    int line_max_attempts = 4;
    std::chrono::milliseconds line_backoff_base{200};
    double line_rate_limit_per_s = 2000;
    int line_pool_size = 16;

    // people
    std::string admin_token;  ///< SAPO_ADMIN_TOKEN (environment only)
    std::string emergency_phone = "119";
    std::string call_center_phone;
    /// When the consultation centre answers the phone, every day, Asia/Tokyo ("HH:MM-HH:MM");
    /// the FAQ's hand-over says whether it is open now.
    std::string call_center_hours = "09:00-22:00";

    // facilities and check-in
    std::string line_basic_id;     ///< the bot's basic id ("@123abcde"), for the check-in QR's URL
    std::string public_base_url;   ///< where LINE and printers fetch QR images and posters; empty: http://<listen>
    std::string checkin_key;       ///< SAPO_CHECKIN_KEY (environment only); empty: one kept in the database
    int checkin_retention_days = 31;
    std::chrono::milliseconds maintenance_interval{3600000};  ///< purge and partition upkeep

    // Notification fan-out (bot/notify)
    int fanout_workers = 2;              ///< runner threads, each with its own connection
    double fanout_rate_per_s = 100;      ///< multicasts per second per instance: leaves LINE's rate to replies
    std::chrono::milliseconds fanout_poll_interval{1000};  ///< idle runners look for approved work this often
    int fanout_max_attempts = 10;        ///< sends of one batch before it is marked failed
    std::chrono::milliseconds fanout_retry_base{2000};     ///< wait before a batch's next send; doubles
    bool notify_two_person_rule = true;  ///< the approver must not be the operator who drafted it

    // Daily health report (bot/health)
    int health_morning_minute = 9 * 60;     ///< the prompt, Asia/Tokyo minute of the day
    int health_reminder_minute = 10 * 60;   ///< the reminder to those without a complete report
    int health_missing_minute = 12 * 60;    ///< from then on, the no-answer list holds everyone missing
    std::chrono::minutes health_reminder_gap{30};  ///< a late morning prompt is not followed by the reminder sooner
    double health_fever_alert = 39.0;       ///< °C at or above which a report raises an alert
    double health_spo2_alert = 93;          ///< SpO2 % at or below which a report raises an alert
    std::string health_alert_group;         ///< the operators' LINE group (or user) that alerts are pushed to
    int health_code_valid_days = 14;        ///< how long an enrollment code works
    int health_retention_days = 90;         ///< a patient's records are deleted this long after monitoring ends
    std::chrono::milliseconds health_schedule_interval{30000};  ///< how often the scheduler looks at the clock

    // Personal-support questionnaire (bot/support)
    int support_followup_days = 2;   ///< B and C outcomes are asked again after this many days (0: off)
    std::string support_followup_hours = "09:00-20:00";  ///< follow-ups are pushed only then (Asia/Tokyo)
    std::string support_region = "kanagawa";  ///< config/regions/<name>.csv whose * row is the fallback

    std::string log_level = "info";
    std::string config_path;  ///< the file that was read, empty for defaults only

    std::string listen() const { return listen_host + ":" + std::to_string(listen_port); }
};

using Environment = std::map<std::string, std::string>;

/// The process environment as a map.
Environment process_environment();

/// Loads the configuration. `explicit_path` (from --config) wins over SAPO_CONFIG, which wins
/// over config/sapo.json in the working directory; a missing default file means defaults only.
/// Throws ConfigError naming the first bad key.
Config load_config(const Environment& env, const std::string& explicit_path = "");

}  // namespace sapo
