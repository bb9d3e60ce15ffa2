#include "bot/config.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <catch2/catch.hpp>

using sapo::Config;
using sapo::ConfigError;
using sapo::Environment;
using sapo::load_config;

namespace {

namespace fs = std::filesystem;

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = fs::temp_directory_path() /
                ("sapo-unit-config-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter.fetch_add(1)));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const { return path_; }

    /// Writes `text` to `name` (relative to the directory) and returns the full path.
    std::string write(const std::string& name, const std::string& text) const {
        fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream out(p, std::ios::binary);
        out << text;
        out.close();
        REQUIRE(out.good());
        return p.string();
    }

private:
    fs::path path_;
};

/// Changes the working directory for the life of the object.
class ScopedChdir {
public:
    explicit ScopedChdir(const fs::path& to) : previous_(fs::current_path()) { fs::current_path(to); }
    ~ScopedChdir() {
        std::error_code ec;
        fs::current_path(previous_, ec);
    }
    ScopedChdir(const ScopedChdir&) = delete;
    ScopedChdir& operator=(const ScopedChdir&) = delete;

private:
    fs::path previous_;
};

/// Loads `json` from a temp file; returns the ConfigError's key, or "<no error>".
std::string error_key_for_file(const std::string& json, const Environment& env = {}) {
    TempDir dir;
    auto path = dir.write("sapo.json", json);
    try {
        load_config(env, path);
    } catch (const ConfigError& e) {
        return e.key();
    }
    return "<no error>";
}

/// Loads defaults (no file) with `env`; returns the ConfigError's key, or "<no error>".
std::string error_key_for_env(const Environment& env) {
    TempDir dir;
    ScopedChdir cd(dir.path());  // no config/sapo.json here
    try {
        load_config(env);
    } catch (const ConfigError& e) {
        return e.key();
    }
    return "<no error>";
}

std::string error_message_for_file(const std::string& json) {
    TempDir dir;
    auto path = dir.write("sapo.json", json);
    try {
        load_config({}, path);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace

TEST_CASE("config: defaults when there is no file and no environment", "[unit][config]") {
    TempDir dir;
    ScopedChdir cd(dir.path());  // an empty working directory: no config/sapo.json
    Config c = load_config({});

    CHECK(c.listen_host == "127.0.0.1");
    CHECK(c.listen_port == 8080);
    CHECK(c.listen() == "127.0.0.1:8080");
    CHECK(c.log_level == "info");
    CHECK(c.line_api_base_url == "https://api.line.me");
    CHECK(c.dispatch_workers == 4);
    CHECK(c.io_threads == 2);
    CHECK(c.max_body_bytes == 1024u * 1024u);
    CHECK(c.config_path.empty());
    CHECK(c.database_url.empty());
    CHECK(c.channel_secret.empty());
    CHECK(c.access_token.empty());
    CHECK(c.admin_token.empty());
}

TEST_CASE("config: config/sapo.json in the working directory is read when no path is given", "[unit][config]") {
    TempDir dir;
    dir.write("config/sapo.json", R"({"listen": "0.0.0.0:9100", "dispatch_workers": 7})");
    ScopedChdir cd(dir.path());
    Config c = load_config({});
    CHECK(c.listen_host == "0.0.0.0");
    CHECK(c.listen_port == 9100);
    CHECK(c.dispatch_workers == 7);
    CHECK(c.config_path == "config/sapo.json");
}

TEST_CASE("config: SAPO_CONFIG names the file, and an explicit path wins over it", "[unit][config]") {
    TempDir dir;
    auto from_env = dir.write("env.json", R"({"dispatch_workers": 11})");
    auto explicit_file = dir.write("explicit.json", R"({"dispatch_workers": 22})");
    Environment env{{"SAPO_CONFIG", from_env}};

    Config c1 = load_config(env);
    CHECK(c1.dispatch_workers == 11);
    CHECK(c1.config_path == from_env);

    Config c2 = load_config(env, explicit_file);
    CHECK(c2.dispatch_workers == 22);
    CHECK(c2.config_path == explicit_file);
}

TEST_CASE("config: a missing config file is an error, not silently the defaults", "[unit][config]") {
    TempDir dir;
    auto missing = (dir.path() / "nope.json").string();
    try {
        load_config({}, missing);
        FAIL("load_config accepted a missing file");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()).find(missing) != std::string::npos);
    }
}

TEST_CASE("config: values from the file are applied", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("sapo.json", R"({
        "listen": "10.1.2.3:9443",
        "io_threads": 6,
        "max_body_bytes": 2048,
        "read_timeout_ms": 2500,
        "db_writers": 3,
        "webhook_store_timeout_ms": 900,
        "dispatch_workers": 12,
        "handler_max_attempts": 5,
        "sweep_interval_ms": 750,
        "line_api_base_url": "http://127.0.0.1:18080",
        "line_timeout_ms": 3000,
        "line_max_attempts": 2,
        "line_rate_limit_per_s": 50,
        "line_pool_size": 8,
        "emergency_phone": "110",
        "call_center_phone": "0120-000-000",
        "log_level": "debug"
    })");
    Config c = load_config({}, path);
    CHECK(c.listen_host == "10.1.2.3");
    CHECK(c.listen_port == 9443);
    CHECK(c.io_threads == 6);
    CHECK(c.max_body_bytes == 2048u);
    CHECK(c.read_timeout == std::chrono::milliseconds(2500));
    CHECK(c.db_writers == 3);
    CHECK(c.webhook_store_timeout == std::chrono::milliseconds(900));
    CHECK(c.dispatch_workers == 12);
    CHECK(c.handler_max_attempts == 5);
    CHECK(c.sweep_interval == std::chrono::milliseconds(750));
    CHECK(c.line_api_base_url == "http://127.0.0.1:18080");
    CHECK(c.line_timeout == std::chrono::milliseconds(3000));
    CHECK(c.line_max_attempts == 2);
    CHECK(c.line_rate_limit_per_s == Approx(50.0));
    CHECK(c.line_pool_size == 8);
    CHECK(c.emergency_phone == "110");
    CHECK(c.call_center_phone == "0120-000-000");
    CHECK(c.log_level == "debug");
    CHECK(c.config_path == path);
}

