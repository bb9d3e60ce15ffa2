// bench_health (scripts/bench-health): the morning prompt of the daily health report at scale.
//
// The issue: "The morning prompt to 100,000 patients reaches a local fake LINE server within
// 60 s with no patient prompted twice."
//
// A real `sapo serve` on a real PostgreSQL (SAPO_TEST_DATABASE_URL's server, or a throwaway
// cluster made here with scripts/pg), its LINE credentials pointed at the in-process fake LINE
// API. In order:
//   1. warm-up: a first `sapo serve` migrates the empty database and installs the shipped flows
//      and FAQ (no patient yet: nothing is due), then is stopped with SIGTERM;
//   2. the data, generated in SQL inside PostgreSQL (generate_series):
//        - PATIENTS users (user n = 1..P, FakeLineServer::user_id(n)): follow_state 'followed',
//          except every 331st (n % 331 = 0) 'unfollowed' (blocked the bot: not prompted);
//          language 'en' for n % 10 = 0, NULL for some (n % 7 = 3; sapo prompts those in
//          Japanese), else 'ja';
//        - a patient for each, enrolled (user_id = user n), monitoring from 3 days ago to 7 days
//          ahead (Asia/Tokyo), not ended;
//      the expected prompts and batches are computed here from those rules, not read back from
//      sapo; VACUUM ANALYZE after loading. Load time is reported, no target;
//   3. the measured run: `sapo serve` again with SAPO_HEALTH_MORNING=00:00, so the morning slot is
//      open from the moment its scheduler first looks at the clock (at start; no slot fires from
//      20:00 Tokyo, so the bench also runs the slot through the admin API as soon as sapo answers;
//      whichever comes first claims, once): it claims every
//      due patient in one transaction (health_prompts, batches of 500 per language) and its prompt
//      runner sends each batch as one LINE multicast. Measured from sapo's spawn until the fake
//      LINE API had accepted multicasts covering every due patient (each multicast's arrival time
//      recorded by the fake, read incrementally), and until the database had every batch
//      accepted. The claim is timed from the database and the log: health_prompt_runs.created_at
//      (the scheduler's clock when it began the claim) to the "health prompts queued" log line
//      (after the commit), both wall-clock instants, placed relative to the spawn;
//   4. the slot run again: POST /admin/api/health/prompts {"slot":"morning"} must answer 200 with
//      the same date and "queued":0, and the fake must receive nothing new in the following
//      seconds (a poll interval and more).
// Then it checks the outcome: every due patient in exactly one accepted multicast, nobody else
// (no unfollowed user), each multicast <= 500 recipients of one language carrying that language's
// morning text, no multicast refused, accepted retry keys distinct and as many as the batches in
// the database; in the database one morning run, every prompt and batch accepted, no unfollowed
// user claimed.
//
// It reports figures and never judges speed: the exit status is non-zero only when something is
// wrong (a non-2xx answer, a wrong count, a patient missing or prompted twice, anyone else
// prompted, the second run queuing or sending anything, sapo gone, nothing delivered after a
// generous timeout).
//
// Env: PATIENTS (100000).
//      SAPO_FANOUT_RATE, SAPO_FANOUT_POLL_MS, SAPO_FANOUT_WORKERS, SAPO_HEALTH_SCHEDULE_INTERVAL_MS:
//      passed to sapo when set (else sapo's defaults: 100 multicasts/s, 1000 ms, 2 workers,
//      30000 ms, as shipped).
//      SAPO_BENCH_LINE_RATE_LIMIT: sapo's line_rate_limit_per_s via a SAPO_CONFIG file (default
//      2000, sapo's own default).
//      SAPO_BENCH_KEEP_LOG=path: copy the measured sapo's log there at the end.
//      SAPO_BENCH_ANALYZE=1: ANALYZE health_prompts before the second run (the default leaves the
//      statistics to autovacuum, as in production). When the second run gets no answer in 60 s,
//      sapo's running queries are printed and cancelled.
// If Tokyo's midnight is less than 5 minutes away it waits until just after it, so that the
// whole run falls on one Tokyo date.

// The harness (sapo_test_support) uses Catch2's assertion machinery; this program has its own
// main, so it carries Catch's implementation without Catch's main. Nothing here calls the parts
// of the harness that assert (start_serving, have_test_postgres).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test/support/bench_support.hpp"
#include "test/support/fake_line_server.hpp"
#include "test/support/harness.hpp"
#include "test/support/tokyo_days.hpp"

using namespace sapo;
using namespace sapo::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* kSecret = "bench-health-secret";
constexpr const char* kAdminToken = "bench-health-admin-token";
constexpr const char* kCheckinKey = "bench-health-key-0123456789abcdef";
constexpr const char* kBasicId = "@sapobench";
constexpr const char* kOperator = "hanako";
constexpr unsigned kUnfollowEvery = 331;  ///< user n is 'unfollowed' when n % 331 == 0
constexpr unsigned kEnglishEvery = 10;    ///< user n speaks 'en' when n % 10 == 0
constexpr std::size_t kBatchSize = 500;   ///< one multicast: LINE's limit, sapo's batch
/// The start of templates/health/morning.json's texts (the rest is rendered with globals).
constexpr const char* kMorningJa = "おはようございます";
constexpr const char* kMorningEn = "Good morning";

