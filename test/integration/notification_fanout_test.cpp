// Notification fan-out end to end: a real `sapo serve` (LINE credentials pointed at the fake LINE
// API), a real PostgreSQL, the admin API to draft, approve and cancel. Check-ins and users are
// set up with SQL. What LINE accepted is read back from the fake and held against what the
// database froze at approval: every recipient told exactly once, under injected LINE faults, a
// kill -9 mid fan-out, two instances sharing the work, and a cancel half-way.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test/integration/service_fixture.hpp"
#include "test/support/tokyo_days.hpp"

using namespace sapo;
using namespace sapo::test;
using namespace std::chrono_literals;
using line::FakeLineServer;
using line::RecordedRequest;

namespace {

constexpr const char* kAdminToken = "fanout-test-admin-token-0123456789";
constexpr long long kMinute = 60'000;
constexpr const char* kMulticast = FakeLineServer::kMulticastPath;

rapidjson::Document json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    return doc;
}

std::string str(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : std::string();
}

long long num(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : -1;
}

long long batches(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember("batches");
    return it != v.MemberEnd() && it->value.IsObject() ? num(it->value, key) : -1;
}

std::string random_suffix() {
    std::random_device rd;
    return std::to_string(rd()) + std::to_string(rd());
}

/// One multicast as the fake received it.
struct Multicast {
    std::size_t index = 0;  ///< position among all multicast requests
    std::string key;
    std::vector<std::string> to;
    std::string text;
    int status = 0;
    bool dropped = false;
    bool accepted() const { return status >= 200 && status < 300; }
};

std::vector<Multicast> multicasts_of(const std::vector<RecordedRequest>& requests) {
    std::vector<Multicast> out;
    for (const auto& r : requests) {
        if (r.path != kMulticast) continue;
        Multicast m;
        m.index = out.size();
        m.key = r.header("x-line-retry-key");
        m.status = r.status;
        m.dropped = r.dropped;
        auto d = json(r.body);
        if (d.IsObject() && d.HasMember("to") && d["to"].IsArray()) {
            for (const auto& u : d["to"].GetArray()) m.to.emplace_back(u.IsString() ? u.GetString() : "");
        }
        if (d.IsObject() && d.HasMember("messages") && d["messages"].IsArray() && d["messages"].Size() == 1) {
            m.text = str(d["messages"][0], "text");
        }
        out.push_back(std::move(m));
    }
    return out;
}

std::size_t count_multicasts(const std::vector<RecordedRequest>& rs) {
    return static_cast<std::size_t>(std::count_if(rs.begin(), rs.end(), [](const RecordedRequest& r) { return r.path == kMulticast; }));
}

/// One batch as the database has it.
struct Batch {
    int no = 0;
    std::string language;
    std::string status;
    int recipients = 0;
    std::set<std::string> users;  ///< from notification_recipients
};

std::map<std::string, Batch> batches_by_key(const std::string& url, long long id) {
    std::map<std::string, Batch> out;
    const auto n = std::to_string(id);
    for (const auto& r : query_rows(url, "SELECT retry_key::text, batch_no, language, status, recipients FROM notification_batches "
                                         "WHERE notification_id = " + n)) {
        Batch b;
        b.no = std::stoi(r[1]);
        b.language = r[2];
        b.status = r[3];
        b.recipients = std::stoi(r[4]);
        for (const auto& u : query_rows(url, "SELECT user_id FROM notification_recipients WHERE notification_id = " + n +
                                                 " AND batch_no = " + r[1])) {
            b.users.insert(u[0]);
        }
        out[r[0]] = std::move(b);
    }
    return out;
}

std::set<std::string> column_set(const std::string& url, const std::string& sql) {
    std::set<std::string> out;
    for (const auto& r : query_rows(url, sql)) out.insert(r[0]);
    return out;
}

