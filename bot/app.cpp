#include "bot/app.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <thread>

#include "bot/dispatch/dispatcher.hpp"
#include "bot/dispatch/flow_setup.hpp"
#include "bot/dispatch/maintenance.hpp"
#include "bot/facility/codes.hpp"
#include "bot/facility/links.hpp"
#include "bot/http/facility_pages.hpp"
#include "bot/faq/shipped.hpp"
#include "bot/http/admin_faq.hpp"
#include "bot/http/admin_health.hpp"
#include "bot/http/admin_support.hpp"
#include "bot/support/effects.hpp"
#include "bot/support/followups.hpp"
#include "bot/health/effects.hpp"
#include "bot/health/prompts.hpp"
#include "bot/health/scheduler.hpp"
#include "bot/http/admin_notifications.hpp"
#include "bot/notify/fanout_runner.hpp"
#include "bot/notify/service.hpp"
#include "bot/random.hpp"
#include "bot/emulator/emulator.hpp"
#include "bot/emulator/local_channel.hpp"
#include "bot/http/dev_endpoints.hpp"
#include "bot/http/router.hpp"
#include "bot/http/server.hpp"
#include "bot/http/webhook_endpoint.hpp"
#include "bot/line/http_client.hpp"
#include "bot/log.hpp"
#include "bot/metrics.hpp"
#include "storage/errors.hpp"
#include "storage/event_writer.hpp"
#include "storage/facility_store.hpp"
#include "storage/fanout_store.hpp"
#include "storage/faq_store.hpp"
#include "storage/health_store.hpp"
#include "storage/support_store.hpp"
#include "storage/notification_store.hpp"
#include "storage/flow_store.hpp"
#include "storage/migrations.hpp"
#include "storage/repository.hpp"

namespace sapo {

namespace asio = boost::asio;

namespace {

void require(const std::string& value, const std::string& variable, const std::string& why) {
    if (value.empty()) throw ConfigError(variable, "is not set; " + why);
}

asio::ip::tcp::endpoint listen_endpoint(const Config& c) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(c.listen_host == "localhost" ? "127.0.0.1" : c.listen_host, ec);
    if (ec) throw ConfigError("SAPO_LISTEN", "\"" + c.listen_host + "\" is not an IP address");
    return {address, c.listen_port};
}

}  // namespace

int migrate(const Config& config) {
    require(config.database_url, "DATABASE_URL", "set it to a PostgreSQL URL, e.g. postgresql://sapo@127.0.0.1:5432/sapo");
    auto report = storage::migrate(config.database_url);
    std::string applied;
    for (const auto& n : report.applied) applied += (applied.empty() ? "" : ",") + n;
    log::info(
        "migrations applied",
        {{"from", std::to_string(report.from_version)}, {"to", std::to_string(report.to_version)}, {"applied", applied}}
    );
    return 0;
}

int purge(const Config& config) {
    migrate(config);
    struct WallClock final : Clock {
        time_point now() const override { return std::chrono::system_clock::now(); }
    } clock;
    auto store = storage::make_pg_facility_store(config.database_url);
    auto health = storage::make_pg_health_store(config.database_url);
    auto r = dispatch::run_maintenance(*store, clock, config.checkin_retention_days,
                                       {health.get(), config.health_retention_days});
    std::printf(
        "check-ins older than %d days removed: %d monthly partitions dropped (%lld rows), %lld rows deleted; "
        "%lld notification recipients deleted; %lld unanswered FAQ questions deleted\n"
        "health records: %lld patients whose monitoring ended before %s deleted, %lld older prompts deleted\n",
        config.checkin_retention_days, r.purge.partitions_dropped, static_cast<long long>(r.purge.rows_in_dropped),
        static_cast<long long>(r.purge.rows_deleted), static_cast<long long>(r.purge.recipients_deleted),
        static_cast<long long>(r.purge.faq_misses_deleted), static_cast<long long>(r.health.patients_deleted),
        r.health_cutoff.c_str(), static_cast<long long>(r.health.prompts_deleted)
    );
    return 0;
}

