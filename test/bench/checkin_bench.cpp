// bench_checkin (scripts/bench-checkin): facility check-ins end to end through POST /webhook.
//
// A real `sapo serve` on a real PostgreSQL (SAPO_TEST_DATABASE_URL's server, or a throwaway
// cluster made here with scripts/pg), its LINE credentials pointed at the in-process fake LINE
// API. F facilities are created through the admin API; N webhook bodies are built and signed
// beforehand, each one message event "チェックイン <code>" from its own user with its own reply
// token (registered on the fake, single use). C client threads, each with one keep-alive
// connection, post them as fast as sapo answers. Measured from the first request:
//   - webhook req/s: until every request had its answer (200 = signed, parsed and committed);
//   - check-ins/s end to end: until the fake LINE API had ACCEPTED the N-th reply (stored,
//     handled by the dispatcher, check-in row written, reply sent);
//   - p50/p99/max of the webhook answer latency (request written -> response read).
// Then it checks the outcome: N check-in rows, every webhook event processed (none failed or
// still pending), every reply accepted with its own token and saying "checked in".
//
// It reports figures and never judges speed: the exit status is non-zero only when something is
// wrong (a non-200 answer, a missing reply after a generous timeout, rows != N, failed events).
//
// Env: CHECKINS (20000), CONNS (32), FACILITIES (50), WARMUP (300, not counted), and
//      SAPO_DISPATCH_WORKERS / SAPO_IO_THREADS / SAPO_DB_WRITERS passed to sapo when set.
//      SAPO_BENCH_LINE_RATE_LIMIT: sapo's line_rate_limit_per_s (its LINE client's pacing,
//      default 2000/s, LINE's own limit) via a config file, when set.
//      SAPO_BENCH_KEEP_LOG=path: copy sapo's log there at the end.

// The harness (sapo_test_support) uses Catch2's assertion machinery; this program has its own
// main, so it carries Catch's implementation without Catch's main. Nothing here calls the parts
// of the harness that assert (start_serving, have_test_postgres).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <rapidjson/document.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bot/webhook/signature.hpp"
#include "test/support/fake_line_server.hpp"
#include "test/support/bench_support.hpp"
#include "test/support/harness.hpp"

using namespace sapo;
using namespace sapo::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* kSecret = "bench-checkin-secret";
constexpr const char* kAdminToken = "bench-checkin-admin-token";
constexpr const char* kCheckinKey = "bench-checkin-key-0123456789abcdef";
constexpr const char* kBasicId = "@sapobench";
const std::string kCheckedIn = "にチェックインしました";

double since(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// --- sapo's process: found among our children, for its peak RSS and CPU time ------------------

// --- the client: one blocking keep-alive connection per thread -------------------------------

class Connection {
public:
    explicit Connection(int port) : port_(port) {}
    ~Connection() { close(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Sends one prepared request and reads the answer; the HTTP status, or 0 on a broken
    /// connection or an unreadable answer (then the connection is closed; the next call
    /// reconnects). `error` says what went wrong.
    int exchange(const std::string& request, std::string& error) {
        if (fd_ < 0 && !connect(error)) return 0;
        if (!send_all(request, error)) return fail();
        return read_response(error);
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        buffer_.clear();
    }

    int reconnects() const { return connects_ > 0 ? connects_ - 1 : 0; }

private:
    int fail() {
        close();
        return 0;
    }

    bool connect(std::string& error) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            error = std::string("socket: ") + std::strerror(errno);
            return false;
        }
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval tv{30, 0};  // a request unanswered for 30 s counts as failed
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            error = std::string("connect: ") + std::strerror(errno);
            fail();
            return false;
        }
        ++connects_;
        return true;
    }

    bool send_all(const std::string& data, std::string& error) {
        std::size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                error = std::string("send: ") + std::strerror(errno);
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// Reads more into buffer_; false on EOF, error or timeout.
    bool fill(std::string& error) {
        char chunk[16 * 1024];
        for (;;) {
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) {
                error = "connection closed by sapo";
                return false;
            }
            if (n < 0) {
                error = errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within 30 s" : std::string("recv: ") + std::strerror(errno);
                return false;
            }
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
    }

    int read_response(std::string& error) {
        std::size_t head_end;
        while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill(error)) return fail();
        }
        const std::string head = buffer_.substr(0, head_end);
        int status = 0;
        if (head.size() < 12 || head.rfind("HTTP/1.", 0) != 0 || std::sscanf(head.c_str() + 9, "%3d", &status) != 1) {
            error = "not an HTTP response: " + head.substr(0, 40);
            return fail();
        }
        std::string lower = head;
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::size_t length = 0;
        if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
            length = std::strtoul(lower.c_str() + at + 17, nullptr, 10);
        } else if (lower.find("\r\ntransfer-encoding:") != std::string::npos) {
            error = "chunked answers are not supported by this client";
            return fail();
        }
        const bool close_after = lower.find("\r\nconnection: close") != std::string::npos;
        while (buffer_.size() < head_end + 4 + length) {
            if (!fill(error)) return fail();
        }
        buffer_.erase(0, head_end + 4 + length);
        if (close_after) close();
        return status;
    }

    int port_;
    int fd_ = -1;
    int connects_ = 0;
    std::string buffer_;
};