/// Users first..first+count-1 (user(n)) checked in at `facility` spread over [start, end), and
/// their users rows (followed; language 'en' for every `en_every`-th, else 'ja').
void add_visitors(const std::string& url, long long facility, unsigned first, unsigned count, long long start, long long end,
                  unsigned en_every) {
    const auto last = std::to_string(first + count - 1);
    const auto series = "generate_series(" + std::to_string(first) + ", " + last + ") n";
    const auto step = std::to_string((end - start) / 97);
    exec_sql(url, "INSERT INTO checkins (user_id, facility_id, checked_in_at) SELECT 'U' || lpad(to_hex(n), 32, '0'), " +
                      std::to_string(facility) + ", " + sql_instant(start) + " + (n % 97) * " + step + " * interval '1 millisecond' FROM " +
                      series);
    exec_sql(url, "INSERT INTO users (user_id, follow_state, language) SELECT 'U' || lpad(to_hex(n), 32, '0'), 'followed', "
                  "CASE WHEN n % " + std::to_string(en_every) + " = 0 THEN 'en' ELSE 'ja' END FROM " + series);
}

std::set<std::string> users_range(unsigned first, unsigned count) {
    std::set<std::string> out;
    for (unsigned n = first; n < first + count; ++n) out.insert(user(n));
    return out;
}

/// Stops every runner from taking a batch until release(): holds notification_batches in
/// EXCLUSIVE mode, which waits for the runners' transactions under way (a batch is locked while
/// it is sent) and makes their next claim (SELECT ... FOR UPDATE) wait; plain reads go on. Once
/// held, no multicast is on its way, and fault rules set now apply to the next one sent after
/// release. (Locking the pending rows instead would starve: runners keep taking the rows the
/// gate has not reached yet.)
class BatchGate {
public:
    explicit BatchGate(const std::string& url) : connection_(url), tx_(connection_) {
        tx_.exec("LOCK TABLE notification_batches IN EXCLUSIVE MODE");
        pending_ = std::stoul(tx_.exec("SELECT count(*) FROM notification_batches WHERE status = 'pending'")[0][0].c_str());
    }
    /// Batches still to send.
    std::size_t pending() const { return pending_; }
    void release() { tx_.commit(); }

private:
    pqxx::connection connection_;
    pqxx::work tx_;
    std::size_t pending_ = 0;
};

/// A fake LINE API, a fresh database, facilities, and sapo processes serving on them.
struct Fanout {
    FakeLineServer line;
    /// none without a test server: the test then skips (have_test_postgres)
    std::unique_ptr<TempDatabase> db = test_server_url().empty() ? nullptr : std::make_unique<TempDatabase>();
    std::string config_path;
    const long long midnight = tokyo_midnight(1);  // yesterday in Tokyo
    const std::string date = tokyo_date(midnight);
    const long long start = midnight + 10 * 60 * kMinute;  // 10:00
    const long long end = midnight + 12 * 60 * kMinute;    // 12:00
    std::vector<std::unique_ptr<SapoProcess>> instances;
    long long facility = 0;
    long long other_facility = 0;

    ~Fanout() {
        if (!config_path.empty()) std::remove(config_path.c_str());
    }

    /// Writes the config file with the LINE client's per-call timeout and attempts.
    void line_config(int timeout_ms, int max_attempts) {
        config_path = "/tmp/sapo-fanout-" + random_suffix() + ".json";
        std::ofstream out(config_path);
        out << "{\"line_timeout_ms\": " << timeout_ms << ", \"line_max_attempts\": " << max_attempts << "}\n";
    }

    std::map<std::string, std::string> env(std::map<std::string, std::string> extra) const {
        std::map<std::string, std::string> e{
            {"SAPO_ADMIN_TOKEN", kAdminToken},
            {"SAPO_FANOUT_POLL_MS", "50"},
            {"SAPO_FANOUT_RETRY_BASE_MS", "50"},
            {"SAPO_LINE_BACKOFF_BASE_MS", "10"},
            {"SAPO_MAINTENANCE_INTERVAL_MS", "86400000"},
        };
        if (!config_path.empty()) e["SAPO_CONFIG"] = config_path;
        for (auto& [k, v] : extra) e[k] = v;
        return service_env(db->url(), line, e);
    }

    /// Starts one more `sapo serve` on the database and the fake; the first one migrates.
    SapoProcess& serve(std::map<std::string, std::string> extra = {}) {
        instances.push_back(std::make_unique<SapoProcess>(std::vector<std::string>{"serve"}, env(std::move(extra))));
        instances.back()->start_serving();
        return *instances.back();
    }