TEST_CASE("config: integers may be written as JSON strings", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("sapo.json", R"({"dispatch_workers": "9"})");
    CHECK(load_config({}, path).dispatch_workers == 9);
}

TEST_CASE("config: the environment overrides the file", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("sapo.json", R"({
        "listen": "0.0.0.0:9000",
        "line_api_base_url": "https://api.line.me",
        "log_level": "debug",
        "dispatch_workers": 8,
        "io_threads": 3
    })");
    Environment env{
        {"SAPO_LISTEN", "127.0.0.1:7000"},
        {"LINE_API_BASE_URL", "http://127.0.0.1:18081"},
        {"SAPO_LOG_LEVEL", "warn"},
        {"SAPO_DISPATCH_WORKERS", "16"},
        {"SAPO_EMERGENCY_PHONE", "112"},
    };
    Config c = load_config(env, path);
    CHECK(c.listen_host == "127.0.0.1");
    CHECK(c.listen_port == 7000);
    CHECK(c.line_api_base_url == "http://127.0.0.1:18081");
    CHECK(c.log_level == "warn");
    CHECK(c.dispatch_workers == 16);
    CHECK(c.emergency_phone == "112");
    CHECK(c.io_threads == 3);  // not overridden: the file's value stays
}

TEST_CASE("config: an empty environment variable does not override", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("sapo.json", R"({"dispatch_workers": 8})");
    Config c = load_config({{"SAPO_DISPATCH_WORKERS", ""}}, path);
    CHECK(c.dispatch_workers == 8);
}