struct RunResult {
    Clock::time_point started;
    Clock::time_point last_answer;
    std::vector<double> latencies_ms;
    std::map<int, std::size_t> statuses;  ///< HTTP status (0: no answer) -> count
    std::vector<std::string> errors;       ///< the first few, for the report
    int reconnects = 0;
};

/// Posts every request over `conns` keep-alive connections, one thread each; each thread takes
/// the next unsent request, so the connections stay busy until the last one is sent.
RunResult post_all(int port, const std::vector<std::string>& requests, int conns) {
    RunResult result;
    std::atomic<std::size_t> next{0};
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    struct PerThread {
        std::vector<double> latencies_ms;
        std::map<int, std::size_t> statuses;
        std::vector<std::string> errors;
        Clock::time_point last{};
        int reconnects = 0;
    };
    std::vector<PerThread> per(static_cast<std::size_t>(conns));
    std::vector<std::thread> threads;
    for (int t = 0; t < conns; ++t) {
        threads.emplace_back([&, t] {
            auto& mine = per[static_cast<std::size_t>(t)];
            mine.latencies_ms.reserve(requests.size() / static_cast<std::size_t>(conns) + 16);
            Connection c(port);
            std::string error;
            ++ready;
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            for (;;) {
                const std::size_t i = next.fetch_add(1);
                if (i >= requests.size()) break;
                const auto t0 = Clock::now();
                const int status = c.exchange(requests[i], error);
                const auto t1 = Clock::now();
                mine.latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
                ++mine.statuses[status];
                if (status != 200 && mine.errors.size() < 5) {
                    mine.errors.push_back("request " + std::to_string(i) + ": " +
                                          (status == 0 ? error : "HTTP " + std::to_string(status)));
                }
                mine.last = t1;
            }
            mine.reconnects = c.reconnects();
        });
    }
    while (ready.load() < conns) std::this_thread::sleep_for(milliseconds(1));
    result.started = Clock::now();
    go.store(true, std::memory_order_release);
    for (auto& th : threads) th.join();
    result.last_answer = result.started;
    for (auto& p : per) {
        result.latencies_ms.insert(result.latencies_ms.end(), p.latencies_ms.begin(), p.latencies_ms.end());
        for (auto [s, n] : p.statuses) result.statuses[s] += n;
        for (auto& e : p.errors) {
            if (result.errors.size() < 10) result.errors.push_back(e);
        }
        result.last_answer = std::max(result.last_answer, p.last);
        result.reconnects += p.reconnects;
    }
    return result;
}

double percentile(std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)];
}

// --- the fake LINE API's counters ---------------------------------------------------------------