    SapoProcess& sapo() { return *instances.front(); }
    SapoProcess& latest() { return *instances.back(); }

    /// The multicasts the fake got and the batches in the database, for failure messages.
    std::string summary() const {
        std::string out = "multicasts (ms after the first, status, key, recipients):\n";
        const auto rs = line.requests(kMulticast);
        for (const auto& r : rs) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.received_at - rs.front().received_at).count();
            out += "  +" + std::to_string(ms) + " " + std::to_string(r.status) + (r.dropped ? " (dropped) " : " ") +
                   r.header("x-line-retry-key") + " " + std::to_string(multicasts_of({r}).front().to.size()) + "\n";
        }
        out += "batches (no, language, status, attempts, last_status, key):\n";
        for (const auto& r : query_rows(db->url(), "SELECT batch_no, language, status, attempts, coalesce(last_status::text, '-'), "
                                                   "retry_key FROM notification_batches ORDER BY notification_id, batch_no")) {
            out += "  " + r[0] + " " + r[1] + " " + r[2] + " " + r[3] + " " + r[4] + " " + r[5] + "\n";
        }
        return out;
    }

    /// Waits for the notification to be done, failed or cancelled; fails with the logs if not.
    void wait_finished(long long id, std::chrono::milliseconds timeout = 40s) {
        const bool ok = wait_until([&] { return finished(id); }, timeout);
        INFO(logs());
        INFO(summary());
        REQUIRE(ok);
    }

    std::string logs() const {
        std::string out;
        for (std::size_t i = 0; i < instances.size(); ++i) out += "--- sapo #" + std::to_string(i + 1) + "\n" + instances[i]->log();
        return out;
    }

    /// Two facilities and the check-in partitions of the days the tests use (after migration).
    void set_up_facilities() {
        facility = std::stoll(query_value(db->url(), "INSERT INTO facilities (name, kind, phone) VALUES "
                                                    "('カフェ・テスト', '飲食店', '03-1111-2222') RETURNING id"));
        other_facility = std::stoll(query_value(db->url(), "INSERT INTO facilities (name, kind, phone) VALUES "
                                                          "('別の店', '飲食店', '03-3333-4444') RETURNING id"));
        // every check-in lies in [start - 1 day, end], less than a month: its two ends' months
        // (sapo's maintenance job makes partitions at start-up too, at the same moment: two
        // callers for one new month must both succeed, see migration 0005)
        for (long long t : {start - kDayMs, midnight, end, now_ms()}) {
            exec_sql(db->url(), "SELECT sapo_ensure_checkin_partition(" + sql_instant(t) + ")");
        }
    }

    HttpResult admin(const std::string& method, const std::string& target, const std::string& body, const std::string& op,
                     SapoProcess* instance = nullptr) {
        return http_request((instance ? *instance : latest()).port(), method, target, body,
                            {{"Authorization", std::string("Bearer ") + kAdminToken}, {"X-Operator", op}}, 30s);
    }

    /// Drafts the 10:00-12:00 notification at `facility` as hanako; returns its JSON.
    rapidjson::Document draft() {
        const std::string body = R"({"facility_id":)" + std::to_string(facility) + R"(,"date":")" + date +
                                 R"(","from":"10:00","to":"12:00","template":"tokyo_1","params":{}})";
        auto r = admin("POST", "/admin/api/notifications", body, "hanako");
        INFO(r.body);
        REQUIRE(r.status == 201);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        REQUIRE(str(d, "status") == "draft");
        REQUIRE(!str(d["preview"], "ja").empty());
        REQUIRE(!str(d["preview"], "en").empty());
        return d;
    }

    /// Approves as taro (the two-person rule: not the drafter).
    rapidjson::Document approve(long long id, SapoProcess* instance = nullptr) {
        auto r = admin("POST", "/admin/api/notifications/" + std::to_string(id) + "/approve", "", "taro", instance);
        INFO(r.body);
        REQUIRE(r.status == 200);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        return d;
    }

    rapidjson::Document get(long long id) {
        auto r = admin("GET", "/admin/api/notifications/" + std::to_string(id), "", "hanako");
        INFO(r.body);
        REQUIRE(r.status == 200);
        auto d = json(r.body);
        REQUIRE(d.IsObject());
        return d;
    }

    std::string status(long long id) {
        return query_value(db->url(), "SELECT status FROM notifications WHERE id = " + std::to_string(id));
    }

    bool finished(long long id) {
        const auto s = status(id);
        return s == "done" || s == "failed" || s == "cancelled";
    }

    /// What LINE accepted, checked against what approval froze:
    /// - every multicast (any answer) carries a UUID retry key that is one of this notification's
    ///   batch keys, and exactly that batch's recipients, and the text of the batch's language:
    ///   a resend reused the key (and the recipients) of its batch;
    /// - each key was accepted (2xx) at most once, and the keys accepted are those of the batches
    ///   the database marks accepted;
    /// - each user in `expected` is in exactly one accepted multicast, and nobody else is;
    /// - users whose language is 'en' got text_en, everyone else text_ja.
    /// Returns the accepted multicasts.
    std::vector<Multicast> check_exactly_once(long long id, const std::vector<Multicast>& all, const std::set<std::string>& expected,
                                              const std::string& text_ja, const std::string& text_en) {
        const auto by_key = batches_by_key(db->url(), id);
        const auto en_users = column_set(db->url(), "SELECT user_id FROM users WHERE language = 'en'");
        std::map<std::string, int> accepted_per_key;
        std::map<std::string, int> told;
        std::vector<Multicast> accepted;
        for (const auto& m : all) {
            INFO("multicast #" << m.index << " key " << m.key << " status " << m.status);
            CHECK(FakeLineServer::is_uuid(m.key));
            auto b = by_key.find(m.key);
            REQUIRE(b != by_key.end());
            CHECK(std::set<std::string>(m.to.begin(), m.to.end()) == b->second.users);
            CHECK(m.to.size() == b->second.users.size());
            CHECK(m.to.size() == static_cast<std::size_t>(b->second.recipients));
            CHECK(m.text == (b->second.language == "en" ? text_en : text_ja));
            if (!m.accepted()) continue;
            accepted.push_back(m);
            ++accepted_per_key[m.key];
            for (const auto& u : m.to) {
                ++told[u];
                INFO("user " << u);
                CHECK(m.text == (en_users.count(u) ? text_en : text_ja));
            }
        }
        for (const auto& [key, n] : accepted_per_key) {
            INFO("key " << key);
            CHECK(n == 1);
        }
        std::set<std::string> accepted_keys;
        for (const auto& [key, n] : accepted_per_key) accepted_keys.insert(key);
        std::set<std::string> db_accepted_keys;
        for (const auto& [key, b] : by_key) {
            if (b.status == "accepted") db_accepted_keys.insert(key);
        }
        CHECK(accepted_keys == db_accepted_keys);

        std::set<std::string> told_users;
        for (const auto& [u, n] : told) {
            INFO("user " << u);
            CHECK(n == 1);
            told_users.insert(u);
        }
        CHECK(told_users.size() == expected.size());
        CHECK(told_users == expected);
        return accepted;
    }
};

