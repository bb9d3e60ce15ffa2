// bench_fanout (scripts/bench-fanout): the notification fan-out at a large facility's scale.
//
// A real `sapo serve` on a real PostgreSQL (SAPO_TEST_DATABASE_URL's server, or a throwaway
// cluster made here with scripts/pg), its LINE credentials pointed at the in-process fake LINE
// API. The data is generated in SQL inside PostgreSQL (generate_series), after sapo migrated:
//   - FACILITIES facilities (ids f1 .. f1+F-1; f1 is "facility 1");
//   - CHECKINS check-ins in all, inserted in time order (as they would arrive): WINDOW_USERS
//     distinct users (user n = 1..W) at facility 1 yesterday (Asia/Tokyo) 12:00-14:00, every
//     20th of them twice (DISTINCT matters), and the rest spread over the last 7 days over every
//     facility by a pool of users that overlaps the window's (facility 1's own outside-window
//     ones are moved 3 hours earlier, so that the window holds exactly the W users);
//   - a users row for every user: follow_state 'followed', except every 331st user (n % 331 = 0),
//     'unfollowed' (about 300 of them in the window: the exclusion is exercised); language 'en'
//     for n % 10 = 0, NULL for some (n % 7 = 3; sapo sends those Japanese), else 'ja'.
//   The expected targets and batches are computed here from those rules, not read back from sapo.
//   Partitions are ensured first; VACUUM ANALYZE after loading. Load time is reported, no target.
// Then, measured:
//   1. target query: POST /admin/api/notifications (facility 1, yesterday 12:00-14:00,
//      template tokyo_1), which drafts and answers 201 with the exact "targets" count; timed as
//      the HTTP call. Then the same SQL directly: EXPLAIN (ANALYZE, BUFFERS) of
//      SELECT count(*) FROM (<kTargets>) with the draft's facility and window (execution and
//      planning time, the indexes used, any sequential scan of check-ins), and the count run
//      the way sapo runs it (exec_params, best of 3). Target (the issue): < 1 s.
//   2. freezing: POST /admin/api/notifications/{id}/approve as another X-Operator, timed as the
//      HTTP call: one transaction freezes every recipient into notification_recipients and makes
//      their notification_batches (500 to a multicast, one language each). Target: < 3 s.
//      (The runner is woken by the approval and may start sending before the answer arrives.)
//   3. delivery: sapo runs with SAPO_FANOUT_RATE=2000 multicasts/s and SAPO_FANOUT_POLL_MS=100,
//      its LINE client's own pacing raised (line_rate_limit_per_s via a SAPO_CONFIG file).
//      Measured from the approve answer until the fake LINE API had accepted multicasts
//      covering every target (the fake's list is read incrementally, each multicast's arrival
//      time recorded by the fake), and until GET /admin/api/notifications/{id} says "done"
//      (polled every 100 ms). Target: < 10 s for 100,000 recipients (200 multicasts).
//   4. memory: sapo's VmRSS sampled every 50 ms (a thread reading /proc/<pid>/status) from just
//      before the approval until done: before the approval, max during the freeze, max during
//      the send, after; and VmHWM. "Flat" = max during the send - before (a batch is 500 ids).
//   5. CPU seconds of sapo and PostgreSQL during the freeze and the send.
// Then it checks the outcome: every target in exactly one accepted multicast, nobody else (no
// unfollowed user, nobody outside the window), each multicast <= 500 recipients of one language
// carrying that language's text, no multicast refused, accepted retry keys distinct and as many
// as batches.total; GET says done with sent = targets; every batch and recipient accepted in
// the database.
//
// It reports figures and never judges speed: the exit status is non-zero only when something is
// wrong (a non-2xx admin answer, a wrong count, a recipient missing or told twice, the
// notification not done after a generous timeout, sapo gone).
//
// Env: FACILITIES (1000), CHECKINS (1000000), WINDOW_USERS (100000); for a quick run e.g.
//      CHECKINS=100000 WINDOW_USERS=10000.
//      SAPO_FANOUT_RATE (2000), SAPO_FANOUT_POLL_MS (100), SAPO_FANOUT_WORKERS (sapo's default)
//      passed to sapo.
//      SAPO_BENCH_LINE_RATE_LIMIT: sapo's line_rate_limit_per_s (its LINE client's pacing),
//      default 100000 here so that it never paces below SAPO_FANOUT_RATE.
//      SAPO_BENCH_KEEP_LOG=path: copy sapo's log there at the end.

// The harness (sapo_test_support) uses Catch2's assertion machinery; this program has its own
// main, so it carries Catch's implementation without Catch's main. Nothing here calls the parts
// of the harness that assert (start_serving, have_test_postgres).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <pqxx/pqxx>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test/support/fake_line_server.hpp"
#include "test/support/bench_support.hpp"
#include "test/support/harness.hpp"
#include "test/support/tokyo_days.hpp"

using namespace sapo;
using namespace sapo::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* kSecret = "bench-fanout-secret";
constexpr const char* kAdminToken = "bench-fanout-admin-token";
constexpr const char* kCheckinKey = "bench-fanout-key-0123456789abcdef";
constexpr const char* kBasicId = "@sapobench";
constexpr const char* kDrafter = "hanako";
constexpr const char* kApprover = "taro";
constexpr long long kMinute = 60'000;
constexpr long long kHour = 60 * kMinute;
constexpr long long kDay = 24 * kHour;
constexpr unsigned kUnfollowEvery = 331;  ///< user n is 'unfollowed' when n % 331 == 0
constexpr unsigned kEnglishEvery = 10;    ///< user n speaks 'en' when n % 10 == 0
constexpr unsigned kTwiceEvery = 20;      ///< window user n checked in twice when n % 20 == 0
constexpr std::size_t kBatchSize = 500;   ///< sapo's kNotificationBatchSize, LINE's multicast limit