/// Counts what the fake recorded, incrementally (its list only grows until clear()): the
/// predicate runs under the fake's lock and looks only at requests it has not seen yet.
struct ReplyCounter {
    std::size_t scanned = 0;
    std::size_t accepted = 0;
    std::size_t refused = 0;  ///< replies LINE would have refused (e.g. "Invalid reply token")
    std::size_t other = 0;    ///< requests to anything but the reply endpoint
    Clock::time_point last_accepted{};

    void poll(const line::FakeLineServer& fake) {
        fake.wait_for(
            [this](const std::vector<line::RecordedRequest>& all) {
                for (; scanned < all.size(); ++scanned) {
                    const auto& r = all[scanned];
                    if (r.path != line::FakeLineServer::kReplyPath) {
                        ++other;
                    } else if (r.accepted()) {
                        ++accepted;
                        last_accepted = std::max(last_accepted, r.received_at);
                    } else {
                        ++refused;
                    }
                }
                return true;
            },
            milliseconds(0)
        );
    }
};

// --- building the traffic ------------------------------------------------------------------------

struct Checkin {
    std::string user;
    std::string token;
    std::string request;  ///< the whole HTTP request, signed
};

std::string make_request(const std::string& body) {
    std::string r;
    r.reserve(body.size() + 200);
    r += "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json; charset=utf-8\r\n";
    r += "x-line-signature: " + webhook::sign(kSecret, body) + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    return r;
}

/// Check-ins numbered [first, first + count): user n, reply token n, facility n % F.
std::vector<Checkin> build_checkins(unsigned first, unsigned count, const std::vector<std::string>& texts,
                                    line::FakeLineServer& fake) {
    std::vector<Checkin> out;
    out.reserve(count);
    const long long now_ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (unsigned k = 0; k < count; ++k) {
        const unsigned n = first + k;
        Checkin c;
        c.user = line::FakeLineServer::user_id(n);
        char token[40];
        std::snprintf(token, sizeof token, "benchtoken%022u", n);
        c.token = token;
        char event_id[32];
        std::snprintf(event_id, sizeof event_id, "01BENCH%019u", n);
        const std::string& text = texts[n % texts.size()];
        const std::string event =
            R"({"type":"message","mode":"active","timestamp":)" + std::to_string(now_ms) +
            R"(,"source":{"type":"user","userId":")" + c.user + R"("},"replyToken":")" + c.token +
            R"(","webhookEventId":")" + event_id + R"(","deliveryContext":{"isRedelivery":false},)" +
            R"("message":{"id":")" + std::to_string(100000000000ULL + n) + R"(","type":"text","quoteToken":"q","text":")" +
            json_escape(text) + R"("}})";
        const std::string body = R"({"destination":"Uffffffffffffffffffffffffffffffff","events":[)" + event + "]}";
        c.request = make_request(body);
        fake.add_reply_token(c.token);
        out.push_back(std::move(c));
    }
    return out;
}

/// Every reply: one per token of `checkins`, accepted, saying "checked in". Returns problems.
std::vector<std::string> check_replies(const line::FakeLineServer& fake, const std::vector<Checkin>& checkins,
                                       std::size_t& confirmed) {
    std::vector<std::string> problems;
    std::unordered_map<std::string, int> seen;
    seen.reserve(checkins.size());
    for (const auto& c : checkins) seen.emplace(c.token, 0);
    confirmed = 0;
    std::size_t unknown = 0, wrong_text = 0;
    std::string example;
    for (const auto& r : fake.accepted(line::FakeLineServer::kReplyPath)) {
        rapidjson::Document d;
        d.Parse(r.body.c_str());
        if (d.HasParseError() || !d.IsObject()) {
            ++unknown;
            continue;
        }
        auto it = seen.find(json_string_member(d, "replyToken"));
        if (it == seen.end()) {
            ++unknown;
            continue;
        }
        ++it->second;
        bool ok = false;
        if (d.HasMember("messages") && d["messages"].IsArray()) {
            for (const auto& m : d["messages"].GetArray()) {
                if (json_string_member(m, "text").find(kCheckedIn) != std::string::npos) ok = true;
            }
        }
        if (ok) {
            ++confirmed;
        } else {
            ++wrong_text;
            if (example.empty()) example = r.body.substr(0, 300);
        }
    }
    std::size_t missing = 0, twice = 0;
    for (const auto& [token, n] : seen) {
        if (n == 0) ++missing;
        if (n > 1) ++twice;
    }
    if (missing) problems.push_back(std::to_string(missing) + " check-ins got no accepted reply");
    if (twice) problems.push_back(std::to_string(twice) + " reply tokens were answered more than once");
    if (unknown) problems.push_back(std::to_string(unknown) + " accepted replies carry a token not sent in this run");
    if (wrong_text) problems.push_back(std::to_string(wrong_text) + " replies do not say \"" + kCheckedIn + "\", e.g. " + example);
    return problems;
}