TEST_CASE("config: secrets come from the environment", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("sapo.json", R"({"log_level": "info"})");
    Environment env{
        {"DATABASE_URL", "postgresql://sapo@localhost/sapo"},
        {"LINE_CHANNEL_SECRET", "secret-123"},
        {"LINE_CHANNEL_ACCESS_TOKEN", "token-456"},
        {"SAPO_ADMIN_TOKEN", "admin-789"},
    };
    Config c = load_config(env, path);
    CHECK(c.database_url == "postgresql://sapo@localhost/sapo");
    CHECK(c.channel_secret == "secret-123");
    CHECK(c.access_token == "token-456");
    CHECK(c.admin_token == "admin-789");
}

TEST_CASE("config: secrets in the file are refused, naming the key", "[unit][config]") {
    auto key = GENERATE(
        std::string("channel_secret"),
        std::string("access_token"),
        std::string("admin_token"),
        std::string("database_url")
    );
    CAPTURE(key);
    TempDir dir;
    auto path = dir.write("sapo.json", "{\"" + key + "\": \"s3cr3t-value\"}");
    try {
        load_config({}, path);
        FAIL("a secret in the file was accepted");
    } catch (const ConfigError& e) {
        CHECK(e.key() == key);
        // The error line goes to logs: it must not repeat the secret.
        CHECK(std::string(e.what()).find("s3cr3t-value") == std::string::npos);
    }
}

TEST_CASE("config: a bad listen address names the key", "[unit][config]") {
    SECTION("port out of range") {
        CHECK(error_key_for_file(R"({"listen": "0.0.0.0:99999"})") == "listen");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "0.0.0.0:99999"}}) == "SAPO_LISTEN");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "0.0.0.0:65536"}}) == "SAPO_LISTEN");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "0.0.0.0:-1"}}) == "SAPO_LISTEN");
    }
    SECTION("port not a number") {
        CHECK(error_key_for_file(R"({"listen": "0.0.0.0:abc"})") == "listen");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "0.0.0.0:abc"}}) == "SAPO_LISTEN");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "0.0.0.0:80x"}}) == "SAPO_LISTEN");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "0.0.0.0:"}}) == "SAPO_LISTEN");
    }
    SECTION("no colon") {
        CHECK(error_key_for_file(R"({"listen": "localhost"})") == "listen");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "8080"}}) == "SAPO_LISTEN");
    }
    SECTION("no host") {
        CHECK(error_key_for_env({{"SAPO_LISTEN", ":8080"}}) == "SAPO_LISTEN");
    }
    SECTION("the boundaries are accepted") {
        CHECK(error_key_for_env({{"SAPO_LISTEN", "127.0.0.1:65535"}}) == "<no error>");
        CHECK(error_key_for_env({{"SAPO_LISTEN", "127.0.0.1:0"}}) == "<no error>");
    }
}

TEST_CASE("config: the port error says what was wrong", "[unit][config]") {
    auto what = error_message_for_file(R"({"listen": "0.0.0.0:99999"})");
    CHECK(what.find("listen") != std::string::npos);
    CHECK(what.find("99999") != std::string::npos);
}

TEST_CASE("config: IPv6 listen address in brackets", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("sapo.json", R"({"listen": "[::1]:8080"})");
    Config c = load_config({}, path);
    CHECK(c.listen_host == "::1");
    CHECK(c.listen_port == 8080);

    Config from_env = load_config({{"SAPO_LISTEN", "[::]:9090"}}, path);
    CHECK(from_env.listen_host == "::");
    CHECK(from_env.listen_port == 9090);
}