bool skip_without_postgres() { return !have_test_postgres(); }

}  // namespace

TEST_CASE_METHOD(Fanout, "fanout: every recipient is told exactly once while LINE fails, times out, limits and drops",
                 "[pg][net][e2e][notify][fanout]") {
    if (skip_without_postgres()) return;
    // one LINE call: 500 ms, then a second try on a timeout, 5xx, 429 or a lost connection
    line_config(500, 2);
    serve({{"SAPO_FANOUT_WORKERS", "2"}, {"SAPO_FANOUT_RATE", "2"}});
    set_up_facilities();
    // 2,600 visitors, every third in English: en 866 (2 batches), ja 1,734 (4 batches)
    add_visitors(db->url(), facility, 1, 2600, start, end, 3);
    const auto targets = users_range(1, 2600);

    auto d = draft();
    const long long id = num(d, "id");
    CHECK(num(d, "targets") == 2600);
    const std::string text_ja = str(d["preview"], "ja");
    const std::string text_en = str(d["preview"], "en");

    // the first four multicasts: 500, 500 (the client's second try: the batch waits), 500, 429
    line.fail_next(3, 500, kMulticast);
    line.fail_next(1, 429, kMulticast);
    auto approved = approve(id);
    CHECK(num(approved, "targets") == 2600);
    CHECK(batches(approved, "total") == 6);
    REQUIRE(line.wait_for([](const auto& rs) { return count_multicasts(rs) >= 4; }, 20s));

    // the next one is answered after the client gave up (LINE still takes it)
    std::size_t delayed_index = 0;
    {
        BatchGate gate(db->url());
        INFO(summary());
        REQUIRE(gate.pending() >= 1);
        delayed_index = count_multicasts(line.requests());
        line.delay_next(1, 1500ms, kMulticast);
        gate.release();
    }
    REQUIRE(line.wait_for([&](const auto& rs) { return count_multicasts(rs) > delayed_index; }, 20s));

    // the next one is accepted, and then its connection breaks before the answer
    {
        BatchGate gate(db->url());
        INFO(summary());
        REQUIRE(gate.pending() >= 1);
        line.drop_after_next(1, kMulticast);
        gate.release();
    }

    wait_finished(id);
    INFO(logs());
    REQUIRE(status(id) == "done");

    auto g = get(id);
    CHECK(str(g, "status") == "done");
    CHECK(num(g, "targets") == 2600);
    CHECK(num(g, "sent") == 2600);
    CHECK(num(g, "failed") == 0);
    CHECK(batches(g, "total") == 6);
    CHECK(batches(g, "accepted") == 6);
    CHECK(batches(g, "pending") == 0);

    const auto all = multicasts_of(line.requests());
    auto accepted = check_exactly_once(id, all, targets, text_ja, text_en);
    CHECK(static_cast<long long>(accepted.size()) == batches(g, "total"));
    std::set<std::string> keys;
    for (const auto& m : accepted) keys.insert(m.key);
    CHECK(static_cast<long long>(keys.size()) == batches(g, "total"));
    CHECK(query_value(db->url(), "SELECT count(DISTINCT retry_key) FROM notification_batches WHERE notification_id = " +
                                    std::to_string(id)) == "6");

    // each fault happened, and each batch it hit was later accepted under the same key
    auto later_with_key = [&](const Multicast& m, auto&& pred) {
        return std::any_of(all.begin(), all.end(), [&](const Multicast& o) { return o.index > m.index && o.key == m.key && pred(o); });
    };
    int n500 = 0;
    int n429 = 0;
    for (const auto& m : all) {
        if (m.status != 500 && m.status != 429) continue;
        (m.status == 500 ? n500 : n429) += 1;
        INFO("multicast #" << m.index << " answered " << m.status);
        CHECK(later_with_key(m, [](const Multicast& o) { return o.accepted(); }));
    }
    CHECK(n500 == 3);
    CHECK(n429 == 1);

    REQUIRE(all.size() > delayed_index);
    const auto& delayed = all[delayed_index];
    CHECK(delayed.status == 200);  // LINE took it; the client had stopped listening
    CHECK(later_with_key(delayed, [](const Multicast& o) { return o.status == 409; }));

    std::vector<Multicast> dropped;
    for (const auto& m : all) {
        if (m.dropped) dropped.push_back(m);
    }
    REQUIRE(dropped.size() == 1);
    CHECK(dropped[0].status == 200);
    CHECK(later_with_key(dropped[0], [](const Multicast& o) { return o.status == 409; }));

    CHECK(query_value(db->url(), "SELECT count(*) FROM notification_recipients WHERE notification_id = " + std::to_string(id)) ==
          "2600");
    CHECK(query_value(db->url(), "SELECT count(*) FROM notification_recipients WHERE accepted_at IS NULL") == "0");
    // nothing else went to LINE for these users
    CHECK(line.requests(FakeLineServer::kPushPath).empty());
}

