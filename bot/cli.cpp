#include "bot/cli.hpp"

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "bot/app.hpp"
#include "bot/cli/flows_command.hpp"
#include "bot/cli/faq_command.hpp"
#include "bot/cli/notify_command.hpp"
#include "bot/config.hpp"
#include "bot/log.hpp"
#include "storage/errors.hpp"

namespace sapo {

namespace {

constexpr const char* kUsage = R"(sapo - LINE bot for residents in a health emergency
         (健康危機のときに住民を支える LINE ボット)

usage: sapo [--config PATH] <command>

commands:
  serve     migrate the database, then receive LINE webhooks until SIGINT/SIGTERM
  migrate   apply the missing database migrations and exit
  purge     delete check-ins older than the retention now (sapo serve also does it hourly)
  flows     validate, import, publish, list, export and simulate conversation flows
            (sapo flows --help)
  faq       import and export the FAQ (sapo faq --help)
  notify    draft, approve, cancel and follow notifications to the people who checked in
            at a facility in a time window (sapo notify --help)
  version   print the version and exit

options:
  --config PATH   configuration file (default: $SAPO_CONFIG, else config/sapo.json if present)
  -h, --help      show this help

environment (overrides the file; secrets come only from here):
  DATABASE_URL               PostgreSQL URL, e.g. postgresql://sapo@127.0.0.1:5432/sapo
  LINE_CHANNEL_SECRET        channel secret, verifies x-line-signature
  LINE_CHANNEL_ACCESS_TOKEN  channel access token for the Messaging API
  LINE_API_BASE_URL          default https://api.line.me
  SAPO_LISTEN                default 127.0.0.1:8080
  SAPO_ADMIN_TOKEN, SAPO_EMERGENCY_PHONE, SAPO_CALL_CENTER_PHONE, SAPO_LOG_LEVEL

exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration
)";

}  // namespace

int run_cli(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string config_path;
    std::string command;
    std::vector<std::string> sub;  // the words after "flows"
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if ((command == "flows" || command == "notify" || command == "faq") && a != "--config" && a.rfind("--config=", 0) != 0) {
            sub.push_back(a);
            continue;
        }
        if (a == "-h" || a == "--help" || a == "help") {
            std::cout << kUsage;
            return 0;
        }
        if (a == "--config") {
            if (i + 1 >= args.size()) {
                std::cerr << "sapo: --config needs a path\n";
                return 2;
            }
            config_path = args[++i];
        } else if (a.rfind("--config=", 0) == 0) {
            config_path = a.substr(9);
        } else if (command.empty() && a[0] != '-') {
            command = a;
        } else {
            std::cerr << "sapo: unexpected argument \"" << a << "\"; see sapo --help\n";
            return 2;
        }
    }
    if (command.empty()) {
        std::cerr << kUsage;
        return 2;
    }
    if (command == "version") {
        std::cout << "sapo " << SAPO_VERSION << "\n";
        return 0;
    }
    if (command != "serve" && command != "migrate" && command != "flows" && command != "purge" && command != "notify" &&
        command != "faq") {
        std::cerr << "sapo: unknown command \"" << command << "\"; see sapo --help\n";
        return 2;
    }

    // libpq waits this long for a connection (its minimum is 2 s): an unreachable database must
    // turn into a 503 quickly, never into a hang.
    setenv("PGCONNECT_TIMEOUT", "2", 0);
    try {
        if (command == "faq") {
            return cli::faq_command(sub, [&] {
                auto config = load_config(process_environment(), config_path);
                if (config.database_url.empty()) {
                    throw ConfigError("DATABASE_URL", "is not set; sapo faq needs the database");
                }
                migrate(config);
                return config;
            });
        }
        if (command == "notify") {
            return cli::notify_command(sub, [&] {
                auto config = load_config(process_environment(), config_path);
                if (config.database_url.empty()) {
                    throw ConfigError("DATABASE_URL", "is not set; sapo notify needs the database");
                }
                migrate(config);
                return config;
            });
        }
        if (command == "flows") {
            return cli::flows_command(sub, [&] {
                auto config = load_config(process_environment(), config_path);
                if (config.database_url.empty()) {
                    throw ConfigError("DATABASE_URL", "is not set; this flows command needs the database");
                }
                return config;
            });
        }
        auto config = load_config(process_environment(), config_path);
        log::Level level{};
        log::parse_level(config.log_level, level);
        log::set_level(level);
        if (command == "purge") return purge(config);
        return command == "serve" ? serve(config) : migrate(config);
    } catch (const ConfigError& e) {
        std::cerr << "sapo: configuration error: " << e.what() << "\n";
        return 2;
    } catch (const storage::StorageError& e) {
        log::error("database error", {{"error", e.what()}});
        return 1;
    } catch (const std::exception& e) {
        log::error("fatal error", {{"error", e.what()}});
        return 1;
    }
}

}  // namespace sapo