TEST_CASE("config: out-of-range integers name the key", "[unit][config]") {
    CHECK(error_key_for_file(R"({"io_threads": 0})") == "io_threads");
    CHECK(error_key_for_file(R"({"io_threads": 65})") == "io_threads");
    CHECK(error_key_for_file(R"({"dispatch_workers": 0})") == "dispatch_workers");
    CHECK(error_key_for_file(R"({"dispatch_workers": 100000})") == "dispatch_workers");
    CHECK(error_key_for_file(R"({"max_body_bytes": 10})") == "max_body_bytes");
    CHECK(error_key_for_file(R"({"read_timeout_ms": -5})") == "read_timeout_ms");
    CHECK(error_key_for_file(R"({"line_max_attempts": 21})") == "line_max_attempts");
    CHECK(error_key_for_file(R"({"db_writers": 99999999999999})") == "db_writers");
    CHECK(error_key_for_env({{"SAPO_DISPATCH_WORKERS", "0"}}) == "SAPO_DISPATCH_WORKERS");
    CHECK(error_key_for_env({{"SAPO_IO_THREADS", "1000"}}) == "SAPO_IO_THREADS");
    CHECK(error_key_for_env({{"SAPO_SWEEP_INTERVAL_MS", "1"}}) == "SAPO_SWEEP_INTERVAL_MS");
    // Values beyond long long are still reported as this key, not as a crash.
    CHECK(
        error_key_for_env({{"SAPO_DISPATCH_WORKERS", "99999999999999999999999"}}) ==
        "SAPO_DISPATCH_WORKERS"
    );
}

TEST_CASE("config: the range boundaries are accepted", "[unit][config]") {
    CHECK(error_key_for_file(R"({"io_threads": 1})") == "<no error>");
    CHECK(error_key_for_file(R"({"io_threads": 64})") == "<no error>");
    CHECK(error_key_for_file(R"({"dispatch_workers": 256})") == "<no error>");
    CHECK(error_key_for_file(R"({"shutdown_grace_ms": 0})") == "<no error>");
}

TEST_CASE("config: non-integers name the key", "[unit][config]") {
    CHECK(error_key_for_file(R"({"dispatch_workers": "four"})") == "dispatch_workers");
    CHECK(error_key_for_file(R"({"dispatch_workers": "4 "})") == "dispatch_workers");
    CHECK(error_key_for_file(R"({"dispatch_workers": 1.5})") == "dispatch_workers");
    CHECK(error_key_for_file(R"({"dispatch_workers": true})") == "dispatch_workers");
    CHECK(error_key_for_file(R"({"dispatch_workers": null})") == "dispatch_workers");
    CHECK(error_key_for_file(R"({"dispatch_workers": [4]})") == "dispatch_workers");
    CHECK(error_key_for_env({{"SAPO_DISPATCH_WORKERS", "4.0"}}) == "SAPO_DISPATCH_WORKERS");
    CHECK(error_key_for_env({{"SAPO_DB_WRITERS", "two"}}) == "SAPO_DB_WRITERS");
}

TEST_CASE("config: an unknown key (a typo) is refused, naming it", "[unit][config]") {
    CHECK(error_key_for_file(R"({"dispatch_workrs": 4})") == "dispatch_workrs");
    CHECK(error_key_for_file(R"({"log_level": "info", "Listen": "0.0.0.0:1"})") == "Listen");
}

TEST_CASE("config: a bad log level names the key", "[unit][config]") {
    CHECK(error_key_for_file(R"({"log_level": "verbose"})") == "log_level");
    CHECK(error_key_for_file(R"({"log_level": "INFO"})") == "log_level");
    CHECK(error_key_for_env({{"SAPO_LOG_LEVEL", "trace"}}) == "SAPO_LOG_LEVEL");
    for (const char* level : {"debug", "info", "warn", "error"}) {
        CAPTURE(level);
        CHECK(error_key_for_env({{"SAPO_LOG_LEVEL", level}}) == "<no error>");
    }
}