TEST_CASE_METHOD(Fanout, "fanout: kill -9 mid fan-out, a new process finishes, everyone told exactly once",
                 "[pg][net][e2e][notify][fanout]") {
    if (skip_without_postgres()) return;
    const std::map<std::string, std::string> settings{{"SAPO_FANOUT_WORKERS", "2"}, {"SAPO_FANOUT_RATE", "2"}};
    serve(settings);
    set_up_facilities();
    add_visitors(db->url(), facility, 1, 2000, start, end, 1000000);  // 4 batches in Japanese
    const auto targets = users_range(1, 2000);

    auto d = draft();
    const long long id = num(d, "id");
    // two multicasts go through; LINE takes the third but its answer is late: sapo dies waiting
    line.delay_next(2, 1ms, kMulticast);
    line.delay_next(1, 3000ms, kMulticast);
    approve(id);
    REQUIRE(line.wait_for([](const auto& rs) { return count_multicasts(rs) >= 3; }, 20s));
    CHECK(line.wait_for_accepted(3, 1s, kMulticast));
    sapo().signal(SIGKILL);
    REQUIRE(sapo().wait(10s) == 128 + SIGKILL);

    const auto before = multicasts_of(line.requests());
    REQUIRE(before.size() >= 3);
    const auto in_flight = before[2];
    CHECK(in_flight.status == 200);
    // its outcome was never committed: the batch is still pending, untried
    CHECK(query_value(db->url(), "SELECT status || ' ' || attempts FROM notification_batches WHERE retry_key = '" + in_flight.key +
                                    "'") == "pending 0");
    CHECK(status(id) == "sending");

    serve(settings);
    wait_finished(id);
    INFO(logs());
    CHECK(status(id) == "done");

    const auto all = multicasts_of(line.requests());
    auto accepted = check_exactly_once(id, all, targets, str(d["preview"], "ja"), str(d["preview"], "en"));
    CHECK(accepted.size() == 4);
    // the batch that was out when sapo died went again with its key, and LINE said it had it
    CHECK(std::any_of(all.begin(), all.end(), [&](const Multicast& m) { return m.index > 2 && m.key == in_flight.key && m.status == 409; }));
    auto g = get(id);
    CHECK(num(g, "sent") == 2000);
    CHECK(num(g, "failed") == 0);
    CHECK(batches(g, "accepted") == 4);
    CHECK(query_value(db->url(), "SELECT count(*) FROM notification_recipients WHERE accepted_at IS NULL") == "0");
}

