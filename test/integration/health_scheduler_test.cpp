// The health report's scheduler with an injected clock against a real PostgreSQL: each slot is
// claimed once per patient and day, a scheduler started after 09:00 still sends the morning prompt
// (once), the reminder waits for its time and for the morning prompt to be half an hour old, the
// closing message goes once after the period.
#include <catch2/catch.hpp>

#include <atomic>

#include "bot/health/scheduler.hpp"
#include "storage/health_store.hpp"
#include "storage/migrations.hpp"
#include "test/support/harness.hpp"

using namespace sapo;
using sapo::test::query_value;

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

std::map<storage::PromptSlot, health::PromptMessages> messages() {
    std::map<storage::PromptSlot, health::PromptMessages> m;
    for (auto slot : {storage::PromptSlot::morning, storage::PromptSlot::reminder, storage::PromptSlot::closing}) {
        const std::string text = std::string(R"([{"type":"text","text":")") + storage::prompt_slot_name(slot) + "\"}]";
        m[slot] = {text, text};
    }
    return m;
}

std::unique_ptr<health::HealthScheduler> scheduler(const std::string& url, const Clock& clock, std::atomic<int>& wakes) {
    return std::make_unique<health::HealthScheduler>(
        health::ScheduleSettings{9 * 60, 10 * 60, std::chrono::minutes(30), std::chrono::milliseconds(60000)},
        storage::make_pg_health_store(url), clock, messages(), [&wakes] { ++wakes; }
    );
}

std::string count(const std::string& url, const std::string& where) {
    return query_value(url, "SELECT count(*) FROM health_prompts WHERE " + where);
}

}  // namespace

TEST_CASE("health scheduler: each slot fires once per day, also across a restart over 09:00", "[pg][health]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    // four enrolled patients: three monitored 2026-11-21..26, one only 21..22
    test::exec_sql(db.url(), "INSERT INTO users (user_id, follow_state) SELECT 'U' || lpad(g::text, 32, '0'), 'followed' "
                             "FROM generate_series(1, 4) g");
    test::exec_sql(db.url(),
                   "INSERT INTO patients (label, monitoring_from, monitoring_to, user_id, enrolled_at, created_by) "
                   "SELECT 'S-' || g, '2026-11-21', CASE WHEN g = 4 THEN '2026-11-22' ELSE '2026-11-26' END::date, "
                   "'U' || lpad(g::text, 32, '0'), now(), 'test' FROM generate_series(1, 4) g");
    ManualClock clock;
    std::atomic<int> wakes{0};

    auto a = scheduler(db.url(), clock, wakes);
    clock.ms = tokyo(0, 8, 59);
    CHECK(a->tick() == 0);
    CHECK(count(db.url(), "true") == "0");
    CHECK(wakes == 0);
    clock.ms = tokyo(0, 9, 0);
    CHECK(a->today() == "2026-11-21");
    CHECK(a->tick() == 4);
    CHECK(wakes == 1);
    clock.ms = tokyo(0, 9, 1);
    CHECK(a->tick() == 0);

    // the process restarts at 09:40: nothing again
    a.reset();
    auto b = scheduler(db.url(), clock, wakes);
    clock.ms = tokyo(0, 9, 40);
    CHECK(b->tick() == 0);
    CHECK(count(db.url(), "slot = 'morning'") == "4");
    CHECK(count(db.url(), "slot = 'reminder'") == "0");  // not before 10:00

    // patient 1 reports; at 10:00 the other three are reminded, once
    test::exec_sql(db.url(), "INSERT INTO health_reports (patient_id, report_date, run, completed_at, answers) "
                             "SELECT id, '2026-11-21', 'r', now(), '{}' FROM patients WHERE label = 'S-1'");
    clock.ms = tokyo(0, 10, 0);
    CHECK(b->tick() == 3);
    clock.ms = tokyo(0, 10, 5);
    CHECK(b->tick() == 0);
    CHECK(count(db.url(), "slot = 'reminder' AND patient_id = (SELECT id FROM patients WHERE label = 'S-1')") == "0");

    // the next day: the morning prompt again, for everyone in their period
    clock.ms = tokyo(1, 8, 0);
    CHECK(b->tick() == 0);
    clock.ms = tokyo(1, 9, 0);
    CHECK(b->tick() == 4);

    // the day after, the service was down over 09:00 and 10:00 and starts at 11:00: the closing
    // message to patient 4, the late morning prompt to the others; the reminder half an hour later
    b.reset();
    auto c = scheduler(db.url(), clock, wakes);
    clock.ms = tokyo(2, 11, 0);
    CHECK(c->tick() == 4);
    CHECK(count(db.url(), "prompt_date = '2026-11-23' AND slot = 'closing'") == "1");
    CHECK(count(db.url(), "prompt_date = '2026-11-23' AND slot = 'morning'") == "3");
    clock.ms = tokyo(2, 11, 29);
    CHECK(c->tick() == 0);
    clock.ms = tokyo(2, 11, 31);
    CHECK(c->tick() == 3);
    clock.ms = tokyo(3, 20, 0);
    CHECK(c->tick() == 0);  // not in the evening: the day's prompt waits for tomorrow
    clock.ms = tokyo(4, 9, 0);
    CHECK(c->tick() == 3);  // no second closing message, no prompt after the period
    CHECK(count(db.url(), "slot = 'closing'") == "1");

    // every claim is in batches with a retry key each
    CHECK(query_value(db.url(), "SELECT sum(recipients) FROM health_prompt_batches") == count(db.url(), "true"));
    CHECK(query_value(db.url(), "SELECT count(DISTINCT retry_key) FROM health_prompt_batches") ==
          query_value(db.url(), "SELECT count(*) FROM health_prompt_batches"));
}