/// The target query, the same text as kTargets in storage/pg_notification_store.cpp (keep the
/// two in step): $1 facility, $2 and $3 the window in Unix ms.
constexpr const char* kTargets = R"sql(
SELECT DISTINCT c.user_id FROM checkins c
WHERE c.facility_id = $1
  AND c.checked_in_at >= to_timestamp($2 / 1000.0) AND c.checked_in_at < to_timestamp($3 / 1000.0)
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = c.user_id AND u.follow_state = 'unfollowed'))sql";

double since(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
double ms_since(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

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

// --- sapo's process: found among our children, for its RSS and CPU time -----------------------

std::string fmt_mb(long kb) {
    if (kb < 0) return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(kb) / 1024.0);
    return buf;
}

// --- sapo's memory, sampled on a thread ----------------------------------------------------------

/// Reads sapo's VmRSS every `every` until stopped; the samples are kept with their times.
class RssSampler {
public:
    struct Sample {
        Clock::time_point at;
        long kb;
    };

    RssSampler(int pid, milliseconds every) : pid_(pid), every_(every) {}
    ~RssSampler() { stop(); }
    RssSampler(const RssSampler&) = delete;
    RssSampler& operator=(const RssSampler&) = delete;

    void start() {
        if (pid_ <= 0 || thread_.joinable()) return;
        thread_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!stopping_) {
                lock.unlock();
                const long kb = proc_status_kb(pid_, "VmRSS");
                const auto t = Clock::now();
                lock.lock();
                if (kb >= 0) samples_.push_back({t, kb});
                cv_.wait_for(lock, every_, [this] { return stopping_; });
            }
        });
    }

    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    /// The largest sample taken in [from, to], or -1 when none was.
    long max_between(Clock::time_point from, Clock::time_point to) const {
        std::lock_guard lock(mutex_);
        long best = -1;
        for (const auto& s : samples_) {
            if (s.at >= from && s.at <= to) best = std::max(best, s.kb);
        }
        return best;
    }

    std::size_t count_between(Clock::time_point from, Clock::time_point to) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(
            std::count_if(samples_.begin(), samples_.end(), [&](const Sample& s) { return s.at >= from && s.at <= to; }));
    }

private:
    int pid_;
    milliseconds every_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<Sample> samples_;
    std::thread thread_;
};

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
/// fake's lock, bodies copied, nothing parsed there) and then parses them outside the lock,
/// counting how many times each user n (FakeLineServer::user_id(n)) was in an accepted one.
struct MulticastFollower {
    std::size_t scanned = 0;
    std::vector<Multicast> multicasts;
    std::vector<unsigned char> told;        ///< [n]: accepted multicasts user n was in (saturating)
    std::size_t targets_told = 0;           ///< distinct expected targets in an accepted multicast
    std::size_t strangers = 0;              ///< recipients in accepted multicasts that are no target
    std::size_t unparsable = 0;             ///< multicast bodies or ids that could not be read
    std::size_t over_limit = 0;             ///< multicasts with more than 500 recipients
    std::size_t wrong_text = 0;             ///< multicasts whose text is not their recipients' language's
    std::size_t mixed_language = 0;         ///< multicasts mixing languages
    std::size_t other_requests = 0;         ///< requests to anything but the multicast endpoint
    std::string example_problem;
    Clock::time_point last_accepted{};      ///< arrival of the latest accepted multicast

    std::function<bool(unsigned long long)> is_target;
    std::function<bool(unsigned long long)> is_english;
    std::string text_ja, text_en;

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
                int english = 0;
                for (const auto& v : to.GetArray()) {
                    const auto n = v.IsString() ? user_number(std::string_view(v.GetString(), v.GetStringLength())) : 0;
                    if (n == 0) {
                        ++unparsable;
                        continue;
                    }
                    if (is_english(n)) ++english;
                    if (!is_target(n) || n >= told.size()) {
                        ++strangers;
                        if (example_problem.empty()) example_problem = "user " + std::to_string(n) + " is not a target";
                        continue;
                    }
                    if (told[n] == 0) ++targets_told;
                    if (told[n] < 255) ++told[n];
                }
                const bool all_english = english == static_cast<int>(m.recipients);
                if (english != 0 && !all_english) ++mixed_language;
                if (text != (all_english ? text_en : text_ja)) {
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
                 const std::string& op, milliseconds timeout = seconds(10)) {
    return http_request(port, method, target, body,
                        {{"Authorization", std::string("Bearer ") + kAdminToken}, {"X-Operator", op}}, timeout);
}

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    return d;
}

long long batches_member(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject()) return -1;
    auto it = v.FindMember("batches");
    return it != v.MemberEnd() && it->value.IsObject() ? json_int_member(it->value, key) : -1;
}

/// Replaces $1, $2, $3 in the target query with literals, for EXPLAIN.
std::string targets_with_literals(long long facility, long long start_ms, long long end_ms) {
    std::string sql = kTargets;
    const std::pair<const char*, std::string> subs[] = {
        {"$1", std::to_string(facility)}, {"$2", std::to_string(start_ms)}, {"$3", std::to_string(end_ms)}};
    for (const auto& [from, to] : subs) {
        for (auto at = sql.find(from); at != std::string::npos; at = sql.find(from, at + to.size())) sql.replace(at, 2, to);
    }
    return sql;
}

// --- the run ------------------------------------------------------------------------------------