TEST_CASE_METHOD(Fanout, "fanout: two instances on one database send each batch once", "[pg][net][e2e][notify][fanout]") {
    if (skip_without_postgres()) return;
    const std::map<std::string, std::string> settings{{"SAPO_FANOUT_WORKERS", "2"}, {"SAPO_FANOUT_RATE", "1000"}};
    auto& first = serve(settings);
    auto& second = serve(settings);
    set_up_facilities();
    add_visitors(db->url(), facility, 1, 3000, start, end, 4);  // en 750 (2 batches), ja 2,250 (5 batches)
    const auto targets = users_range(1, 3000);

    auto d = draft();
    const long long id = num(d, "id");
    // slow answers, so that all four runners are at work at once
    line.delay_next(7, 150ms, kMulticast);
    approve(id, &second);
    wait_finished(id);
    INFO(logs());
    CHECK(status(id) == "done");
    CHECK(first.running());
    CHECK(second.running());

    const auto all = multicasts_of(line.requests());
    auto accepted = check_exactly_once(id, all, targets, str(d["preview"], "ja"), str(d["preview"], "en"));
    CHECK(accepted.size() == 7);
    // nothing failed, so nothing was sent twice: not even a resend that LINE would answer 409
    CHECK(all.size() == 7);
    for (const auto& m : all) CHECK(m.status == 200);
    auto g = get(id);
    CHECK(num(g, "sent") == 3000);
    CHECK(batches(g, "accepted") == 7);
}