double since(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

long long wall_ms() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// user n's LINE id in SQL, the same as FakeLineServer::user_id(n): "U" + 32 hex digits.
std::string sql_user(const std::string& n) { return "('U' || lpad(to_hex(" + n + "), 32, '0'))"; }

/// n of a FakeLineServer::user_id(n), or 0 when `id` is not one.
unsigned long long user_number(std::string_view id) {
    if (id.size() != 33 || id[0] != 'U') return 0;
    unsigned long long n = 0;
    auto [p, ec] = std::from_chars(id.data() + 1, id.data() + id.size(), n, 16);
    if (ec != std::errc{} || p != id.data() + id.size()) return 0;
    return n;
}

long long json_int_member(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject()) return -1;
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : -1;
}

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    return d;
}

/// Unix ms of a log line's "ts" ("2026-11-21T00:00:00.123Z"), or -1.
long long log_ts_ms(const std::string& ts) {
    std::tm t{};
    int ms = 0;
    if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min, &t.tm_sec,
                    &ms) != 7) {
        return -1;
    }
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    return static_cast<long long>(timegm(&t)) * 1000 + ms;
}

/// The "health prompts queued" log lines of a slot: (ts in Unix ms, "patients").
std::vector<std::pair<long long, long long>> queued_log_lines(const std::string& log, const std::string& slot) {
    std::vector<std::pair<long long, long long>> out;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("health prompts queued") == std::string::npos) continue;
        auto d = parse(line);
        if (d.HasParseError() || !d.IsObject() || json_string_member(d, "slot") != slot) continue;
        const std::string patients = json_string_member(d, "patients");
        out.emplace_back(log_ts_ms(json_string_member(d, "ts")), patients.empty() ? -1 : std::atoll(patients.c_str()));
    }
    return out;
}

// --- what the fake LINE API accepted, read incrementally -----------------------------------------

/// One multicast as the fake received it, without its body once parsed.
struct Multicast {
    int status = 0;
    bool dropped = false;
    std::string retry_key;
    std::size_t recipients = 0;
    Clock::time_point received_at{};
};

/// Follows the fake's multicasts: each poll copies only the requests it has not seen (under the
/// fake's lock) and parses them outside it, counting how many accepted multicasts each user n
/// (FakeLineServer::user_id(n)) was in.
struct MulticastFollower {
    std::size_t scanned = 0;
    std::vector<Multicast> multicasts;
    std::vector<unsigned char> told;  ///< [n]: accepted multicasts user n was in (saturating)
    std::size_t due_told = 0;         ///< distinct due patients in an accepted multicast
    std::size_t strangers = 0;        ///< recipients in accepted multicasts who are not due
    std::size_t unfollowed_told = 0;  ///< of those, users who blocked the bot
    std::size_t unparsable = 0;       ///< multicast bodies or ids that could not be read
    std::size_t over_limit = 0;       ///< multicasts with more than 500 recipients
    std::size_t wrong_text = 0;       ///< multicasts whose text is not their recipients' language's prompt
    std::size_t mixed_language = 0;   ///< multicasts mixing languages
    std::size_t other_requests = 0;   ///< requests to anything but the multicast endpoint
    std::string example_problem;
    Clock::time_point last_accepted{};  ///< arrival of the latest accepted multicast

    std::function<bool(unsigned long long)> is_due;
    std::function<bool(unsigned long long)> is_unfollowed;
    std::function<bool(unsigned long long)> is_english;

    void poll(const line::FakeLineServer& fake) {
        std::vector<line::RecordedRequest> fresh;
        fake.wait_for(
            [&](const std::vector<line::RecordedRequest>& all) {
                for (; scanned < all.size(); ++scanned) fresh.push_back(all[scanned]);
                return true;
            },
            milliseconds(0)
        );
        for (const auto& r : fresh) {
            if (r.path != line::FakeLineServer::kMulticastPath) {
                ++other_requests;
                if (example_problem.empty()) example_problem = "a request to " + r.path;
                continue;
            }
            Multicast m;
            m.status = r.status;
            m.dropped = r.dropped;
            m.retry_key = r.header("x-line-retry-key");
            m.received_at = r.received_at;
            rapidjson::Document d;
            d.Parse(r.body.c_str(), r.body.size());
            if (d.HasParseError() || !d.IsObject() || !d.HasMember("to") || !d["to"].IsArray()) {
                ++unparsable;
                multicasts.push_back(std::move(m));
                continue;
            }
            const auto& to = d["to"];
            m.recipients = to.Size();
            if (m.recipients > kBatchSize) ++over_limit;
            std::string text;
            if (d.HasMember("messages") && d["messages"].IsArray() && d["messages"].Size() == 1) {
                text = json_string_member(d["messages"][0], "text");
            }
            if (r.accepted()) {
                last_accepted = std::max(last_accepted, r.received_at);
                std::size_t english = 0;
                for (const auto& v : to.GetArray()) {
                    const auto n = v.IsString() ? user_number(std::string_view(v.GetString(), v.GetStringLength())) : 0;
                    if (n == 0) {
                        ++unparsable;
                        continue;
                    }
                    if (is_english(n)) ++english;
                    if (!is_due(n) || n >= told.size()) {
                        ++strangers;
                        if (is_unfollowed(n)) ++unfollowed_told;
                        if (example_problem.empty()) example_problem = "user " + std::to_string(n) + " is not due a prompt";
                        continue;
                    }
                    if (told[n] == 0) ++due_told;
                    if (told[n] < 255) ++told[n];
                }
                const bool all_english = english == m.recipients;
                if (english != 0 && !all_english) ++mixed_language;
                const char* want = all_english ? kMorningEn : kMorningJa;
                if (text.rfind(want, 0) != 0 || text.find("{{") != std::string::npos) {
                    ++wrong_text;
                    if (example_problem.empty()) example_problem = "a multicast's text: " + text.substr(0, 120);
                }
            }
            multicasts.push_back(std::move(m));
        }
    }
};