int serve(const Config& config) {
    require(config.database_url, "DATABASE_URL", "set it to a PostgreSQL URL, e.g. postgresql://sapo@127.0.0.1:5432/sapo");
    // Local mode only when no LINE credential at all is given: half a set is a mistake to report,
    // never a reason to quietly talk to an emulator instead of LINE.
    const bool local = config.access_token.empty() && config.channel_secret.empty();
    if (!local) {
        require(config.channel_secret, "LINE_CHANNEL_SECRET", "copy it from the LINE Developers console (Basic settings)");
        require(
            config.access_token,
            "LINE_CHANNEL_ACCESS_TOKEN",
            "issue a long-lived channel access token in the LINE Developers console (Messaging API tab)"
        );
    }
    auto endpoint = listen_endpoint(config);

    migrate(config);

    AdjustableClock clock;
    std::unique_ptr<line::Client> line_client;
    emulator::Emulator* emulator = nullptr;
    std::string channel_secret = config.channel_secret;
    if (local) {
        auto e = std::make_unique<emulator::Emulator>(clock);
        emulator = e.get();
        line_client = std::move(e);
        channel_secret = emulator::random_channel_secret();
    } else {
        line::HttpClientOptions line_options;
        line_options.base_url = config.line_api_base_url;
        line_options.access_token = config.access_token;
        line_options.timeout = config.line_timeout;
        line_options.max_attempts = config.line_max_attempts;
        line_options.backoff_base = config.line_backoff_base;
        line_options.rate_limit_per_s = config.line_rate_limit_per_s;
        line_options.pool_size = config.line_pool_size;
        line_client = std::make_unique<line::HttpClient>(line_options);
    }

    // Facilities: the code key (SAPO_CHECKIN_KEY, else one kept in the database so that printed
    // posters stay valid across restarts and instances), the bot's basic id for the QR's URL.
    auto facility_store = storage::make_pg_facility_store(config.database_url);
    const std::string checkin_key =
        !config.checkin_key.empty() ? config.checkin_key : facility_store->secret("checkin_key", [] { return random_hex(32); });
    facility::CheckinCodes codes(checkin_key);
    const std::string basic_id = config.line_basic_id.empty() && local ? "@sapo-local" : config.line_basic_id;
    if (basic_id.empty()) {
        log::warn("SAPO_LINE_BASIC_ID is not set: facilities can't be registered until it is (their QR codes need it)");
    }
    facility::LinkMaker links(codes, basic_id, config.public_base_url);

    // Conversations: shipped flows go into a fresh database; operators' versions are never touched.
    const notify::DraftSettings draft_settings{config.checkin_retention_days, config.call_center_phone};
    // FAQ: the starter set goes into a fresh database; each instance indexes the set's version.
    const auto faq_hours = faq::parse_hours(config.call_center_hours);
    if (!faq_hours) {
        throw ConfigError("SAPO_CALL_CENTER_HOURS", "must be opening and closing times as HH:MM-HH:MM, e.g. 09:00-22:00");
    }
    auto faq_store = storage::make_pg_faq_store(config.database_url);
    if (faq_store->seed(faq::shipped_entries(), "sapo (shipped FAQ)")) log::info("installed the shipped FAQ");
    auto faq_catalog = std::make_shared<faq::Catalog>();
    // Daily health report: red flags are pushed to the operators' group when one is configured.
    const health::HealthSettings health_settings{config.health_alert_group};
    if (config.health_alert_group.empty()) {
        log::warn("SAPO_HEALTH_ALERT_GROUP is not set: health alerts are only listed in the admin API, not pushed to LINE");
    }
    // Personal-support questionnaire: consultation centres by postal code, follow-ups after a few days.
    const auto followup_hours = faq::parse_hours(config.support_followup_hours);
    if (!followup_hours) {
        throw ConfigError("SAPO_SUPPORT_FOLLOWUP_HOURS", "must be the hours follow-ups may be sent, as HH:MM-HH:MM, e.g. 09:00-20:00");
    }
    const support::SupportSettings support_settings{support::load_shipped_regions(config.support_region),
                                                    config.support_followup_days};
    auto effects = dispatch::all_effects(&links, &draft_settings, faq_catalog, *faq_hours, &health_settings, &support_settings);
    auto flow_store = storage::make_pg_flow_store(config.database_url);
    for (const auto& id : dispatch::seed_shipped_flows(*flow_store, effects)) {
        log::info("installed a shipped flow", {{"flow", id}, {"version", "1"}});
    }
    dispatch::FlowCatalog catalog(dispatch::make_flow_registry(effects), std::chrono::seconds(1));
    dispatch::EventHandler handler(*line_client, catalog, effects, clock, dispatch::flow_globals(config));
    dispatch::DispatcherOptions dispatch_options;
    dispatch_options.workers = config.dispatch_workers;
    dispatch_options.batch_size = config.dispatch_batch;
    dispatch_options.max_attempts = config.handler_max_attempts;
    dispatch_options.sweep_interval = config.sweep_interval;
    dispatch_options.outbox_reclaim_after = config.outbox_reclaim_after;
    dispatch::Dispatcher dispatcher(
        dispatch_options,
        [&] { return storage::make_pg_repository(config.database_url); },
        *line_client,
        handler
    );

    auto writer = storage::make_pg_event_writer(
        {config.database_url, config.db_writers, config.max_batch_requests}
    );
    metrics::global().gauge(
        "sapo_webhook_commit_queue_depth", "Webhook requests waiting for their commit", [w = writer.get()] {
            return static_cast<double>(w->queue_depth());
        }
    );
    auto health = storage::make_pg_health_probe(config.database_url, std::chrono::seconds(1));

    asio::io_context ioc(config.io_threads);
    http::WebhookEndpoint webhook(
        ioc,
        channel_secret,
        *writer,
        [&dispatcher](const std::vector<std::string>& keys) { dispatcher.notify(keys); },
        config.webhook_store_timeout
    );
    http::ServerOptions server_options;
    server_options.max_body_bytes = config.max_body_bytes;
    server_options.read_timeout = config.read_timeout;
    server_options.write_timeout = config.write_timeout;
    server_options.idle_timeout = config.idle_timeout;
    std::unique_ptr<http::DevEndpoints> dev;
    if (emulator) {
        dev = std::make_unique<http::DevEndpoints>(*emulator, clock, channel_secret, emulator::kBotUserId);
    }
    std::string admin_token = config.admin_token;
    if (local && admin_token.empty()) {
        // Local mode is for trying sapo out: the admin API works without configuring a token.
        admin_token = emulator::random_channel_secret();
        log::info("local mode: admin API token generated", {{"SAPO_ADMIN_TOKEN", admin_token}});
    }
    http::AdminFacilities admin_facilities(*facility_store, links, !basic_id.empty());
    // Notifications: drafted and approved through the admin API (or sapo notify), sent by the
    // job runner, which any number of instances run side by side.
    notify::FanoutOptions fanout_options;
    fanout_options.workers = config.fanout_workers;
    fanout_options.rate_per_s = config.fanout_rate_per_s;
    fanout_options.poll_interval = config.fanout_poll_interval;
    fanout_options.max_attempts = config.fanout_max_attempts;
    fanout_options.retry_base = config.fanout_retry_base;
    notify::FanoutRunner fanout(
        fanout_options, [&config] { return storage::make_pg_fanout_store(config.database_url); }, *line_client
    );
    auto notification_store = storage::make_pg_notification_store(config.database_url);
    notify::NotificationService notifications(
        *notification_store, *facility_store, clock,
        {config.notify_two_person_rule, draft_settings}
    );
    http::AdminNotifications admin_notifications(notifications, [&fanout] { fanout.wake(); });
    http::AdminFaq admin_faq(*faq_store);
    // Health prompts: the scheduler claims each (patient, day, slot) once in the database; their
    // own runner sends them as multicasts, paced like notifications.
    auto prompt_options = fanout_options;
    prompt_options.kind = "health_prompt_run";
    notify::FanoutRunner prompt_runner(
        prompt_options, [&config] { return storage::make_pg_health_prompt_store(config.database_url); }, *line_client
    );
    const auto globals = dispatch::flow_globals(config);
    std::map<storage::PromptSlot, health::PromptMessages> prompt_messages;
    for (auto slot : {storage::PromptSlot::morning, storage::PromptSlot::reminder, storage::PromptSlot::closing}) {
        prompt_messages[slot] = health::prompt_messages(slot, globals);
    }
    health::HealthScheduler health_scheduler(
        {config.health_morning_minute, config.health_reminder_minute, config.health_reminder_gap, config.health_schedule_interval},
        storage::make_pg_health_store(config.database_url), clock, std::move(prompt_messages), [&prompt_runner] { prompt_runner.wake(); }
    );
    auto health_store = storage::make_pg_health_store(config.database_url);
    http::AdminHealth admin_health(*health_store, health_scheduler, clock,
                                   {config.health_code_valid_days, config.health_missing_minute});
    support::FollowupJob followups({followup_hours->open_minute, followup_hours->close_minute, config.health_schedule_interval},
                                   storage::make_pg_support_store(config.database_url), clock,
                                   support::followup_messages(globals));
    auto support_store = storage::make_pg_support_store(config.database_url);
    http::AdminSupport admin_support(*support_store, clock);
    http::AdminEndpoints admin(admin_token, *flow_store, effects, [&catalog] { catalog.invalidate(); }, &admin_facilities,
                               &admin_notifications, &admin_faq, &admin_health, &admin_support);
    http::FacilityPages facility_pages(*facility_store, links);
    http::Server server(
        ioc, endpoint, http::make_router(webhook, *health, dev.get(), &admin, &facility_pages), server_options
    );

    dispatcher.start();
    fanout.start();
    prompt_runner.start();
    health_scheduler.start();
    followups.start();
    server.start();
    const auto listening = config.listen_host + ":" + std::to_string(server.local_endpoint().port());
    if (config.public_base_url.empty()) links.set_base_url("http://" + listening);
    // its own connection: a long purge must not hold up the admin API or the poster pages
    auto maintenance_store = storage::make_pg_facility_store(config.database_url);
    auto maintenance_health_store = storage::make_pg_health_store(config.database_url);
    dispatch::Maintenance maintenance(*maintenance_store, clock, config.checkin_retention_days, config.maintenance_interval,
                                      {maintenance_health_store.get(), config.health_retention_days});
    maintenance.start();
    if (local) {
        log::info(
            "sapo serving in LOCAL mode: no LINE credentials, the built-in LINE emulator answers",
            {{"listen", listening}, {"version", SAPO_VERSION}, {"mode", "local"}, {"chat", "http://" + listening + "/dev/chat"}}
        );
    } else {
        log::info(
            "sapo serving",
            {{"listen", listening}, {"version", SAPO_VERSION}, {"line_api", config.line_api_base_url}, {"mode", "line"}}
        );
    }

    // Two-phase stop: the first signal stops accepting and lets requests in flight finish; a
    // second signal, or the grace period running out, stops at once.
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    asio::steady_timer poll(ioc);
    std::chrono::steady_clock::time_point deadline;
    bool stopping = false;
    std::function<void()> wait_for_connections = [&] {
        if (server.open_connections() == 0 || std::chrono::steady_clock::now() > deadline) {
            ioc.stop();
            return;
        }
        poll.expires_after(std::chrono::milliseconds(20));
        poll.async_wait([&](boost::system::error_code) { wait_for_connections(); });
    };
    std::function<void(boost::system::error_code, int)> on_signal;
    on_signal = [&](boost::system::error_code ec, int signo) {
        if (ec) return;
        if (stopping) {
            log::warn("second signal: stopping now");
            ioc.stop();
            return;
        }
        stopping = true;
        log::info("stopping: finishing requests in flight", {{"signal", std::to_string(signo)}});
        server.stop();
        deadline = std::chrono::steady_clock::now() + config.shutdown_grace;
        wait_for_connections();
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    std::vector<std::thread> io_threads;
    for (int i = 1; i < config.io_threads; ++i) io_threads.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : io_threads) t.join();

    maintenance.stop();
    followups.stop();
    health_scheduler.stop();
    prompt_runner.stop();
    fanout.stop();       // each runner finishes and records the batch it is sending
    writer->stop();      // commits what was queued
    dispatcher.stop();   // handles what was queued
    health->stop();
    log::info("sapo stopped");
    return 0;
}

}  // namespace sapo