int run() {
    const auto facilities_n = static_cast<long long>(env_number("FACILITIES", 1000, 1, 1'000'000));
    const auto checkins_n = static_cast<long long>(env_number("CHECKINS", 1'000'000, 1, 100'000'000));
    const auto window_n = static_cast<unsigned>(env_number("WINDOW_USERS", 100'000, 1, 10'000'000));
    const long long window_checkins = window_n + window_n / kTwiceEvery;
    if (checkins_n < window_checkins) {
        throw std::runtime_error("CHECKINS=" + std::to_string(checkins_n) + " must be at least WINDOW_USERS + WINDOW_USERS/20 = " +
                                 std::to_string(window_checkins) + " (the window's check-ins)");
    }
    const long long background_n = checkins_n - window_checkins;
    // the background's users: a pool about a quarter of its check-ins (people come back), which
    // includes the window's users
    const long long pool = std::max<long long>({static_cast<long long>(window_n), background_n / 4, 1});
    const long long users_n = pool;
    const long fanout_rate = env_number("SAPO_FANOUT_RATE", 2000, 1, 1'000'000);
    const long poll_ms = env_number("SAPO_FANOUT_POLL_MS", 100, 10, 600'000);
    const long line_rate = env_number("SAPO_BENCH_LINE_RATE_LIMIT", 100'000, 1, 1'000'000);
    const char* workers_env = std::getenv("SAPO_FANOUT_WORKERS");
    const std::string workers = workers_env && *workers_env ? workers_env : "default (2)";

    // what sapo must find, from the generation rules
    auto is_target = [window_n](unsigned long long n) { return n >= 1 && n <= window_n && n % kUnfollowEvery != 0; };
    auto is_english = [](unsigned long long n) { return n % kEnglishEvery == 0; };
    std::size_t expected_en = 0, expected_ja = 0, unfollowed_in_window = 0;
    for (unsigned n = 1; n <= window_n; ++n) {
        if (!is_target(n)) {
            ++unfollowed_in_window;
            continue;
        }
        if (is_english(n)) ++expected_en;
        else ++expected_ja;
    }
    const std::size_t expected = expected_en + expected_ja;
    const std::size_t expected_batches = (expected_en + kBatchSize - 1) / kBatchSize + (expected_ja + kBatchSize - 1) / kBatchSize;

    std::printf("bench_fanout: FACILITIES=%lld CHECKINS=%lld WINDOW_USERS=%u SAPO_FANOUT_RATE=%ld SAPO_FANOUT_POLL_MS=%ld "
                "SAPO_FANOUT_WORKERS=%s line_rate_limit_per_s=%ld (%u CPUs)\n",
                facilities_n, checkins_n, window_n, fanout_rate, poll_ms, workers.c_str(), line_rate,
                std::thread::hardware_concurrency());
    std::printf("expected: %zu targets (%zu en, %zu ja; %zu unfollowed in the window left out) in %zu batches\n", expected,
                expected_en, expected_ja, unfollowed_in_window, expected_batches);

    // (a) the database: a fresh one on the test server, else a private throwaway cluster
    std::optional<TempDatabase> temp_db;
    std::optional<TempCluster> cluster;
    std::string database_url;
    const auto setup_started = Clock::now();
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

    // (b) the fake LINE API and sapo (which migrates the database)
    line::FakeLineServer fake;
    const std::string config_path = "/tmp/sapo-bench-fanout-" + std::to_string(getpid()) + ".json";
    std::ofstream(config_path) << "{\"line_rate_limit_per_s\": " << line_rate << "}\n";
    std::map<std::string, std::string> env{
        {"DATABASE_URL", database_url},
        {"LINE_CHANNEL_SECRET", kSecret},
        {"LINE_CHANNEL_ACCESS_TOKEN", fake.access_token()},
        {"LINE_API_BASE_URL", fake.base_url()},
        {"SAPO_LINE_BASIC_ID", kBasicId},
        {"SAPO_ADMIN_TOKEN", kAdminToken},
        {"SAPO_CHECKIN_KEY", kCheckinKey},
        {"SAPO_LOG_LEVEL", "warn"},
        {"SAPO_CONFIG", config_path},
        {"SAPO_FANOUT_RATE", std::to_string(fanout_rate)},
        {"SAPO_FANOUT_POLL_MS", std::to_string(poll_ms)},
        {"SAPO_MAINTENANCE_INTERVAL_MS", "86400000"},  // no purge or partition upkeep mid-run
    };
    if (workers_env && *workers_env) env["SAPO_FANOUT_WORKERS"] = workers_env;
    SapoProcess sapo({"serve"}, env);
    sapo.start();
    const bool up = wait_until(
        [&] { return !sapo.running() || http_request(sapo.port(), "GET", "/healthz", "", {}, milliseconds(500)).status == 200; },
        seconds(60)
    );
    if (!up || !sapo.running()) {
        std::fprintf(stderr, "bench_fanout: sapo did not come up; its log:\n%s\n", sapo.log().c_str());
        std::remove(config_path.c_str());
        return 1;
    }
    const int sapo_pid = find_sapo_pid();
    std::printf("setup: sapo pid %d on port %d, %.1f s\n", sapo_pid, sapo.port(), since(setup_started, Clock::now()));

    // (c) the data, generated inside PostgreSQL
    const long long midnight = tokyo_midnight(1);  // yesterday in Tokyo
    const std::string date = tokyo_date(midnight);
    const long long window_start = midnight + 12 * kHour;
    const long long window_end = midnight + 14 * kHour;
    const long long window_len = window_end - window_start;
    const long long now = now_ms();
    const long long background_from = now - 7 * kDay;
    const long long background_span = 7 * kDay - kMinute;  // up to a minute ago

    const auto load_started = Clock::now();
    auto step = [&](const char* what, const std::string& sql) {
        const auto t0 = Clock::now();
        exec_sql(database_url, sql);
        std::printf("  load: %-52s %6.1f s\n", what, since(t0, Clock::now()));
    };
    std::printf("loading (not a target):\n");
    {
        const auto t0 = Clock::now();
        for (int d = -1; d <= 8; ++d) {  // every month a check-in can fall in, tomorrow included
            exec_sql(database_url, "SELECT sapo_ensure_checkin_partition(" + sql_instant(now - d * kDay) + ")");
        }
        std::printf("  load: %-52s %6.1f s\n", "check-in partitions ensured", since(t0, Clock::now()));
    }
    step("facilities", "INSERT INTO facilities (name, kind, address, phone) "
                       "SELECT 'ベンチ施設 ' || n, '飲食店', '岩手県盛岡市内丸10-1', '019-000-' || lpad((n % 10000)::text, 4, '0') "
                       "FROM generate_series(1, " + std::to_string(facilities_n) + ") n");
    const long long f1 = std::stoll(query_value(database_url, "SELECT min(id) FROM facilities"));
    const auto n_text = std::to_string(kUnfollowEvery);
    step("users", "INSERT INTO users (user_id, follow_state, followed_at, unfollowed_at, language) SELECT " + sql_user("n") +
                      ", CASE WHEN n % " + n_text + " = 0 THEN 'unfollowed' ELSE 'followed' END, now() - interval '60 days', "
                      "CASE WHEN n % " + n_text + " = 0 THEN now() - interval '1 hour' END, "
                      "CASE WHEN n % " + std::to_string(kEnglishEvery) + " = 0 THEN 'en' WHEN n % 7 = 3 THEN NULL ELSE 'ja' END "
                      "FROM generate_series(1, " + std::to_string(users_n) + ") n");
    // the window: user n at start + (n * 7919 mod 2 h), every 20th once more; the background:
    // check-in k by pool user 1 + (k * 7919 mod pool) at facility f1 + k mod F, at a time spread
    // over the last 7 days, facility 1's moved out of the window; all inserted in time order
    const std::string window_sql =
        "SELECT " + sql_user("n") + " AS user_id, " + std::to_string(f1) + "::bigint AS facility_id, " +
        sql_instant(window_start) + " + (n::bigint * 7919 % " + std::to_string(window_len) +
        ") * interval '1 millisecond' AS checked_in_at FROM generate_series(1, " + std::to_string(window_n) + ") n "
        "UNION ALL SELECT " + sql_user("n") + ", " + std::to_string(f1) + ", " + sql_instant(window_start) +
        " + ((n::bigint * 104729 + " + std::to_string(window_len / 2) + ") % " + std::to_string(window_len) +
        ") * interval '1 millisecond' FROM generate_series(" + std::to_string(kTwiceEvery) + ", " + std::to_string(window_n) +
        ", " + std::to_string(kTwiceEvery) + ") n";
    const std::string background_sql =
        "SELECT " + sql_user("(1 + k::bigint * 7919 % " + std::to_string(pool) + ")") + ", f, "
        "CASE WHEN f = " + std::to_string(f1) + " AND t >= " + sql_instant(window_start) + " AND t < " + sql_instant(window_end) +
        " THEN t - interval '3 hours' ELSE t END FROM (SELECT k, " + std::to_string(f1) + " + k % " + std::to_string(facilities_n) +
        " AS f, " + sql_instant(background_from) + " + (k::bigint * 7776151 % " + std::to_string(background_span) +
        ") * interval '1 millisecond' AS t FROM generate_series(0, " + std::to_string(background_n - 1) + ") k) b";
    step("check-ins (one INSERT ... ORDER BY checked_in_at)",
         "INSERT INTO checkins (user_id, facility_id, checked_in_at) SELECT * FROM (" + window_sql + " UNION ALL " +
             background_sql + ") a ORDER BY 3");
    step("VACUUM ANALYZE", "VACUUM ANALYZE facilities, users, checkins");
    const double load_s = since(load_started, Clock::now());
    const auto counts = query_rows(
        database_url,
        "SELECT (SELECT count(*) FROM checkins), (SELECT count(*) FROM users), "
        "(SELECT count(*) FROM users WHERE follow_state = 'unfollowed'), "
        "(SELECT count(*) FROM checkins WHERE facility_id = " + std::to_string(f1) + "), "
        "(SELECT count(*) FROM checkins WHERE facility_id = " + std::to_string(f1) + " AND checked_in_at >= " +
            sql_instant(window_start) + " AND checked_in_at < " + sql_instant(window_end) + "), "
        "(SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) FROM pg_partition_tree('checkins')), "
        "(SELECT count(*) FROM pg_partition_tree('checkins') WHERE isleaf)"
    );
    const long long rows_checkins = std::stoll(counts[0][0]);
    std::printf("data: %s check-ins (%s at facility 1, %s of them in its window), %s users (%s unfollowed), %s on disk in %s "
                "partitions; loaded in %.1f s\n",
                counts[0][0].c_str(), counts[0][3].c_str(), counts[0][4].c_str(), counts[0][1].c_str(), counts[0][2].c_str(),
                counts[0][5].c_str(), counts[0][6].c_str(), load_s);

    std::vector<std::string> problems;
    if (rows_checkins != checkins_n) problems.push_back("check-ins loaded " + counts[0][0] + " != CHECKINS " + std::to_string(checkins_n));
    if (counts[0][4] != std::to_string(window_checkins)) {
        problems.push_back("check-ins in the window " + counts[0][4] + " != " + std::to_string(window_checkins));
    }

    auto fail = [&](const std::string& what) {
        std::fprintf(stderr, "bench_fanout: %s\nsapo's log (last lines):\n%s\n", what.c_str(), tail_lines(sapo.log(), 30).c_str());
        sapo.signal(SIGTERM);
        sapo.wait(seconds(20));
        std::remove(config_path.c_str());
        return 1;
    };

    // (1) the target query: through sapo (the draft's exact count), then the SQL directly
    const std::string draft_body = R"({"facility_id":)" + std::to_string(f1) + R"(,"date":")" + date +
                                   R"(","from":"12:00","to":"14:00","template":"tokyo_1","params":{}})";
    const auto draft_started = Clock::now();
    const auto drafted = admin(sapo.port(), "POST", "/admin/api/notifications", draft_body, kDrafter, seconds(120));
    const double draft_ms = ms_since(draft_started, Clock::now());
    const auto draft_doc = parse(drafted.body);
    if (drafted.status != 201 || !draft_doc.IsObject()) {
        return fail("POST /admin/api/notifications answered " + std::to_string(drafted.status) + ": " + drafted.body);
    }
    const long long id = json_int_member(draft_doc, "id");
    const long long draft_targets = json_int_member(draft_doc, "targets");
    const std::string text_ja = draft_doc.HasMember("preview") ? json_string_member(draft_doc["preview"], "ja") : "";
    const std::string text_en = draft_doc.HasMember("preview") ? json_string_member(draft_doc["preview"], "en") : "";
    std::printf("drafted notification %lld in %.0f ms: targets %lld\n", id, draft_ms, draft_targets);
    if (draft_targets != static_cast<long long>(expected)) {
        problems.push_back("the draft counted " + std::to_string(draft_targets) + " targets, expected " + std::to_string(expected));
    }
    if (text_ja.empty() || text_en.empty()) problems.push_back("the draft has no preview texts: " + drafted.body.substr(0, 300));

    // the window as sapo stored it (the draft's own instants)
    const auto window_rows = query_rows(database_url, "SELECT facility_id, (extract(epoch FROM window_start) * 1000)::bigint, "
                                                      "(extract(epoch FROM window_end) * 1000)::bigint FROM notifications WHERE id = " +
                                                          std::to_string(id));
    if (window_rows.empty()) return fail("notification " + std::to_string(id) + " is not in the database");
    const long long stored_start = std::stoll(window_rows[0][1]);
    const long long stored_end = std::stoll(window_rows[0][2]);
    if (stored_start != window_start || stored_end != window_end) {
        problems.push_back("the draft's window [" + window_rows[0][1] + ", " + window_rows[0][2] + ") is not yesterday 12:00-14:00 [" +
                           std::to_string(window_start) + ", " + std::to_string(window_end) + ")");
    }
    std::string explain_text;
    double explain_exec_ms = -1, explain_plan_ms = -1;
    std::set<std::string> indexes_used;
    bool seq_scan_checkins = false;
    double direct_best_ms = -1;
    long long direct_count = -1;
    {
        pqxx::connection c(database_url);
        pqxx::nontransaction tx(c);
        const std::string count_sql = std::string("SELECT count(*) FROM (") + kTargets + ") t";
        for (const auto& r : tx.exec("EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM (" +
                                     targets_with_literals(f1, stored_start, stored_end) + ") t")) {
            const std::string line = r[0].c_str();
            explain_text += "  " + line + "\n";
            if (line.find("Execution Time:") != std::string::npos) {
                explain_exec_ms = std::strtod(line.c_str() + line.find(':') + 1, nullptr);
            }
            if (line.find("Planning Time:") != std::string::npos) {
                explain_plan_ms = std::strtod(line.c_str() + line.find(':') + 1, nullptr);
            }
            if (line.find("Seq Scan on checkins") != std::string::npos) seq_scan_checkins = true;
            if (auto at = line.find("Index"); at != std::string::npos && line.find(" using ", at) != std::string::npos) {
                auto name_at = line.find(" using ", at) + 7;
                indexes_used.insert(line.substr(name_at, line.find(' ', name_at) - name_at));
            } else if (auto bitmap = line.find("Bitmap Index Scan on "); bitmap != std::string::npos) {
                auto name_at = bitmap + 21;
                indexes_used.insert(line.substr(name_at, line.find(' ', name_at) - name_at));
            }
        }
        for (int i = 0; i < 3; ++i) {  // the way sapo's count_targets runs it: parameters, one statement
            const auto t0 = Clock::now();
            direct_count = tx.exec_params(count_sql, f1, stored_start, stored_end)[0][0].as<long long>();
            const double ms = ms_since(t0, Clock::now());
            direct_best_ms = direct_best_ms < 0 ? ms : std::min(direct_best_ms, ms);
        }
    }
    std::printf("EXPLAIN (ANALYZE, BUFFERS) of the target count:\n%s", explain_text.c_str());
    if (direct_count != static_cast<long long>(expected)) {
        problems.push_back("the target query counts " + std::to_string(direct_count) + ", expected " + std::to_string(expected));
    }
    bool facility_index = false;
    std::string index_list;
    for (const auto& name : indexes_used) {
        index_list += (index_list.empty() ? "" : ", ") + name;
        if (name == "checkins_facility_time_idx" || name.find("facility_id_checked_in_at") != std::string::npos) facility_index = true;
    }

    // (2) freezing, (3) delivery, (4) memory
    const std::string pg_data = query_value(database_url, "SELECT setting FROM pg_settings WHERE name = 'data_directory'");
    MulticastFollower follower;
    follower.told.assign(static_cast<std::size_t>(window_n) + 1, 0);
    follower.is_target = is_target;
    follower.is_english = is_english;
    follower.text_ja = text_ja;
    follower.text_en = text_en;
    follower.poll(fake);  // nothing is expected yet; anything already there counts as "other"

    RssSampler sampler(sapo_pid, milliseconds(50));
    const long rss_before = proc_status_kb(sapo_pid, "VmRSS");
    const long hwm_before = proc_status_kb(sapo_pid, "VmHWM");
    const double sapo_cpu_0 = sapo_pid > 0 ? cpu_seconds(sapo_pid) : -1;
    const double pg_cpu_0 = postgres_cpu_seconds(pg_data);
    sampler.start();

    const auto approve_started = Clock::now();
    const auto approved = admin(sapo.port(), "POST", "/admin/api/notifications/" + std::to_string(id) + "/approve", "", kApprover,
                                seconds(300));
    const auto approve_answered = Clock::now();
    const double sapo_cpu_1 = sapo_pid > 0 ? cpu_seconds(sapo_pid) : -1;
    const double pg_cpu_1 = postgres_cpu_seconds(pg_data);
    const double freeze_s = since(approve_started, approve_answered);
    const auto approve_doc = parse(approved.body);
    if (approved.status != 200 || !approve_doc.IsObject()) {
        sampler.stop();
        return fail("POST /admin/api/notifications/" + std::to_string(id) + "/approve answered " + std::to_string(approved.status) +
                    " after " + std::to_string(freeze_s) + " s: " + approved.body);
    }
    const long long batches_total = batches_member(approve_doc, "total");
    std::printf("approved in %.2f s: status %s, targets %lld, batches %lld\n", freeze_s,
                json_string_member(approve_doc, "status").c_str(), json_int_member(approve_doc, "targets"), batches_total);

    // until the fake has every target and sapo says done (or a generous deadline passes)
    const auto deadline = approve_answered + seconds(120) + milliseconds(500) * static_cast<long long>(expected_batches);
    std::optional<Clock::time_point> all_told_at;  // arrival of the multicast that completed the set
    std::optional<Clock::time_point> done_seen_at;
    std::string status = json_string_member(approve_doc, "status");
    rapidjson::Document final_doc;
    int get_failures = 0;
    auto next_get = Clock::now();
    while (true) {
        follower.poll(fake);
        if (!all_told_at && follower.targets_told >= expected) all_told_at = follower.last_accepted;
        const auto t = Clock::now();
        if (!done_seen_at && t >= next_get) {
            next_get = t + milliseconds(100);
            auto g = admin(sapo.port(), "GET", "/admin/api/notifications/" + std::to_string(id), "", kDrafter);
            const auto seen = Clock::now();
            auto d = parse(g.body);
            if (g.status == 200 && d.IsObject()) {
                status = json_string_member(d, "status");
                if (status == "done" || status == "failed" || status == "cancelled") {
                    done_seen_at = seen;
                    final_doc.Swap(d);
                }
            } else if (++get_failures <= 3) {
                problems.push_back("GET /admin/api/notifications/" + std::to_string(id) + " answered " + std::to_string(g.status) +
                                   ": " + g.body.substr(0, 200));
            }
        }
        if ((all_told_at && done_seen_at) || Clock::now() > deadline || !sapo.running()) break;
        if (done_seen_at && !all_told_at) {
            // sapo is done: whatever the fake has is all there will be; one more read and stop
            std::this_thread::sleep_for(milliseconds(200));
            follower.poll(fake);
            if (follower.targets_told >= expected) all_told_at = follower.last_accepted;
            break;
        }
        std::this_thread::sleep_for(milliseconds(20));
    }
    const auto send_end = done_seen_at.value_or(Clock::now());
    sampler.stop();
    const long rss_after = proc_status_kb(sapo_pid, "VmRSS");
    const long hwm_after = proc_status_kb(sapo_pid, "VmHWM");
    const double sapo_cpu_2 = sapo_pid > 0 ? cpu_seconds(sapo_pid) : -1;
    const double pg_cpu_2 = postgres_cpu_seconds(pg_data);
    const long rss_max_freeze = sampler.max_between(approve_started, approve_answered);
    const long rss_max_send = sampler.max_between(approve_answered, send_end);
    const std::size_t send_samples = sampler.count_between(approve_answered, send_end);

    // the database's own view of the run
    const std::string nid = std::to_string(id);
    const auto db = query_rows(
        database_url,
        "SELECT (SELECT count(*) FROM notification_recipients WHERE notification_id = " + nid + "), "
        "(SELECT count(*) FROM notification_recipients WHERE notification_id = " + nid + " AND accepted_at IS NOT NULL), "
        "(SELECT count(*) FROM notification_batches WHERE notification_id = " + nid + "), "
        "(SELECT count(*) FROM notification_batches WHERE notification_id = " + nid + " AND status = 'accepted'), "
        "(SELECT max(recipients) FROM notification_batches WHERE notification_id = " + nid + "), "
        "(SELECT count(*) FROM notification_batches WHERE notification_id = " + nid + " AND attempts > 1), "
        "(SELECT round(extract(epoch FROM finished_at - approved_at)::numeric, 2) FROM notifications WHERE id = " + nid + "), "
        "(SELECT round(extract(epoch FROM max(accepted_at) - min(first_sent_at))::numeric, 2) FROM notification_batches "
        "WHERE notification_id = " + nid +
            "), "
        "(SELECT count(*) FROM notification_recipients r JOIN users u USING (user_id) WHERE r.notification_id = " + nid +
            " AND u.follow_state = 'unfollowed')"
    );
    const auto& dbr = db[0];
    const long long frozen = std::stoll(dbr[0]);

    // exactly once, nobody else
    std::size_t missing = 0, twice = 0;
    for (unsigned n = 1; n <= window_n; ++n) {
        if (!is_target(n)) continue;  // an unfollowed user told was counted among strangers
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

    const bool complete = all_told_at.has_value();
    const double deliver_s = complete ? since(approve_answered, *all_told_at) : since(approve_answered, Clock::now());
    const double first_s = follower.multicasts.empty() ? 0 : since(approve_answered, first_multicast);
    const double send_s = complete && !follower.multicasts.empty() ? since(first_multicast, *all_told_at) : 0;
    const double done_s = done_seen_at ? since(approve_answered, *done_seen_at) : -1;
    const double freeze_wall = freeze_s;
    const double send_wall = since(approve_answered, send_end);
    auto delta = [](double a, double b) { return a < 0 || b < 0 ? -1.0 : b - a; };
    const std::string log_text = sapo.log();

    std::printf("\n===================== fan-out benchmark results =====================\n");
    std::printf("settings:     FACILITIES=%lld CHECKINS=%lld WINDOW_USERS=%u SAPO_FANOUT_RATE=%ld/s SAPO_FANOUT_POLL_MS=%ld\n"
                "              SAPO_FANOUT_WORKERS=%s line_rate_limit_per_s=%ld; %u CPUs shared by sapo, PostgreSQL\n"
                "              (fsync on) and this process (the fake LINE API, the sampler, the poller)\n",
                facilities_n, checkins_n, window_n, fanout_rate, poll_ms, workers.c_str(), line_rate,
                std::thread::hardware_concurrency());
    std::printf("data:         %lld check-ins over %lld facilities, %lld in facility 1's window (%u users, every %uth twice),\n"
                "              %s users (%s unfollowed, %zu of them in the window); loaded in %.1f s (not a target)\n",
                rows_checkins, facilities_n, window_checkins, window_n, kTwiceEvery, counts[0][1].c_str(), counts[0][2].c_str(),
                unfollowed_in_window, load_s);
    std::printf("target query: POST /admin/api/notifications answered 201 in %.0f ms, targets %lld (expected %zu)  [< 1 s]\n",
                draft_ms, draft_targets, expected);
    std::printf("              SQL: EXPLAIN ANALYZE execution %.1f ms (planning %.1f ms); direct count (exec_params) best of 3\n"
                "              %.1f ms; check-ins read by the facility/time index: %s; indexes: %s%s\n",
                explain_exec_ms, explain_plan_ms, direct_best_ms, facility_index ? "yes" : "NO",
                index_list.empty() ? "none" : index_list.c_str(),
                seq_scan_checkins ? "; a Seq Scan on check-ins!" : "");
    std::printf("freezing:     POST approve answered 200 in %.2f s: %lld recipients frozen in %s batches (expected %zu in %zu)  "
                "[< 3 s]\n",
                freeze_s, frozen, dbr[2].c_str(), expected, expected_batches);
    std::printf("delivery:     %zu targets in %zu accepted multicasts %.2f s after the approve answer = %.0f recipients/s%s  [< 10 s]\n",
                follower.targets_told, accepted_n, deliver_s, deliver_s > 0 ? static_cast<double>(follower.targets_told) / deliver_s : 0.0,
                complete ? "" : "  (INCOMPLETE)");
    std::printf("              first multicast at %+.2f s, last accepted at %+.2f s (%.0f multicasts/s between them); GET said %s at "
                "%+.2f s;\n"
                "              in the database: approved_at (the freeze's start) -> finished_at %s s, first send -> last accepted %s s\n",
                first_s, deliver_s, send_s > 0 && accepted_n > 1 ? static_cast<double>(accepted_n - 1) / send_s : 0.0,
                status.c_str(), done_s, dbr[6].c_str(), dbr[7].c_str());
    std::printf("memory:       sapo VmRSS before the approval %s, max during the freeze %s, max during the send %s (%zu samples,\n"
                "              every 50 ms), after %s; flat = max during the send - before = %+ld kB; VmHWM %s -> %s\n",
                fmt_mb(rss_before).c_str(), fmt_mb(rss_max_freeze).c_str(), fmt_mb(rss_max_send).c_str(), send_samples,
                fmt_mb(rss_after).c_str(), rss_before >= 0 && rss_max_send >= 0 ? rss_max_send - rss_before : 0L,
                fmt_mb(hwm_before).c_str(), fmt_mb(hwm_after).c_str());
    std::printf("CPU:          freeze (%.2f s): sapo %s, PostgreSQL %s; send (%.2f s): sapo %s, PostgreSQL %s%s\n", freeze_wall,
                fmt_cpu(delta(sapo_cpu_0, sapo_cpu_1), freeze_wall).c_str(), fmt_cpu(delta(pg_cpu_0, pg_cpu_1), freeze_wall).c_str(),
                send_wall, fmt_cpu(delta(sapo_cpu_1, sapo_cpu_2), send_wall).c_str(),
                fmt_cpu(delta(pg_cpu_1, pg_cpu_2), send_wall).c_str(), cluster ? "" : " (the whole shared server)");
    std::printf("checks:       %zu multicasts (%zu accepted, %zu refused, %zu dropped), largest %zu recipients, %zu retry keys (%zu\n"
                "              accepted, %zu accepted twice), batches.total %lld; %zu recipients sent; %zu targets missing, %zu told\n"
                "              twice, %zu non-targets told; %zu mixed-language and %zu wrong-text multicasts; sent %lld,\n"
                "              batches accepted %lld; in the database %s of %lld recipients and %s of %s batches accepted,\n"
                "              %s batches needed a resend, %s unfollowed recipients frozen\n",
                follower.multicasts.size(), accepted_n, refused, dropped, largest, all_keys.size(), accepted_keys.size(), keys_twice,
                batches_total, recipients_sent, missing, twice, follower.strangers, follower.mixed_language, follower.wrong_text,
                final_doc.IsObject() ? json_int_member(final_doc, "sent") : -1LL,
                final_doc.IsObject() ? batches_member(final_doc, "accepted") : -1LL, dbr[1].c_str(), frozen, dbr[3].c_str(),
                dbr[2].c_str(), dbr[5].c_str(), dbr[8].c_str());
    std::printf("======================================================================\n");

    // what is wrong, if anything
    const auto want = static_cast<long long>(expected);
    if (frozen != want) problems.push_back("approval froze " + std::to_string(frozen) + " recipients, expected " + std::to_string(want));
    if (json_int_member(approve_doc, "targets") != want) {
        problems.push_back("the approve answer says targets " + std::to_string(json_int_member(approve_doc, "targets")));
    }
    if (batches_total != static_cast<long long>(expected_batches)) {
        problems.push_back("batches.total " + std::to_string(batches_total) + " != " + std::to_string(expected_batches) + " expected");
    }
    if (!complete) problems.push_back(std::to_string(expected - follower.targets_told) + " targets were never in an accepted multicast");
    if (!done_seen_at) problems.push_back("the notification is \"" + status + "\", not done, after the deadline");
    else if (status != "done") problems.push_back("the notification ended \"" + status + "\", not done");
    if (missing) problems.push_back(std::to_string(missing) + " targets got no accepted multicast");
    if (twice) problems.push_back(std::to_string(twice) + " targets were in more than one accepted multicast");
    if (follower.strangers) problems.push_back(std::to_string(follower.strangers) + " recipients told are not targets (" +
                                               follower.example_problem + ")");
    if (follower.unparsable) problems.push_back(std::to_string(follower.unparsable) + " multicast bodies or ids could not be read");
    if (follower.over_limit) problems.push_back(std::to_string(follower.over_limit) + " multicasts had more than 500 recipients");
    if (follower.mixed_language) problems.push_back(std::to_string(follower.mixed_language) + " multicasts mixed languages");
    if (follower.wrong_text) problems.push_back(std::to_string(follower.wrong_text) + " multicasts carried the wrong language's text (" +
                                                follower.example_problem + ")");
    if (follower.other_requests) problems.push_back(std::to_string(follower.other_requests) + " requests to other LINE endpoints");
    if (refused) problems.push_back(std::to_string(refused) + " multicasts were refused by the fake LINE API");
    if (keys_twice) problems.push_back(std::to_string(keys_twice) + " retry keys were accepted more than once");
    if (static_cast<long long>(accepted_keys.size()) != batches_total) {
        problems.push_back(std::to_string(accepted_keys.size()) + " distinct accepted retry keys != batches.total " +
                           std::to_string(batches_total));
    }
    if (recipients_sent != expected) problems.push_back("accepted multicasts carried " + std::to_string(recipients_sent) + " recipients");
    if (final_doc.IsObject()) {
        if (json_int_member(final_doc, "sent") != want) problems.push_back("GET says sent " + std::to_string(json_int_member(final_doc, "sent")));
        if (batches_member(final_doc, "accepted") != batches_total || batches_member(final_doc, "failed") != 0) {
            problems.push_back("GET says batches accepted " + std::to_string(batches_member(final_doc, "accepted")) + ", failed " +
                               std::to_string(batches_member(final_doc, "failed")));
        }
    }
    if (dbr[1] != std::to_string(want)) problems.push_back("notification_recipients accepted: " + dbr[1]);
    if (dbr[3] != dbr[2]) problems.push_back("notification_batches accepted: " + dbr[3] + " of " + dbr[2]);
    if (dbr[8] != "0") problems.push_back(dbr[8] + " unfollowed users were frozen as recipients");
    if (!sapo.running()) problems.push_back("sapo is no longer running");
    if (const char* keep = std::getenv("SAPO_BENCH_KEEP_LOG"); keep != nullptr && *keep != '\0') {
        std::ofstream(keep) << log_text;
    }
    if (!log_text.empty()) std::printf("sapo's log (level warn; last lines):\n%s\n", tail_lines(log_text, 20).c_str());

    sapo.signal(SIGTERM);
    const int exit_code = sapo.wait(seconds(20));
    if (exit_code != 0) problems.push_back("sapo exited with status " + std::to_string(exit_code) + " after SIGTERM");
    std::remove(config_path.c_str());

    if (!problems.empty()) {
        std::fprintf(stderr, "bench_fanout: SOMETHING IS WRONG:\n");
        for (const auto& p : problems) std::fprintf(stderr, "  - %s\n", p.c_str());
        std::fprintf(stderr, "sapo's log (last lines):\n%s\n", tail_lines(sapo.log(), 30).c_str());
        return 1;
    }
    std::printf("bench_fanout: all %zu targets told exactly once, in %lld multicasts; nobody else\n", expected, batches_total);
    return 0;
}

}  // namespace

int main() {
    std::signal(SIGPIPE, SIG_IGN);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    try {
        return run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_fanout: %s\n", e.what());
        return 1;
    }
}