// --- the admin API ---------------------------------------------------------------------------------

HttpResult admin(int port, const std::string& method, const std::string& target, const std::string& body,
                 milliseconds timeout = seconds(10)) {
    return http_request(port, method, target, body,
                        {{"Authorization", std::string("Bearer ") + kAdminToken}, {"X-Operator", kOperator},
                         {"Content-Type", "application/json"}},
                        timeout);
}

// --- the run ------------------------------------------------------------------------------------

int run() {
    const auto patients_n = static_cast<unsigned>(env_number("PATIENTS", 100'000, 1, 10'000'000));
    const long line_rate = env_number("SAPO_BENCH_LINE_RATE_LIMIT", 2000, 1, 1'000'000);
    const bool analyze_first = env_number("SAPO_BENCH_ANALYZE", 0, 0, 1) == 1;
    // sapo's own settings, passed only when set (else sapo's shipped defaults are what is measured)
    std::map<std::string, std::string> passed;
    for (const char* var : {"SAPO_FANOUT_RATE", "SAPO_FANOUT_POLL_MS", "SAPO_FANOUT_WORKERS", "SAPO_HEALTH_SCHEDULE_INTERVAL_MS"}) {
        if (const char* v = std::getenv(var); v != nullptr && *v != '\0') passed[var] = v;
    }
    auto setting = [&](const char* var, const char* fallback) {
        auto it = passed.find(var);
        return it == passed.end() ? std::string(fallback) + " (sapo's default)" : it->second;
    };
    const std::string settings_text = "SAPO_FANOUT_RATE=" + setting("SAPO_FANOUT_RATE", "100") +
                                      " SAPO_FANOUT_POLL_MS=" + setting("SAPO_FANOUT_POLL_MS", "1000") +
                                      " SAPO_FANOUT_WORKERS=" + setting("SAPO_FANOUT_WORKERS", "2") +
                                      " SAPO_HEALTH_SCHEDULE_INTERVAL_MS=" + setting("SAPO_HEALTH_SCHEDULE_INTERVAL_MS", "30000") +
                                      " line_rate_limit_per_s=" + std::to_string(line_rate);

    // what sapo must do, from the generation rules
    auto is_unfollowed = [](unsigned long long n) { return n % kUnfollowEvery == 0; };
    auto is_due = [patients_n](unsigned long long n) { return n >= 1 && n <= patients_n && n % kUnfollowEvery != 0; };
    auto is_english = [](unsigned long long n) { return n % kEnglishEvery == 0; };
    std::size_t expected_en = 0, expected_ja = 0, unfollowed_n = 0;
    for (unsigned n = 1; n <= patients_n; ++n) {
        if (!is_due(n)) {
            ++unfollowed_n;
            continue;
        }
        if (is_english(n)) ++expected_en;
        else ++expected_ja;
    }
    const std::size_t expected = expected_en + expected_ja;
    const std::size_t expected_batches = (expected_en + kBatchSize - 1) / kBatchSize + (expected_ja + kBatchSize - 1) / kBatchSize;

    std::printf("bench_health: PATIENTS=%u %s (%u CPUs)\n", patients_n, settings_text.c_str(), std::thread::hardware_concurrency());
    std::printf("expected: %zu prompts (%zu en, %zu ja; %zu unfollowed patients left out) in %zu multicasts\n", expected,
                expected_en, expected_ja, unfollowed_n, expected_batches);

    // the whole run on one Tokyo date: if midnight there is near, wait until just after it
    {
        const long long next_midnight = tokyo_midnight(-1);
        const long long left = next_midnight - now_ms();
        if (left < 5 * 60'000) {
            std::printf("Tokyo's midnight is %.0f s away: waiting until just after it\n", left / 1000.0);
            std::this_thread::sleep_for(milliseconds(left + 5000));
        }
    }

    // (a) the database: a fresh one on the test server, else a private throwaway cluster
    std::optional<TempDatabase> temp_db;
    std::optional<TempCluster> cluster;
    std::string database_url;
    if (!test_server_url().empty()) {
        temp_db.emplace();
        database_url = temp_db->url();
        std::printf("database: a fresh database on SAPO_TEST_DATABASE_URL's server (%s)\n", temp_db->name().c_str());
    } else {
        cluster.emplace();
        exec_sql(cluster->url(), "CREATE DATABASE sapo_bench");
        database_url = cluster->url();
        database_url.replace(database_url.rfind("/postgres"), 9, "/sapo_bench");
        std::printf("database: a throwaway PostgreSQL cluster (scripts/pg), database sapo_bench\n");
    }

    // (b) the fake LINE API, and a first sapo that migrates and installs what it ships
    line::FakeLineServer fake;
    const std::string config_path = "/tmp/sapo-bench-health-" + std::to_string(getpid()) + ".json";
    std::ofstream(config_path) << "{\"line_rate_limit_per_s\": " << line_rate << "}\n";
    std::map<std::string, std::string> env{
        {"DATABASE_URL", database_url},
        {"LINE_CHANNEL_SECRET", kSecret},
        {"LINE_CHANNEL_ACCESS_TOKEN", fake.access_token()},
        {"LINE_API_BASE_URL", fake.base_url()},
        {"SAPO_LINE_BASIC_ID", kBasicId},
        {"SAPO_ADMIN_TOKEN", kAdminToken},
        {"SAPO_CHECKIN_KEY", kCheckinKey},
        {"SAPO_LOG_LEVEL", "info"},  // quiet at info; the claim's "health prompts queued" line is read
        {"SAPO_CONFIG", config_path},
        {"SAPO_HEALTH_MORNING", "00:00"},   // the morning slot is open (until 20:00): it fires at start
        {"SAPO_HEALTH_REMINDER", "23:59"},  // and no reminder gets in the way
        {"SAPO_MAINTENANCE_INTERVAL_MS", "86400000"},  // no purge or partition upkeep mid-run
    };
    for (const auto& [k, v] : passed) env[k] = v;
    auto cleanup = [&] { std::remove(config_path.c_str()); };
    {
        const auto t0 = Clock::now();
        SapoProcess warm({"serve"}, env);
        warm.start();
        const bool up = wait_until(
            [&] { return !warm.running() || http_request(warm.port(), "GET", "/healthz", "", {}, milliseconds(500)).status == 200; },
            seconds(60)
        );
        if (!up || !warm.running()) {
            std::fprintf(stderr, "bench_health: sapo (warm-up) did not come up; its log:\n%s\n", warm.log().c_str());
            cleanup();
            return 1;
        }
        warm.signal(SIGTERM);
        const int code = warm.wait(seconds(30));
        if (code != 0) {
            std::fprintf(stderr, "bench_health: sapo (warm-up) exited with %d; its log:\n%s\n", code, warm.log().c_str());
            cleanup();
            return 1;
        }
        std::printf("warm-up: sapo migrated the database and installed its flows, stopped; %.1f s\n", since(t0, Clock::now()));
    }

    // (c) the data, generated inside PostgreSQL
    const long long today_midnight = tokyo_midnight(0);
    const std::string today = tokyo_date(today_midnight);
    const std::string from_date = tokyo_date(tokyo_midnight(3));
    const std::string to_date = tokyo_date(tokyo_midnight(-7));
    const std::string pn = std::to_string(patients_n);
    const auto load_started = Clock::now();
    auto step = [&](const char* what, const std::string& sql) {
        const auto t0 = Clock::now();
        exec_sql(database_url, sql);
        std::printf("  load: %-40s %6.1f s\n", what, since(t0, Clock::now()));
    };
    std::printf("loading (not a target):\n");
    const auto n_text = std::to_string(kUnfollowEvery);
    step("users", "INSERT INTO users (user_id, follow_state, followed_at, unfollowed_at, language) SELECT " + sql_user("n") +
                      ", CASE WHEN n % " + n_text + " = 0 THEN 'unfollowed' ELSE 'followed' END, now() - interval '10 days', "
                      "CASE WHEN n % " + n_text + " = 0 THEN now() - interval '1 day' END, "
                      "CASE WHEN n % " + std::to_string(kEnglishEvery) + " = 0 THEN 'en' WHEN n % 7 = 3 THEN NULL ELSE 'ja' END "
                      "FROM generate_series(1, " + pn + ") n");
    step("patients (enrolled, monitored today)",
         "INSERT INTO patients (label, monitoring_from, monitoring_to, phone, risk, user_id, enrolled_at, created_by, created_at) "
         "SELECT 'ベンチ患者 ' || n, '" + from_date + "'::date, '" + to_date + "'::date, '090-0000-' || lpad((n % 10000)::text, 4, '0'), "
         "CASE WHEN n % 5 = 0 THEN 'high' END, " + sql_user("n") + ", now() - interval '3 days', 'bench', now() - interval '4 days' "
         "FROM generate_series(1, " + pn + ") n");
    step("VACUUM ANALYZE", "VACUUM ANALYZE users, patients");
    const double load_s = since(load_started, Clock::now());
    const auto counts = query_rows(
        database_url,
        "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM users WHERE follow_state = 'unfollowed'), "
        "(SELECT count(*) FROM patients p JOIN users u USING (user_id) WHERE u.follow_state = 'followed' AND p.ended_at IS NULL "
        "AND '" + today + "'::date BETWEEN p.monitoring_from AND p.monitoring_to), "
        "(SELECT count(*) FROM health_prompts)"
    );
    std::printf("data: %s patients monitored %s .. %s (today %s in Tokyo), %s of them unfollowed; loaded in %.1f s\n",
                counts[0][0].c_str(), from_date.c_str(), to_date.c_str(), today.c_str(), counts[0][1].c_str(), load_s);
    std::vector<std::string> problems;
    if (counts[0][0] != pn) problems.push_back("patients loaded " + counts[0][0] + " != PATIENTS " + pn);
    if (counts[0][2] != std::to_string(expected)) problems.push_back("due patients in the data " + counts[0][2]);
    if (counts[0][3] != "0") problems.push_back("health_prompts has " + counts[0][3] + " rows before the run");

    MulticastFollower follower;
    follower.told.assign(static_cast<std::size_t>(patients_n) + 1, 0);
    follower.is_due = is_due;
    follower.is_unfollowed = is_unfollowed;
    follower.is_english = is_english;
    follower.poll(fake);
    if (!follower.multicasts.empty() || follower.other_requests != 0) {
        problems.push_back("the fake LINE API got " + std::to_string(follower.scanned) + " requests before the run");
    }

    // (d) the measured run: sapo starts with the morning slot open and the data in place
    const std::string pg_data = query_value(database_url, "SELECT setting FROM pg_settings WHERE name = 'data_directory'");
    const double pg_cpu_0 = postgres_cpu_seconds(pg_data);
    SapoProcess sapo({"serve"}, env);
    const long long spawn_wall = wall_ms();
    const auto spawned = Clock::now();
    sapo.start();
    const auto wall_rel = [&](long long ms) { return ms < 0 ? -1.0 : static_cast<double>(ms - spawn_wall) / 1000.0; };

    auto fail = [&](const std::string& what) {
        std::fprintf(stderr, "bench_health: %s\nsapo's log (last lines):\n%s\n", what.c_str(), tail_lines(sapo.log(), 30).c_str());
        sapo.signal(SIGTERM);
        sapo.wait(seconds(20));
        cleanup();
        return 1;
    };

    std::optional<Clock::time_point> up_at, all_told_at, db_settled_at;
    int sapo_pid = -1;
    double sapo_cpu = -1;
    const auto deadline = spawned + seconds(180) + milliseconds(500) * static_cast<long long>(expected_batches);
    auto next_db = Clock::now();
    while (true) {
        follower.poll(fake);
        const auto t = Clock::now();
        if (!all_told_at && follower.due_told >= expected) all_told_at = follower.last_accepted;
        if (!up_at && http_request(sapo.port(), "GET", "/healthz", "", {}, milliseconds(200)).status == 200) {
            up_at = Clock::now();
            sapo_pid = find_sapo_pid();
            // the scheduler claims at its first look at the clock, but not in the Tokyo evening
            // (no prompt from 20:00): run the slot now as an operator would; whichever claims
            // first, each patient is claimed once (the rest of the bench checks that)
            const auto kick = admin(sapo.port(), "POST", "/admin/api/health/prompts", R"({"slot":"morning"})", seconds(120));
            if (kick.status != 200) problems.push_back("POST /admin/api/health/prompts at start answered " + std::to_string(kick.status));
        }
        if (all_told_at && !db_settled_at && t >= next_db) {
            next_db = t + milliseconds(50);
            const auto r = query_rows(database_url, "SELECT count(*), count(*) FILTER (WHERE status <> 'pending') FROM health_prompt_batches");
            if (r[0][0] != "0" && r[0][0] == r[0][1]) db_settled_at = Clock::now();
        }
        if (all_told_at && sapo_cpu < 0 && sapo_pid > 0) sapo_cpu = cpu_seconds(sapo_pid);
        if ((all_told_at && db_settled_at) || t > deadline || !sapo.running()) break;
        std::this_thread::sleep_for(milliseconds(10));
    }
    const double pg_cpu_1 = postgres_cpu_seconds(pg_data);
    if (sapo_cpu < 0 && sapo_pid > 0) sapo_cpu = cpu_seconds(sapo_pid);
    if (!sapo.running()) return fail("sapo exited during the run");
    if (!up_at) return fail("sapo never answered /healthz");

    // the claim, from the database and the log
    const auto runs = query_rows(
        database_url,
        "SELECT r.id, r.prompt_date::text, (extract(epoch FROM r.created_at) * 1000)::bigint, "
        "(SELECT count(*) FROM health_prompts h WHERE h.run_id = r.id), "
        "(SELECT count(*) FROM health_prompt_batches b WHERE b.run_id = r.id) "
        "FROM health_prompt_runs r WHERE r.slot = 'morning' ORDER BY r.id"
    );
    const long long claim_started_wall = runs.empty() ? -1 : std::stoll(runs[0][2]);
    const auto queued_lines = queued_log_lines(sapo.log(), "morning");
    const long long claim_logged_wall = queued_lines.empty() ? -1 : queued_lines[0].first;
    const long long claim_logged_n = queued_lines.empty() ? -1 : queued_lines[0].second;

    // (e) the slot again, through the admin API: nobody is due any more
    double analyze_s = -1;
    if (analyze_first) {
        const auto t0 = Clock::now();
        exec_sql(database_url, "ANALYZE health_prompts");
        analyze_s = since(t0, Clock::now());
    }
    const auto stats = query_rows(database_url,
                                  "SELECT coalesce(greatest(last_analyze, last_autoanalyze)::text, 'never'), n_mod_since_analyze "
                                  "FROM pg_stat_user_tables WHERE relname = 'health_prompts'");
    const std::string analyzed = stats.empty() ? "?" : stats[0][0];
    const std::size_t multicasts_before_second = follower.multicasts.size();
    const auto second_started = Clock::now();
    const auto second = admin(sapo.port(), "POST", "/admin/api/health/prompts", R"({"slot":"morning"})", seconds(60));
    const double second_ms = since(second_started, Clock::now()) * 1000.0;
    std::string stuck;  // what sapo's connections were doing when the second run got no answer
    if (second.status == 0) {
        for (const auto& r : query_rows(database_url,
                                        "SELECT round(extract(epoch FROM now() - query_start)::numeric, 1), "
                                        "left(regexp_replace(query, '\\s+', ' ', 'g'), 400) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'")) {
            stuck += "  running " + r[0] + " s: " + r[1] + "\n";
        }
        // cancel them (only this run's database's backends), so that sapo can stop
        exec_sql(database_url, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND pid <> pg_backend_pid() AND state = 'active'");
    }
    const auto second_doc = parse(second.body);
    const long long second_queued = json_int_member(second_doc, "queued");
    const std::string second_date = second_doc.IsObject() ? json_string_member(second_doc, "date") : "";
    {
        // long enough for the runner to be woken or to poll (SAPO_FANOUT_POLL_MS) and send
        long poll_ms = 1000;
        if (auto it = passed.find("SAPO_FANOUT_POLL_MS"); it != passed.end()) poll_ms = std::atol(it->second.c_str());
        std::this_thread::sleep_for(milliseconds(std::max(3000L, 2 * poll_ms + 1000)));
    }
    follower.poll(fake);
    const std::size_t multicasts_after_second = follower.multicasts.size() - multicasts_before_second;

    // the database's own view
    const auto db = query_rows(
        database_url,
        "SELECT (SELECT count(*) FROM health_prompts WHERE slot = 'morning'), "
        "(SELECT count(*) FROM health_prompts WHERE slot = 'morning' AND accepted_at IS NOT NULL), "
        "(SELECT count(DISTINCT patient_id) FROM health_prompts WHERE slot = 'morning'), "
        "(SELECT count(*) FROM health_prompt_batches), "
        "(SELECT count(*) FROM health_prompt_batches WHERE status = 'accepted'), "
        "(SELECT coalesce(max(recipients), 0) FROM health_prompt_batches), "
        "(SELECT count(*) FROM health_prompt_batches WHERE attempts > 1), "
        "(SELECT count(*) FROM health_prompts h JOIN users u USING (user_id) WHERE u.follow_state = 'unfollowed'), "
        "(SELECT count(*) FROM health_prompts WHERE slot <> 'morning'), "
        "(SELECT round(extract(epoch FROM max(accepted_at) - min(accepted_at))::numeric, 2) FROM health_prompt_batches), "
        "(SELECT count(*) FROM health_prompt_runs)"
    );
    const auto& dbr = db[0];

    // exactly once, nobody else
    std::size_t missing = 0, twice = 0;
    for (unsigned n = 1; n <= patients_n; ++n) {
        if (!is_due(n)) continue;  // an unfollowed user prompted was counted among strangers
        if (follower.told[n] == 0) ++missing;
        if (follower.told[n] > 1) ++twice;
    }
    std::size_t accepted_n = 0, refused = 0, dropped = 0, recipients_sent = 0, largest = 0;
    std::map<std::string, int> accepted_keys;
    std::set<std::string> all_keys;
    Clock::time_point first_multicast = Clock::time_point::max();
    for (const auto& m : follower.multicasts) {
        all_keys.insert(m.retry_key);
        first_multicast = std::min(first_multicast, m.received_at);
        largest = std::max(largest, m.recipients);
        if (m.dropped) ++dropped;
        if (m.status >= 200 && m.status < 300) {
            ++accepted_n;
            recipients_sent += m.recipients;
            ++accepted_keys[m.retry_key];
        } else {
            ++refused;
        }
    }
    std::size_t keys_twice = 0;
    for (const auto& [key, n] : accepted_keys) {
        if (n > 1) ++keys_twice;
    }
    const std::size_t duplicates = recipients_sent >= follower.due_told + follower.strangers
                                       ? recipients_sent - follower.due_told - follower.strangers
                                       : 0;

    const bool complete = all_told_at.has_value();
    const double up_s = since(spawned, *up_at);
    const double all_s = complete ? since(spawned, *all_told_at) : -1;
    const double first_s = follower.multicasts.empty() ? -1 : since(spawned, first_multicast);
    const double settled_s = db_settled_at ? since(spawned, *db_settled_at) : -1;
    const double claim_start_s = wall_rel(claim_started_wall);
    const double claim_end_s = wall_rel(claim_logged_wall);
    const double send_s = complete && first_s >= 0 ? all_s - first_s : -1;
    const double run_wall = complete ? all_s : since(spawned, Clock::now());
    const std::string log_text = sapo.log();

    std::printf("\n===================== health prompt benchmark results =====================\n");
    std::printf("settings:     PATIENTS=%u %s;\n"
                "              SAPO_HEALTH_MORNING=00:00 (due from sapo's start); %u CPUs shared by sapo, PostgreSQL\n"
                "              (fsync on) and this process (the fake LINE API, the poller)\n",
                patients_n, settings_text.c_str(), std::thread::hardware_concurrency());
    std::printf("data:         %s patients, %zu unfollowed (left out): %zu due (%zu en, %zu ja); loaded in %.1f s (not a target)\n",
                counts[0][0].c_str(), unfollowed_n, expected, expected_en, expected_ja, load_s);
    std::printf("start:        sapo answered /healthz %.2f s after its spawn\n", up_s);
    std::printf("claim:        %s prompts in %s batches for %s; began %+.2f s, committed (logged \"queued %lld\") %+.2f s after\n"
                "              the spawn = %.2f s in one transaction\n",
                runs.empty() ? "NO" : runs[0][3].c_str(), runs.empty() ? "0" : runs[0][4].c_str(),
                runs.empty() ? "-" : runs[0][1].c_str(), claim_start_s, claim_logged_n, claim_end_s,
                claim_start_s >= 0 && claim_end_s >= 0 ? claim_end_s - claim_start_s : -1.0);
    std::printf("delivery:     %zu due patients in %zu accepted multicasts, all %.2f s after sapo's spawn%s  [< 60 s]\n"
                "              first multicast %+.2f s, last %+.2f s (%.2f s of sending, %.0f multicasts/s); every batch\n"
                "              accepted in the database %+.2f s; first -> last accepted_at there %s s\n",
                follower.due_told, accepted_n, all_s, complete ? "" : "  (INCOMPLETE)", first_s, all_s, send_s,
                send_s > 0 && accepted_n > 1 ? static_cast<double>(accepted_n - 1) / send_s : 0.0, settled_s, dbr[9].c_str());
    std::printf("CPU:          spawn -> all delivered (%.2f s): sapo %s, PostgreSQL %s%s\n", run_wall,
                fmt_cpu(sapo_cpu, run_wall).c_str(), fmt_cpu(pg_cpu_0 < 0 || pg_cpu_1 < 0 ? -1 : pg_cpu_1 - pg_cpu_0, run_wall).c_str(),
                cluster ? "" : " (the whole shared server)");
    std::printf("checks:       %zu multicasts (%zu accepted, %zu refused, %zu dropped), largest %zu recipients, %zu retry keys\n"
                "              (%zu accepted, %zu accepted twice); %zu recipients sent, %zu distinct: %zu duplicates; %zu due\n"
                "              patients missing, %zu prompted twice, %zu others prompted (%zu unfollowed); %zu mixed-language,\n"
                "              %zu wrong-text multicasts; in the database %s morning prompts (%s patients, %s accepted),\n"
                "              %s of %s batches accepted, largest %s, %s resent, %s unfollowed claimed, %s morning run(s)\n",
                follower.multicasts.size(), accepted_n, refused, dropped, largest, all_keys.size(), accepted_keys.size(), keys_twice,
                recipients_sent, follower.due_told + follower.strangers, duplicates, missing, twice, follower.strangers,
                follower.unfollowed_told, follower.mixed_language, follower.wrong_text, dbr[0].c_str(), dbr[2].c_str(),
                dbr[1].c_str(), dbr[4].c_str(), dbr[3].c_str(), dbr[5].c_str(), dbr[6].c_str(), dbr[7].c_str(),
                runs.empty() ? "0" : std::to_string(runs.size()).c_str());
    char analyze_text[96] = "";
    if (analyze_first) std::snprintf(analyze_text, sizeof analyze_text, " (ANALYZE by this bench, %.2f s)", analyze_s);
    std::printf("second run:   health_prompts last analyzed: %s%s, %s rows changed since;\n"
                "              POST /admin/api/health/prompts {\"slot\":\"morning\"} answered %d in %.0f ms: %s;\n"
                "              the fake LINE API then got %zu more multicasts\n",
                analyzed.c_str(), analyze_text, stats.empty() ? "?" : stats[0][1].c_str(), second.status, second_ms,
                second.status == 0 ? "no answer" : second.body.substr(0, 120).c_str(), multicasts_after_second);
    if (!stuck.empty()) std::printf("              sapo's queries still running then (cancelled):\n%s", stuck.c_str());
    std::printf("===========================================================================\n");

    // what is wrong, if anything
    const auto want = std::to_string(expected);
    if (!complete) problems.push_back(std::to_string(expected - follower.due_told) + " due patients were never in an accepted multicast");
    if (missing) problems.push_back(std::to_string(missing) + " due patients got no accepted multicast");
    if (twice) problems.push_back(std::to_string(twice) + " patients were in more than one accepted multicast");
    if (follower.strangers) {
        problems.push_back(std::to_string(follower.strangers) + " recipients prompted are not due (" +
                           std::to_string(follower.unfollowed_told) + " unfollowed; " + follower.example_problem + ")");
    }
    if (follower.unparsable) problems.push_back(std::to_string(follower.unparsable) + " multicast bodies or ids could not be read");
    if (follower.over_limit) problems.push_back(std::to_string(follower.over_limit) + " multicasts had more than 500 recipients");
    if (follower.mixed_language) problems.push_back(std::to_string(follower.mixed_language) + " multicasts mixed languages");
    if (follower.wrong_text) {
        problems.push_back(std::to_string(follower.wrong_text) + " multicasts carried the wrong text (" + follower.example_problem + ")");
    }
    if (follower.other_requests) problems.push_back(std::to_string(follower.other_requests) + " requests to other LINE endpoints");
    if (refused) problems.push_back(std::to_string(refused) + " multicasts were refused by the fake LINE API");
    if (keys_twice) problems.push_back(std::to_string(keys_twice) + " retry keys were accepted more than once");
    if (accepted_keys.size() != expected_batches) {
        problems.push_back(std::to_string(accepted_keys.size()) + " distinct accepted retry keys, expected " +
                           std::to_string(expected_batches) + " batches");
    }
    if (recipients_sent != expected) problems.push_back("accepted multicasts carried " + std::to_string(recipients_sent) + " recipients");
    if (runs.size() != 1) problems.push_back(std::to_string(runs.size()) + " morning runs in health_prompt_runs, expected 1");
    if (!runs.empty() && runs[0][1] != today) problems.push_back("the morning run is for " + runs[0][1] + ", not " + today);
    if (dbr[0] != want || dbr[2] != want) problems.push_back("health_prompts: " + dbr[0] + " morning rows for " + dbr[2] + " patients");
    if (dbr[1] != want) problems.push_back("health_prompts accepted: " + dbr[1]);
    if (dbr[3] != std::to_string(expected_batches) || dbr[4] != dbr[3]) {
        problems.push_back("health_prompt_batches: " + dbr[4] + " of " + dbr[3] + " accepted, expected " + std::to_string(expected_batches));
    }
    if (dbr[7] != "0") problems.push_back(dbr[7] + " unfollowed users were claimed");
    if (dbr[8] != "0") problems.push_back(dbr[8] + " prompts of other slots were claimed");
    if (claim_logged_n >= 0 && claim_logged_n != static_cast<long long>(expected)) {
        problems.push_back("the log says " + std::to_string(claim_logged_n) + " queued");
    }
    if (queued_lines.size() > 1) problems.push_back("the morning slot was logged as queued " + std::to_string(queued_lines.size()) + " times");
    if (second.status != 200) {
        problems.push_back("POST /admin/api/health/prompts answered " + std::to_string(second.status) + ": " + second.body.substr(0, 200));
    } else {
        if (second_queued != 0) problems.push_back("the second morning run queued " + std::to_string(second_queued));
        if (second_date != today) problems.push_back("the second run's date is \"" + second_date + "\", not " + today);
    }
    if (multicasts_after_second != 0) {
        problems.push_back("the fake LINE API got " + std::to_string(multicasts_after_second) + " multicasts after the second run");
    }
    if (!sapo.running()) problems.push_back("sapo is no longer running");
    if (const char* keep = std::getenv("SAPO_BENCH_KEEP_LOG"); keep != nullptr && *keep != '\0') {
        std::ofstream(keep) << log_text;
    }
    if (!log_text.empty()) std::printf("sapo's log (level info; last lines):\n%s\n", tail_lines(log_text, 12).c_str());

    sapo.signal(SIGTERM);
    const int exit_code = sapo.wait(seconds(20));
    if (exit_code != 0) problems.push_back("sapo exited with status " + std::to_string(exit_code) + " after SIGTERM");
    cleanup();

    if (!problems.empty()) {
        std::fprintf(stderr, "bench_health: SOMETHING IS WRONG:\n");
        for (const auto& p : problems) std::fprintf(stderr, "  - %s\n", p.c_str());
        std::fprintf(stderr, "sapo's log (last lines):\n%s\n", tail_lines(sapo.log(), 30).c_str());
        return 1;
    }
    std::printf("bench_health: all %zu due patients prompted exactly once, in %zu multicasts, %.2f s after sapo's start; "
                "nobody else; the second run queued 0\n",
                expected, expected_batches, all_s);
    return 0;
}

}  // namespace

int main() {
    std::signal(SIGPIPE, SIG_IGN);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    try {
        return run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_health: %s\n", e.what());
        return 1;
    }
}
