// The questionnaire's follow-up job with an injected clock against a real PostgreSQL: a follow-up
// goes out when it is due and only within the configured hours (Asia/Tokyo), once, through the
// outbox, in the user's language; not to users who blocked the bot or said 配信停止; and once
// even when two instances tick at the same moment.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <latch>
#include <map>
#include <string>

#include "bot/support/followups.hpp"
#include "storage/migrations.hpp"
#include "storage/support_store.hpp"
#include "test/support/harness.hpp"
#include "test/support/tokyo_days.hpp"

using namespace sapo;
using sapo::test::exec_sql;
using sapo::test::query_value;
using sapo::test::sql_instant;

namespace {

/// A clock the test sets.
class ManualClock final : public Clock {
public:
    std::atomic<std::int64_t> ms{0};
    time_point now() const override { return time_point(std::chrono::milliseconds(ms.load())); }
};

constexpr std::int64_t kDay = 86'400'000;
/// 2026-11-21 00:00 Asia/Tokyo.
constexpr std::int64_t kDayOne = 1'795'186'800'000;

std::int64_t tokyo(int day, int hour, int minute) { return kDayOne + day * kDay + (hour * 60 + minute) * 60'000LL; }

const std::string kJa = R"([{"type":"text","text":"ja"}])";
const std::string kEn = R"([{"type":"text","text":"en"}])";

std::unique_ptr<support::FollowupJob> job(const std::string& url, const Clock& clock) {
    return std::make_unique<support::FollowupJob>(support::FollowupSettings{9 * 60, 20 * 60, std::chrono::milliseconds(60000)},
                                                  storage::make_pg_support_store(url), clock,
                                                  std::map<std::string, std::string>{{"ja", kJa}, {"en", kEn}});
}

std::string uid(int n) {
    std::string digits = std::to_string(n);
    return "U" + std::string(32 - digits.size(), '0') + digits;
}

/// A user (follow state and language; "" leaves the language NULL).
void add_user(const std::string& url, const std::string& user_id, const std::string& follow_state, const std::string& language) {
    exec_sql(url, "INSERT INTO users (user_id, follow_state, language) VALUES ('" + user_id + "', '" + follow_state + "', " +
                      (language.empty() ? std::string("NULL") : "'" + language + "'") + ")");
}

/// A pending follow-up due at `due_ms`.
void add_followup(const std::string& url, const std::string& user_id, std::int64_t due_ms, const std::string& status = "pending") {
    exec_sql(url, "INSERT INTO support_followups (user_id, outcome, due_at, status, created_at) VALUES ('" + user_id + "', 'C', " +
                      sql_instant(due_ms) + ", '" + status + "', " + sql_instant(due_ms - 2 * kDay) + ")");
}

std::string outbox_count(const std::string& url, const std::string& where = "true") {
    return query_value(url, "SELECT count(*) FROM outbox WHERE " + where);
}

}  // namespace

TEST_CASE("support follow-up: due at D+2 10:00, sent then and only once, through the outbox", "[pg][support]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    const auto u = uid(1);
    add_user(db.url(), u, "followed", "ja");
    add_followup(db.url(), u, tokyo(2, 10, 0));
    ManualClock clock;
    auto a = job(db.url(), clock);

    clock.ms = tokyo(0, 12, 0);
    CHECK(a->tick() == 0);
    clock.ms = tokyo(1, 10, 0);
    CHECK(a->tick() == 0);  // a day early
    clock.ms = tokyo(2, 8, 59);
    CHECK(a->tick() == 0);  // before the hours (and before it is due)
    clock.ms = tokyo(2, 9, 59);
    CHECK(a->tick() == 0);  // within the hours, a minute early
    CHECK(outbox_count(db.url()) == "0");
    CHECK(query_value(db.url(), "SELECT status FROM support_followups WHERE user_id = '" + u + "'") == "pending");

    clock.ms = tokyo(2, 10, 0);
    CHECK(a->tick() == 1);
    REQUIRE(outbox_count(db.url()) == "1");
    CHECK(query_value(db.url(), "SELECT user_id FROM outbox") == u);
    CHECK(query_value(db.url(), "SELECT messages::text FROM outbox") == kJa);
    CHECK(query_value(db.url(), "SELECT must_arrive FROM outbox") == "t");
    CHECK(query_value(db.url(), "SELECT reply_token IS NULL FROM outbox") == "t");
    CHECK(query_value(db.url(), "SELECT status FROM support_followups WHERE user_id = '" + u + "'") == "sent");
    CHECK(query_value(db.url(), "SELECT sent_at = " + sql_instant(tokyo(2, 10, 0)) + " FROM support_followups WHERE user_id = '" + u +
                                    "'") == "t");

    CHECK(a->tick() == 0);
    clock.ms = tokyo(2, 10, 1);
    CHECK(a->tick() == 0);
    clock.ms = tokyo(3, 10, 0);
    CHECK(a->tick() == 0);
    // a restarted job (a new store) does not send it again either
    a.reset();
    auto b = job(db.url(), clock);
    CHECK(b->tick() == 0);
    CHECK(outbox_count(db.url()) == "1");
}

TEST_CASE("support follow-up: one due at night waits for the opening hour and goes before closing", "[pg][support]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    add_user(db.url(), uid(1), "followed", "ja");
    add_user(db.url(), uid(2), "followed", "ja");
    add_followup(db.url(), uid(1), tokyo(0, 21, 0));   // due after closing
    add_followup(db.url(), uid(2), tokyo(1, 19, 59));  // due in the last minute of the hours
    ManualClock clock;
    auto a = job(db.url(), clock);

    for (auto [h, m] : {std::pair{21, 0}, std::pair{23, 59}}) {
        clock.ms = tokyo(0, h, m);
        CHECK(a->tick() == 0);
    }
    for (auto [h, m] : {std::pair{0, 0}, std::pair{3, 0}, std::pair{8, 59}}) {
        clock.ms = tokyo(1, h, m);
        CHECK(a->tick() == 0);
    }
    CHECK(outbox_count(db.url()) == "0");
    clock.ms = tokyo(1, 9, 0);
    CHECK(a->tick() == 1);
    CHECK(outbox_count(db.url(), "user_id = '" + uid(1) + "'") == "1");
    clock.ms = tokyo(1, 19, 58);
    CHECK(a->tick() == 0);
    clock.ms = tokyo(1, 19, 59);
    CHECK(a->tick() == 1);
    CHECK(outbox_count(db.url(), "user_id = '" + uid(2) + "'") == "1");

    // 20:00 is already closed: one due then goes the next morning
    add_user(db.url(), uid(3), "followed", "ja");
    add_followup(db.url(), uid(3), tokyo(1, 20, 0));
    clock.ms = tokyo(1, 20, 0);
    CHECK(a->tick() == 0);
    clock.ms = tokyo(2, 9, 0);
    CHECK(a->tick() == 1);
    CHECK(outbox_count(db.url()) == "3");
}

TEST_CASE("support follow-up: in the user's language, Japanese when unknown", "[pg][support]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    add_user(db.url(), uid(1), "followed", "en");
    add_user(db.url(), uid(2), "followed", "");
    add_user(db.url(), uid(3), "followed", "ja");
    add_followup(db.url(), uid(1), tokyo(2, 10, 0));
    add_followup(db.url(), uid(2), tokyo(2, 10, 0));
    add_followup(db.url(), uid(3), tokyo(2, 10, 0));
    add_followup(db.url(), uid(4), tokyo(2, 10, 0));  // no users row at all
    ManualClock clock;
    auto a = job(db.url(), clock);
    clock.ms = tokyo(2, 11, 0);
    CHECK(a->tick() == 4);
    auto messages_of = [&](int n) { return query_value(db.url(), "SELECT messages::text FROM outbox WHERE user_id = '" + uid(n) + "'"); };
    CHECK(messages_of(1) == kEn);
    CHECK(messages_of(2) == kJa);
    CHECK(messages_of(3) == kJa);
    CHECK(messages_of(4) == kJa);
    CHECK(outbox_count(db.url()) == "4");
}

TEST_CASE("support follow-up: not to users who blocked the bot or said stop", "[pg][support]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    const auto followed = uid(1), unfollowed = uid(2), stopped = uid(3);
    add_user(db.url(), followed, "followed", "ja");
    add_user(db.url(), unfollowed, "unfollowed", "ja");
    add_user(db.url(), stopped, "followed", "ja");
    add_followup(db.url(), followed, tokyo(2, 10, 0));
    add_followup(db.url(), unfollowed, tokyo(2, 10, 0));
    // 配信停止 as support.stop leaves it: the pending row stopped, the user in support_optouts
    add_followup(db.url(), stopped, tokyo(2, 10, 0), "stopped");
    exec_sql(db.url(), "INSERT INTO support_optouts (user_id, at) VALUES ('" + stopped + "', now())");
    ManualClock clock;
    auto a = job(db.url(), clock);
    clock.ms = tokyo(2, 10, 0);
    CHECK(a->tick() == 1);
    CHECK(outbox_count(db.url()) == "1");
    CHECK(outbox_count(db.url(), "user_id = '" + followed + "'") == "1");
    clock.ms = tokyo(3, 10, 0);
    CHECK(a->tick() == 0);
    CHECK(outbox_count(db.url(), "user_id IN ('" + unfollowed + "', '" + stopped + "')") == "0");
    CHECK(query_value(db.url(), "SELECT status FROM support_followups WHERE user_id = '" + stopped + "'") == "stopped");
    CHECK(query_value(db.url(), "SELECT status FROM support_followups WHERE user_id = '" + unfollowed + "'") == "pending");
}

TEST_CASE("support follow-up: two jobs ticking at the same moment send each follow-up once", "[pg][support]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    constexpr int kUsers = 300;
    exec_sql(db.url(), "INSERT INTO users (user_id, follow_state, language) "
                       "SELECT 'U' || lpad(g::text, 32, '0'), 'followed', CASE WHEN g % 3 = 0 THEN 'en' ELSE 'ja' END "
                       "FROM generate_series(1, " + std::to_string(kUsers) + ") g");
    exec_sql(db.url(), "INSERT INTO support_followups (user_id, outcome, due_at, created_at) "
                       "SELECT 'U' || lpad(g::text, 32, '0'), CASE WHEN g % 2 = 0 THEN 'B' ELSE 'C' END, " +
                           sql_instant(tokyo(2, 10, 0)) + " - g * interval '1 second', now() FROM generate_series(1, " +
                           std::to_string(kUsers) + ") g");
    ManualClock clock;
    auto a = job(db.url(), clock);
    auto b = job(db.url(), clock);
    // both connected before the race, with nothing due yet (the first is due at 09:55)
    clock.ms = tokyo(2, 9, 0);
    CHECK(a->tick() == 0);
    CHECK(b->tick() == 0);
    clock.ms = tokyo(2, 10, 0);
    int total = 0;
    for (int round = 0; round < 3; ++round) {
        std::latch go(2);
        auto run = [&go](support::FollowupJob& j) {
            go.arrive_and_wait();
            return j.tick();
        };
        auto fa = std::async(std::launch::async, run, std::ref(*a));
        auto fb = std::async(std::launch::async, run, std::ref(*b));
        total += fa.get() + fb.get();
    }
    CHECK(total == kUsers);
    CHECK(outbox_count(db.url()) == std::to_string(kUsers));
    CHECK(query_value(db.url(), "SELECT count(DISTINCT user_id) FROM outbox") == std::to_string(kUsers));
    CHECK(query_value(db.url(), "SELECT count(*) FROM support_followups WHERE status = 'sent'") == std::to_string(kUsers));
    CHECK(outbox_count(db.url(), "messages::text = '" + kEn + "'") == std::to_string(kUsers / 3));
}