TEST_CASE("health scheduler: an operator's run skips the time of day and the reminder's wait", "[pg][health]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    test::exec_sql(db.url(), "INSERT INTO users (user_id, follow_state) VALUES ('U" + std::string(32, '7') + "', 'followed')");
    test::exec_sql(db.url(), "INSERT INTO patients (label, monitoring_from, monitoring_to, user_id, created_by) "
                             "VALUES ('N-1', '2026-11-21', '2026-11-25', 'U" + std::string(32, '7') + "', 'test')");
    ManualClock clock;
    std::atomic<int> wakes{0};
    auto s = scheduler(db.url(), clock, wakes);
    clock.ms = tokyo(0, 6, 0);
    CHECK(s->tick() == 0);
    CHECK(s->run_now(storage::PromptSlot::morning) == 1);
    CHECK(s->run_now(storage::PromptSlot::reminder) == 1);
    CHECK(s->run_now(storage::PromptSlot::morning) == 0);
    CHECK(s->run_now(storage::PromptSlot::reminder) == 0);
    CHECK(wakes == 2);
}

TEST_CASE("health retention: patients whose monitoring ended long ago go, with everything about them", "[pg][health]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    test::exec_sql(db.url(), "INSERT INTO users (user_id, follow_state) SELECT 'U' || lpad(g::text, 32, '0'), 'followed' "
                             "FROM generate_series(1, 3) g");
    // 1: ended by its dates long ago; 2: ended by an operator long ago; 3: still monitored
    test::exec_sql(db.url(),
                   "INSERT INTO patients (id, label, monitoring_from, monitoring_to, user_id, ended_at, created_by) VALUES "
                   "(1, 'old', '2026-01-01', '2026-01-10', 'U" + std::string(31, '0') + "1', NULL, 'test'), "
                   "(2, 'ended', '2026-03-01', '2026-12-31', 'U" + std::string(31, '0') + "2', '2026-03-05 12:00+09', 'test'), "
                   "(3, 'current', '2026-03-01', '2026-12-31', 'U" + std::string(31, '0') + "3', NULL, 'test')");
    test::exec_sql(db.url(), "INSERT INTO health_reports (patient_id, report_date, run, completed_at, answers) "
                             "SELECT id, '2026-03-02', 'r' || id, now(), '{}' FROM patients");
    test::exec_sql(db.url(), "INSERT INTO alerts (patient_id, run, reason, raised_at) SELECT id, 'r' || id, 'high_fever', now() FROM patients");
    test::exec_sql(db.url(), "INSERT INTO health_prompt_runs (id, prompt_date, slot, messages_ja, messages_en, created_at) VALUES "
                             "(1, '2026-03-02', 'morning', '[]', '[]', now()), (2, '2026-06-02', 'morning', '[]', '[]', now())");
    test::exec_sql(db.url(), "INSERT INTO health_prompt_batches (run_id, batch_no, language, recipients, retry_key) VALUES "
                             "(1, 0, 'ja', 1, gen_random_uuid()), (2, 0, 'ja', 1, gen_random_uuid())");
    test::exec_sql(db.url(), "INSERT INTO health_prompts (patient_id, prompt_date, slot, user_id, language, run_id, batch_no, claimed_at) "
                             "SELECT id, '2026-03-02'::date, 'morning', user_id, 'ja', 1, 0, now() FROM patients "
                             "UNION ALL SELECT 3, '2026-06-02'::date, 'morning', user_id, 'ja', 2, 0, now() FROM patients WHERE id = 3");
    auto store = storage::make_pg_health_store(db.url());
    auto r = store->purge("2026-04-01");
    CHECK(r.patients_deleted == 2);
    CHECK(r.prompts_deleted == 1);  // patient 3's prompt of March; 1's and 2's went with them
    CHECK(query_value(db.url(), "SELECT string_agg(label, ',' ORDER BY id) FROM patients") == "current");
    CHECK(query_value(db.url(), "SELECT string_agg(patient_id::text, ',') FROM health_reports") == "3");
    CHECK(query_value(db.url(), "SELECT string_agg(patient_id::text, ',') FROM alerts") == "3");
    CHECK(query_value(db.url(), "SELECT string_agg(prompt_date::text, ',') FROM health_prompts") == "2026-06-02");
    CHECK(query_value(db.url(), "SELECT string_agg(run_id::text, ',') FROM health_prompt_batches") == "2");
    CHECK(query_value(db.url(), "SELECT string_agg(id::text, ',') FROM health_prompt_runs") == "2");
    auto again = store->purge("2026-04-01");
    CHECK(again.patients_deleted == 0);
    CHECK(again.prompts_deleted == 0);
}