TEST_CASE_METHOD(Fanout, "fanout: targets are the distinct followers at the facility from the start up to the end of the window, frozen at approval",
                 "[pg][net][e2e][notify][fanout]") {
    if (skip_without_postgres()) return;
    // one runner; a batch whose sends all fail waits a second before it goes again
    serve({{"SAPO_FANOUT_WORKERS", "1"}, {"SAPO_FANOUT_RETRY_BASE_MS", "1000"}});
    set_up_facilities();
    const std::string url = db->url();
    auto checkin = [&](unsigned n, long long fac, long long ms) {
        exec_sql(url, "INSERT INTO checkins (user_id, facility_id, checked_in_at) VALUES ('" + user(n) + "', " + std::to_string(fac) +
                          ", " + sql_instant(ms) + ")");
    };
    auto person = [&](unsigned n, const std::string& follow_state, const std::string& language) {
        exec_sql(url, "INSERT INTO users (user_id, follow_state, language) VALUES ('" + user(n) + "', '" + follow_state + "', '" +
                          language + "')");
    };
    checkin(101, other_facility, start + 30 * kMinute);  // another facility
    checkin(102, facility, start - kDayMs + 30 * kMinute);  // the day before
    checkin(103, facility, start - 1);                    // just before from
    checkin(104, facility, end);                          // exactly at to
    checkin(105, facility, start + 30 * kMinute);         // has blocked the bot
    person(105, "unfollowed", "ja");
    checkin(106, facility, start + 5 * kMinute);  // twice in the window
    checkin(106, facility, start + 90 * kMinute);
    checkin(107, facility, start);  // exactly at from
    checkin(108, facility, end - 1);
    checkin(109, facility, start + 40 * kMinute);  // reads English
    person(109, "followed", "en");
    checkin(110, facility, start + 50 * kMinute);
    person(110, "followed", "ja");
    checkin(111, facility, start + 60 * kMinute);  // no users row: Japanese
    const std::set<std::string> expected{user(106), user(107), user(108), user(109), user(110), user(111)};

    auto d = draft();
    const long long id = num(d, "id");
    CHECK(num(d, "targets") == 6);
    const std::string text_ja = str(d["preview"], "ja");
    const std::string text_en = str(d["preview"], "en");
    CHECK(text_ja != text_en);
    CHECK(text_ja.find("カフェ・テスト") != std::string::npos);
    CHECK(text_en.find("10:00") != std::string::npos);
    CHECK(text_en.find("12:00") != std::string::npos);

    // the first send fails at every try (one runner; 4 tries by default), so that batch is sent
    // again, after the check-in below
    line.fail_next(4, 500, kMulticast);
    auto approved = approve(id);
    CHECK(num(approved, "targets") == 6);
    CHECK(batches(approved, "total") == 2);
    CHECK(column_set(url, "SELECT user_id FROM notification_recipients WHERE notification_id = " + std::to_string(id)) == expected);
    REQUIRE(line.wait_for([](const auto& rs) { return count_multicasts(rs) >= 4; }, 20s));
    {
        BatchGate gate(url);
        INFO(summary());
        REQUIRE(gate.pending() >= 1);
        checkin(112, facility, start + 45 * kMinute);  // after approval, inside the window
        gate.release();
    }
    // (a draft now would count them: the check-in is one the window takes)
    {
        const std::string body = R"({"facility_id":)" + std::to_string(facility) + R"(,"date":")" + date +
                                 R"(","from":"10:00","to":"12:00","template":"tokyo_1","params":{}})";
        auto r = admin("POST", "/admin/api/notifications", body, "hanako");
        REQUIRE(r.status == 201);
        CHECK(num(json(r.body), "targets") == 7);
    }

    wait_finished(id);
    INFO(logs());
    CHECK(status(id) == "done");
    const auto all = multicasts_of(line.requests());
    auto accepted = check_exactly_once(id, all, expected, text_ja, text_en);
    REQUIRE(accepted.size() == 2);
    for (const auto& m : accepted) {
        if (m.text == text_en) CHECK(m.to == std::vector<std::string>{user(109)});
    }
    for (const auto& m : all) {
        for (unsigned n : {101u, 102u, 103u, 104u, 105u, 112u}) {
            INFO("user " << n);
            CHECK(std::find(m.to.begin(), m.to.end(), user(n)) == m.to.end());
        }
    }
    auto g = get(id);
    CHECK(num(g, "targets") == 6);
    CHECK(num(g, "sent") == 6);
    CHECK(column_set(url, "SELECT user_id FROM notification_recipients WHERE notification_id = " + std::to_string(id)) == expected);
}