TEST_CASE("config: the LINE API base URL must be http(s)", "[unit][config]") {
    CHECK(error_key_for_file(R"({"line_api_base_url": "api.line.me"})") == "line_api_base_url");
    CHECK(error_key_for_file(R"({"line_api_base_url": "ftp://api.line.me"})") == "line_api_base_url");
    CHECK(error_key_for_env({{"LINE_API_BASE_URL", "api.line.me"}}) == "LINE_API_BASE_URL");
    CHECK(error_key_for_env({{"LINE_API_BASE_URL", "https://api.line.me"}}) == "<no error>");
    CHECK(error_key_for_env({{"LINE_API_BASE_URL", "http://127.0.0.1:1"}}) == "<no error>");
}

TEST_CASE("config: invalid JSON names the file and the offset", "[unit][config]") {
    TempDir dir;
    const std::string text = R"({"listen": })";
    auto path = dir.write("broken.json", text);
    const auto offset = text.find('}');  // where a value was expected
    try {
        load_config({}, path);
        FAIL("invalid JSON was accepted");
    } catch (const ConfigError& e) {
        CHECK(e.key() == path);
        std::string what = e.what();
        CAPTURE(what);
        CHECK(what.find(path) != std::string::npos);
        CHECK(what.find("offset " + std::to_string(offset)) != std::string::npos);
    }
}

TEST_CASE("config: a file that is not a JSON object is refused", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("array.json", R"(["listen", "0.0.0.0:1"])");
    try {
        load_config({}, path);
        FAIL("a JSON array was accepted as the configuration");
    } catch (const ConfigError& e) {
        CHECK(e.key() == path);
    }
}

TEST_CASE("config: comments and _comment keys are allowed", "[unit][config]") {
    TempDir dir;
    auto path = dir.write("sapo.json", R"({
        // the address to bind
        "_comment": "sapo configuration; secrets live in the environment",
        "_notes": {"any": ["shape", 1, true]},
        /* a block
           comment */
        "listen": "127.0.0.1:8181", // trailing comment
        "dispatch_workers": 3
    })");
    Config c = load_config({}, path);
    CHECK(c.listen_port == 8181);
    CHECK(c.dispatch_workers == 3);
}

TEST_CASE("config: the repository's config/sapo.json loads", "[unit][config]") {
    const std::string path = std::string(SAPO_SOURCE_DIR) + "/config/sapo.json";
    if (!std::filesystem::exists(path)) {
        WARN("no config/sapo.json in the repository");
        return;
    }
    Config c = load_config({}, path);
    CHECK(c.config_path == path);
    CHECK(c.listen_port != 0);
}

TEST_CASE("config: the emergency number must be dialable, the health and questionnaire settings in range", "[unit][config]") {
    // it becomes tel:{{emergency_phone}}: LINE refuses a reply whose URI is not a number
    for (const char* bad : {"0120 123 456", "0120-123-456(24h)", "", "12", "#7119", "abc-def-ghi"}) {
        INFO(bad);
        CHECK(error_key_for_env({{"SAPO_EMERGENCY_PHONE", bad}}) == (std::string(bad).empty() ? "<no error>" : "SAPO_EMERGENCY_PHONE"));
    }
    for (const char* good : {"119", "0120-123-456", "045-285-0536"}) {
        INFO(good);
        CHECK(error_key_for_env({{"SAPO_EMERGENCY_PHONE", good}}) == "<no error>");
    }
    CHECK(error_key_for_file(R"({"health_morning": "9:00"})") == "health_morning");
    CHECK(error_key_for_file(R"({"health_morning": "24:00"})") == "health_morning");
    CHECK(error_key_for_file(R"({"health_fever_alert": 36.5})") == "health_fever_alert");
    CHECK(error_key_for_file(R"({"health_fever_alert": 38.5, "health_spo2_alert": 94})") == "<no error>");
    CHECK(error_key_for_env({{"SAPO_HEALTH_ALERT_GROUP", "group-1"}}) == "SAPO_HEALTH_ALERT_GROUP");
    CHECK(error_key_for_env({{"SAPO_HEALTH_ALERT_GROUP", "C0123456789abcdef0123456789abcdef"}}) == "<no error>");
    CHECK(error_key_for_env({{"SAPO_SUPPORT_FOLLOWUP_DAYS", "61"}}) == "SAPO_SUPPORT_FOLLOWUP_DAYS");
    CHECK(error_key_for_env({{"SAPO_SUPPORT_REGION", "../etc"}}) == "SAPO_SUPPORT_REGION");
    TempDir dir;
    ScopedChdir cd(dir.path());
    auto c = load_config({{"SAPO_HEALTH_MORNING", "08:30"}, {"SAPO_HEALTH_FEVER_ALERT", "38.5"}});
    CHECK(c.health_morning_minute == 8 * 60 + 30);
    CHECK(c.health_fever_alert == 38.5);
}