// --- the run ------------------------------------------------------------------------------------

int run() {
    const auto checkins_n = static_cast<unsigned>(env_number("CHECKINS", 20000, 1, 10'000'000));
    const auto conns = static_cast<int>(env_number("CONNS", 32, 1, 1024));
    const auto facilities_n = static_cast<int>(env_number("FACILITIES", 50, 1, 100000));
    const auto warmup_n = static_cast<unsigned>(env_number("WARMUP", 300, 0, 1'000'000));
    const char* workers_env = std::getenv("SAPO_DISPATCH_WORKERS");

    std::printf("bench_checkin: CHECKINS=%u CONNS=%d FACILITIES=%d WARMUP=%u SAPO_DISPATCH_WORKERS=%s (%u CPUs)\n",
                checkins_n, conns, facilities_n, warmup_n, workers_env && *workers_env ? workers_env : "default",
                std::thread::hardware_concurrency());

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

    // (b) the fake LINE API and sapo
    line::FakeLineServer fake;
    std::map<std::string, std::string> env{
        {"DATABASE_URL", database_url},
        {"LINE_CHANNEL_SECRET", kSecret},
        {"LINE_CHANNEL_ACCESS_TOKEN", fake.access_token()},
        {"LINE_API_BASE_URL", fake.base_url()},
        {"SAPO_LINE_BASIC_ID", kBasicId},
        {"SAPO_ADMIN_TOKEN", kAdminToken},
        {"SAPO_CHECKIN_KEY", kCheckinKey},
        {"SAPO_LOG_LEVEL", "warn"},
    };
    for (const char* name : {"SAPO_DISPATCH_WORKERS", "SAPO_IO_THREADS", "SAPO_DB_WRITERS"}) {
        if (const char* v = std::getenv(name); v != nullptr && *v != '\0') env[name] = v;
    }
    std::string config_path;
    if (const char* v = std::getenv("SAPO_BENCH_LINE_RATE_LIMIT"); v != nullptr && *v != '\0') {
        config_path = "/tmp/sapo-bench-checkin-" + std::to_string(getpid()) + ".json";
        std::ofstream(config_path) << "{\"line_rate_limit_per_s\": " << env_number("SAPO_BENCH_LINE_RATE_LIMIT", 2000, 1, 1000000)
                                   << "}\n";
        env["SAPO_CONFIG"] = config_path;
        std::printf("sapo config: line_rate_limit_per_s = %s\n", v);
    }
    SapoProcess sapo({"serve"}, env);
    sapo.start();
    const bool up = wait_until(
        [&] { return !sapo.running() || http_request(sapo.port(), "GET", "/healthz", "", {}, milliseconds(500)).status == 200; },
        seconds(60)
    );
    if (!up || !sapo.running()) {
        std::fprintf(stderr, "bench_checkin: sapo did not come up; its log:\n%s\n", sapo.log().c_str());
        return 1;
    }
    const int sapo_pid = find_sapo_pid();

    // (c) facilities, through the admin API
    std::vector<std::string> texts;
    for (int i = 1; i <= facilities_n; ++i) {
        const std::string body = R"({"name":"ベンチ食堂 )" + std::to_string(i) +
                                 R"(","kind":"飲食店","address":"岩手県盛岡市内丸10-1","phone":"019-000-0000"})";
        auto r = http_request(sapo.port(), "POST", "/admin/api/facilities", body,
                              {{"authorization", std::string("Bearer ") + kAdminToken}});
        rapidjson::Document d;
        d.Parse(r.body.c_str());
        const std::string text = d.HasParseError() ? "" : json_string_member(d, "checkin_text");
        if (r.status != 201 || text.empty()) {
            std::fprintf(stderr, "bench_checkin: POST /admin/api/facilities answered %d: %s\n", r.status, r.body.c_str());
            return 1;
        }
        texts.push_back(text);
    }
    std::printf("setup: %d facilities (e.g. \"%s\"), sapo pid %d on port %d, %.1f s\n", facilities_n, texts[0].c_str(),
                sapo_pid, sapo.port(), since(setup_started, Clock::now()));

    // (d) every body built and signed beforehand; users and tokens never repeat
    const auto build_started = Clock::now();
    auto warmup = build_checkins(1'000'000'000u, warmup_n, texts, fake);
    auto checkins = build_checkins(1u, checkins_n, texts, fake);
    std::vector<std::string> warmup_requests, requests;
    warmup_requests.reserve(warmup.size());
    requests.reserve(checkins.size());
    for (auto& c : warmup) warmup_requests.push_back(std::move(c.request));
    for (auto& c : checkins) requests.push_back(std::move(c.request));
    std::printf("built %u + %u signed webhook bodies in %.1f s (%zu bytes each on average)\n", warmup_n, checkins_n,
                since(build_started, Clock::now()), requests.empty() ? 0 : requests[0].size());

    const auto reply_timeout = seconds(60) + milliseconds(5) * checkins_n;  // generous: 160 s for 20,000
    auto wait_replies = [&](ReplyCounter& counter, std::size_t want, Clock::time_point deadline) {
        for (;;) {
            counter.poll(fake);
            if (counter.accepted >= want || Clock::now() > deadline || !sapo.running()) return counter.accepted >= want;
            std::this_thread::sleep_for(milliseconds(5));
        }
    };

    // warm-up: same path, not counted; then the fake forgets what it recorded
    if (warmup_n > 0) {
        auto w = post_all(sapo.port(), warmup_requests, std::min<int>(conns, static_cast<int>(warmup_n)));
        ReplyCounter wc;
        const bool ok = wait_replies(wc, warmup_n, Clock::now() + seconds(60));
        if (w.statuses[200] != warmup_n || !ok) {
            std::fprintf(stderr, "bench_checkin: warm-up failed: %zu of %u answered 200, %zu of %u replies accepted\n",
                         w.statuses[200], warmup_n, wc.accepted, warmup_n);
            for (const auto& e : w.errors) std::fprintf(stderr, "  %s\n", e.c_str());
            std::fprintf(stderr, "sapo's log (last lines):\n%s\n", tail_lines(sapo.log(), 30).c_str());
            return 1;
        }
        std::printf("warm-up: %u check-ins, %.0f/s end to end (not counted)\n", warmup_n,
                    static_cast<double>(warmup_n) / since(w.started, wc.last_accepted));
    }
    fake.clear();
    const long long rows_before = std::stoll(query_value(database_url, "SELECT count(*) FROM checkins"));
    const std::size_t log_size_before = sapo.log().size();
    const double sapo_cpu_before = sapo_pid > 0 ? cpu_seconds(sapo_pid) : -1;
    const std::string pg_data = query_value(database_url, "SELECT setting FROM pg_settings WHERE name = 'data_directory'");
    const double pg_cpu_before = postgres_cpu_seconds(pg_data);
    // write transactions (each takes a transaction id) and WAL written during the run
    const std::string wal_sql = "SELECT pg_current_xact_id()::text::bigint, pg_current_wal_lsn() - '0/0'::pg_lsn";
    const auto db_before = query_rows(database_url, wal_sql);
    const double own_cpu_before = own_cpu_seconds();

    // (e) the measured run: C connections post everything; then the fake's counters are read
    // until it has accepted N replies (each reply's arrival time is recorded, so the end is exact)
    RunResult result = post_all(sapo.port(), requests, conns);
    ReplyCounter counter;
    const bool all_replied = wait_replies(counter, checkins_n, result.started + reply_timeout);
    const auto finished = Clock::now();
    const double sapo_cpu = sapo_pid > 0 ? cpu_seconds(sapo_pid) - sapo_cpu_before : -1;
    const double own_cpu = own_cpu_seconds() - own_cpu_before;
    const double pg_cpu_after = postgres_cpu_seconds(pg_data);
    const double pg_cpu = pg_cpu_before >= 0 && pg_cpu_after >= 0 ? pg_cpu_after - pg_cpu_before : -1;

    // (f) the figures, then the checks
    const double webhook_s = since(result.started, result.last_answer);
    const double e2e_s = since(result.started, all_replied ? counter.last_accepted : finished);
    std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
    const std::size_t ok200 = result.statuses[200];

    // Events and outbox rows settle just after the reply (the status update follows the send).
    std::string pending, failed, processed, outbox;
    wait_until(
        [&] {
            pending = query_value(database_url, "SELECT count(*) FROM webhook_events WHERE status = 'pending'");
            const std::string sending = query_value(database_url, "SELECT count(*) FROM outbox WHERE status = 'sending'");
            return pending == "0" && sending == "0";
        },
        seconds(30)
    );
    failed = query_value(database_url, "SELECT count(*) FROM webhook_events WHERE status = 'failed'");
    processed = query_value(database_url, "SELECT count(*) FROM webhook_events WHERE status = 'processed'");
    for (const auto& row : query_rows(database_url, "SELECT status, count(*) FROM outbox GROUP BY status ORDER BY status")) {
        outbox += (outbox.empty() ? "" : ", ") + row[0] + " " + row[1];
    }
    const auto db_after = query_rows(database_url, wal_sql);  // after the deliveries were recorded
    const double xids = std::stod(db_after[0][0]) - std::stod(db_before[0][0]) - 1;  // -1: this query's own
    const double wal_bytes = std::stod(db_after[0][1]) - std::stod(db_before[0][1]);
    const long long rows_total = std::stoll(query_value(database_url, "SELECT count(*) FROM checkins"));
    const long long rows = rows_total - rows_before;
    std::size_t confirmed = 0;
    auto problems = check_replies(fake, checkins, confirmed);
    const std::string rss = sapo_pid > 0 ? proc_status_field(sapo_pid, "VmHWM") : "n/a (sapo's pid not found)";
    const std::string log_tail = sapo.log().substr(std::min(log_size_before, sapo.log().size()));

    std::printf("\n==================== check-in benchmark results ====================\n");
    std::printf("settings:   CHECKINS=%u CONNS=%d FACILITIES=%d WARMUP=%u SAPO_DISPATCH_WORKERS=%s, %u CPUs shared by\n"
                "            sapo, PostgreSQL (fsync on), the fake LINE API and the client\n",
                checkins_n, conns, facilities_n, warmup_n, workers_env && *workers_env ? workers_env : "default (4)",
                std::thread::hardware_concurrency());
    std::printf("webhook:    %zu of %u answered 200 in %.2f s = %.0f req/s", ok200, checkins_n, webhook_s,
                static_cast<double>(checkins_n) / webhook_s);
    for (auto [status, n] : result.statuses) {
        if (status != 200) std::printf(", %zu answered %s", n, status == 0 ? "nothing" : std::to_string(status).c_str());
    }
    std::printf("\nlatency:    p50 %.2f ms, p99 %.2f ms, max %.2f ms (webhook answer)\n", percentile(result.latencies_ms, 0.50),
                percentile(result.latencies_ms, 0.99), result.latencies_ms.empty() ? 0.0 : result.latencies_ms.back());
    std::printf("end to end: %zu of %u replies accepted by the fake LINE API in %.2f s = %.0f check-ins/s%s\n",
                counter.accepted, checkins_n, e2e_s, static_cast<double>(counter.accepted) / e2e_s,
                all_replied ? "" : "  (INCOMPLETE: timed out)");
    std::printf("checkins:   %lld rows written in the run (expected %u; %lld from the warm-up)\n", rows, checkins_n, rows_before);
    std::printf("replies:    %zu say \"%s\"; %zu refused by the fake; %zu other LINE API calls\n", confirmed,
                kCheckedIn.c_str(), counter.refused, counter.other);
    std::printf("events:     webhook_events processed %s, failed %s, pending %s; outbox: %s\n", processed.c_str(),
                failed.c_str(), pending.c_str(), outbox.c_str());
    std::printf("sapo:       peak RSS (VmHWM) %s\n", rss.c_str());
    auto cpu = [&](double s) { return s < 0 ? std::string("n/a") : fmt_cpu(s, e2e_s); };
    std::printf("CPU:        in the %.1f s run: sapo %s, PostgreSQL %s%s, bench (client + fake LINE) %s\n", e2e_s,
                cpu(sapo_cpu).c_str(), cpu(pg_cpu).c_str(), cluster ? "" : " (the whole shared server)", cpu(own_cpu).c_str());
    std::printf("PostgreSQL: %.2f write transactions and %.0f bytes of WAL per check-in%s\n",
                xids / checkins_n, wal_bytes / checkins_n, cluster ? "" : " (the whole shared server)");
    std::printf("connections: %d reconnects; sapo wrote %zu bytes of log in the run (level warn)\n", result.reconnects,
                log_tail.size());
    std::printf("=====================================================================\n");

    // what is wrong, if anything
    if (ok200 != checkins_n) {
        problems.push_back(std::to_string(checkins_n - ok200) + " webhook requests were not answered 200");
        for (const auto& e : result.errors) problems.push_back("  " + e);
    }
    if (!all_replied) problems.push_back("replies missing after " + std::to_string(std::chrono::duration_cast<seconds>(reply_timeout).count()) + " s");
    if (counter.refused) problems.push_back(std::to_string(counter.refused) + " replies were refused by the fake LINE API");
    if (rows != static_cast<long long>(checkins_n)) problems.push_back("checkins rows " + std::to_string(rows) + " != " + std::to_string(checkins_n));
    if (rows_before != static_cast<long long>(warmup_n)) problems.push_back("warm-up checkins rows " + std::to_string(rows_before) + " != " + std::to_string(warmup_n));
    if (failed != "0") problems.push_back(failed + " webhook_events failed");
    if (pending != "0") problems.push_back(pending + " webhook_events still pending 30 s after the last reply");
    if (!sapo.running()) problems.push_back("sapo is no longer running");
    if (!log_tail.empty()) {
        std::printf("sapo's log during the run (last lines):\n%s\n", tail_lines(log_tail, 20).c_str());
    }
    if (const char* keep = std::getenv("SAPO_BENCH_KEEP_LOG"); keep != nullptr && *keep != '\0') {
        std::ofstream(keep) << sapo.log();
    }

    sapo.signal(SIGTERM);
    const int exit_code = sapo.wait(seconds(20));
    if (exit_code != 0) problems.push_back("sapo exited with status " + std::to_string(exit_code) + " after SIGTERM");
    if (!config_path.empty()) std::remove(config_path.c_str());

    if (!problems.empty()) {
        std::fprintf(stderr, "bench_checkin: SOMETHING IS WRONG:\n");
        for (const auto& p : problems) std::fprintf(stderr, "  - %s\n", p.c_str());
        std::fprintf(stderr, "sapo's log (last lines):\n%s\n", tail_lines(sapo.log(), 30).c_str());
        return 1;
    }
    std::printf("bench_checkin: all %u check-ins stored, handled and answered\n", checkins_n);
    return 0;
}

}  // namespace

int main() {
    std::signal(SIGPIPE, SIG_IGN);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    try {
        return run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_checkin: %s\n", e.what());
        return 1;
    }
}