TEST_CASE_METHOD(Fanout, "fanout: a cancel half-way stops the batches not yet sent", "[pg][net][e2e][notify][fanout]") {
    if (skip_without_postgres()) return;
    serve({{"SAPO_FANOUT_WORKERS", "2"}, {"SAPO_FANOUT_RATE", "2"}});
    set_up_facilities();
    add_visitors(db->url(), facility, 1, 3600, start, end, 1000000);  // 8 batches
    auto d = draft();
    const long long id = num(d, "id");
    approve(id);
    REQUIRE(line.wait_for_accepted(1, 20s, kMulticast));

    auto r = admin("POST", "/admin/api/notifications/" + std::to_string(id) + "/cancel", "", "jiro");
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto c = json(r.body);
    CHECK(str(c, "status") == "cancelled");
    CHECK(str(c, "cancelled_by") == "admin:jiro");  // operators are named admin:<X-Operator>

    // batches a runner held at that moment finish; the rest never go
    REQUIRE(wait_until([&] { return batches(get(id), "pending") == 0; }, 20s));
    INFO(logs());
    const auto settled = count_multicasts(line.requests());
    CHECK_FALSE(line.wait_for([&](const auto& rs) { return count_multicasts(rs) > settled; }, 1500ms));

    auto g = get(id);
    CHECK(str(g, "status") == "cancelled");
    const auto accepted_batches = batches(g, "accepted");
    const auto cancelled_batches = batches(g, "cancelled");
    CHECK(batches(g, "total") == 8);
    CHECK(accepted_batches >= 1);
    CHECK(cancelled_batches >= 1);
    CHECK(accepted_batches + cancelled_batches == 8);
    CHECK(batches(g, "failed") == 0);
    CHECK(num(g, "targets") == 3600);
    CHECK(num(g, "sent") < 3600);
    CHECK(num(g, "failed") == 0);

    const auto all = multicasts_of(line.requests());
    const auto told = column_set(db->url(), "SELECT user_id FROM notification_recipients WHERE notification_id = " +
                                               std::to_string(id) + " AND accepted_at IS NOT NULL");
    CHECK(static_cast<long long>(told.size()) == num(g, "sent"));
    auto accepted = check_exactly_once(id, all, told, str(d["preview"], "ja"), str(d["preview"], "en"));
    CHECK(static_cast<long long>(accepted.size()) == accepted_batches);
    // no cancelled batch was ever offered to LINE
    const auto cancelled_keys = column_set(db->url(), "SELECT retry_key::text FROM notification_batches WHERE notification_id = " +
                                                         std::to_string(id) + " AND status = 'cancelled'");
    CHECK(static_cast<long long>(cancelled_keys.size()) == cancelled_batches);
    for (const auto& m : all) CHECK(cancelled_keys.count(m.key) == 0);
    // and cancelling again is refused: nothing is left to stop
    CHECK(admin("POST", "/admin/api/notifications/" + std::to_string(id) + "/cancel", "", "jiro").status == 409);
}

// notification_batches.request_id is the X-Line-Request-Id of the send LINE accepted: for a batch
// accepted on a resend (LINE answers 409: the key was taken before) that is the earlier request,
// named by X-Line-Accepted-Request-Id, not the 409 answer.
TEST_CASE_METHOD(Fanout, "fanout: a batch accepted on a resend records the id of the request LINE accepted",
                 "[pg][net][e2e][notify][fanout]") {
    if (skip_without_postgres()) return;
    serve({{"SAPO_FANOUT_WORKERS", "1"}});
    set_up_facilities();
    add_visitors(db->url(), facility, 1, 3, start, end, 1000000);
    auto d = draft();
    const long long id = num(d, "id");
    line.drop_after_next(1, kMulticast);  // LINE takes it, the answer is lost; the client's retry gets 409
    approve(id);
    wait_finished(id);
    INFO(logs());
    INFO(summary());
    const auto all = line.requests(kMulticast);
    REQUIRE(all.size() == 2);
    REQUIRE(all[0].dropped);
    REQUIRE(all[1].status == 409);
    INFO("LINE's id of the accepted request: " << all[0].request_id << ", of the 409 answer: " << all[1].request_id);
    CHECK(query_value(db->url(), "SELECT status FROM notification_batches WHERE notification_id = " + std::to_string(id)) ==
          "accepted");
    CHECK(query_value(db->url(), "SELECT request_id FROM notification_batches WHERE notification_id = " + std::to_string(id)) ==
          all[0].request_id);
}
