// Storage against a real PostgreSQL: migrations, the group-commit writer, and the dispatcher's
// repository (ordering, failures, outbox).
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "storage/errors.hpp"
#include "storage/event_writer.hpp"
#include "storage/migrations.hpp"
#include "storage/repository.hpp"
#include "test/support/harness.hpp"

using namespace sapo;
using sapo::test::query_value;

namespace {

flows::InboundEvent text_event(const std::string& id, const std::string& user, std::int64_t ts) {
    flows::InboundEvent e;
    e.event_id = id;
    e.type = "message";
    e.mode = "active";
    e.timestamp_ms = ts;
    e.source_type = "user";
    e.user_id = user;
    e.reply_token = "rt-" + id;
    e.message_type = "text";
    e.raw = R"({"type":"message","webhookEventId":")" + id + R"(","timestamp":)" + std::to_string(ts) +
            R"(,"source":{"type":"user","userId":")" + user + R"("},"message":{"type":"text","id":"1","text":"hi"}})";
    return e;
}

storage::StoreOutcome store(storage::EventWriter& w, std::vector<flows::InboundEvent> events) {
    std::promise<storage::StoreOutcome> p;
    auto f = p.get_future();
    w.submit("Ubot", std::move(events), [&p](storage::StoreOutcome o) { p.set_value(std::move(o)); });
    return f.get();
}

storage::Decision no_answer(const storage::StoredEvent&, const std::optional<storage::UserRecord>&, storage::ConversationStore&) {
    return {};
}

}  // namespace

TEST_CASE("migrate: applies every migration once, twice is a no-op", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    CHECK(storage::applied_migration_version(db.url()) == 0);
    auto first = storage::migrate(db.url());
    CHECK(first.from_version == 0);
    CHECK(first.to_version == storage::latest_migration_version());
    CHECK(first.applied.size() == storage::embedded_migrations().size());
    auto second = storage::migrate(db.url());
    CHECK(second.applied.empty());
    CHECK(second.to_version == first.to_version);
    CHECK(query_value(db.url(), "SELECT count(*) FROM schema_migrations") ==
          std::to_string(storage::embedded_migrations().size()));
}

TEST_CASE("migrate: two instances starting together don't race", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    std::vector<std::future<storage::MigrationReport>> runs;
    for (int i = 0; i < 4; ++i) {
        runs.push_back(std::async(std::launch::async, [&] { return storage::migrate(db.url()); }));
    }
    std::size_t applied = 0;
    for (auto& r : runs) applied += r.get().applied.size();  // get() rethrows any failure
    CHECK(applied == storage::embedded_migrations().size());
}

TEST_CASE("migrate: unreachable database is a transient StorageError", "[pg][storage]") {
    auto url = "postgresql://postgres@127.0.0.1:" + std::to_string(test::free_port()) + "/x";
    try {
        storage::migrate(url);
        FAIL("migrate should have thrown");
    } catch (const storage::StorageError& e) {
        CHECK(e.transient());
    }
}

TEST_CASE("event writer: stores, deduplicates and reports the new keys", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 2, 64});

    auto first = store(*writer, {text_event("E1", "Ua", 1000), text_event("E2", "Ub", 1001)});
    REQUIRE(first.ok);
    CHECK(first.inserted == 2);
    CHECK(first.duplicates == 0);
    CHECK(first.new_keys == std::vector<std::string>{"Ua", "Ub"});

    auto again = store(*writer, {text_event("E1", "Ua", 1000), text_event("E3", "Ua", 1002)});
    REQUIRE(again.ok);
    CHECK(again.inserted == 1);
    CHECK(again.duplicates == 1);
    CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events") == "3");
    CHECK(query_value(db.url(), "SELECT raw->'source'->>'userId' FROM webhook_events WHERE webhook_event_id='E2'") == "Ub");
    CHECK(query_value(db.url(), "SELECT status FROM webhook_events WHERE webhook_event_id='E3'") == "pending");
}

TEST_CASE("event writer: concurrent requests all commit, each event once", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 2, 512});
    constexpr int kRequests = 400;
    std::vector<std::promise<storage::StoreOutcome>> promises(kRequests);
    for (int i = 0; i < kRequests; ++i) {
        // every event id appears in two requests: the second copy must be a duplicate
        auto id = "C" + std::to_string(i / 2);
        writer->submit("Ubot", {text_event(id, "U" + std::to_string(i % 7), i)}, [&promises, i](storage::StoreOutcome o) {
            promises[static_cast<std::size_t>(i)].set_value(std::move(o));
        });
    }
    std::size_t inserted = 0, duplicates = 0;
    for (auto& p : promises) {
        auto o = p.get_future().get();
        REQUIRE(o.ok);
        inserted += o.inserted;
        duplicates += o.duplicates;
    }
    CHECK(inserted == kRequests / 2);
    CHECK(duplicates == kRequests / 2);
    CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events") == std::to_string(kRequests / 2));
}

TEST_CASE("event writer: database down fails the request, never pretends success", "[pg][storage]") {
    auto url = "postgresql://postgres@127.0.0.1:" + std::to_string(test::free_port()) + "/x";
    auto writer = storage::make_pg_event_writer({url, 1, 8});
    auto outcome = store(*writer, {text_event("D1", "Ua", 1)});
    CHECK_FALSE(outcome.ok);
    CHECK(outcome.error.find("unreachable") != std::string::npos);
}

TEST_CASE("event writer: one unstorable request does not fail the others", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 1, 512});
    auto bad = text_event("BAD", "Ua", 1);
    bad.raw = R"({"type":"message","text":"\u0000"})";  // jsonb refuses NUL characters
    std::promise<storage::StoreOutcome> pb, pg;
    writer->submit("Ubot", {bad}, [&](storage::StoreOutcome o) { pb.set_value(std::move(o)); });
    writer->submit("Ubot", {text_event("GOOD", "Ub", 2)}, [&](storage::StoreOutcome o) { pg.set_value(std::move(o)); });
    CHECK_FALSE(pb.get_future().get().ok);
    CHECK(pg.get_future().get().ok);
    CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events") == "1");
}

TEST_CASE("repository: one key's events come oldest first, then nothing", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    // stored out of order: the timestamp decides
    REQUIRE(store(*writer, {text_event("T3", "Ua", 3000), text_event("T1", "Ua", 1000)}).ok);
    REQUIRE(store(*writer, {text_event("T2", "Ua", 2000), text_event("X1", "Ub", 500)}).ok);
    auto repo = storage::make_pg_repository(db.url());
    std::vector<std::string> order;
    while (auto h = repo->handle_next("Ua", no_answer, 3)) order.push_back(h->event.webhook_event_id);
    CHECK(order == std::vector<std::string>{"T1", "T2", "T3"});
    CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status='processed'") == "3");
    CHECK(repo->pending_keys(10) == std::vector<std::string>{"Ub"});
}

TEST_CASE("repository: a throwing handler is retried, then marked failed, and later events go on", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    REQUIRE(store(*writer, {text_event("F1", "Ua", 1000), text_event("F2", "Ua", 2000)}).ok);
    auto repo = storage::make_pg_repository(db.url());
    auto handler = [](const storage::StoredEvent& e, const std::optional<storage::UserRecord>&,
                      storage::ConversationStore&) -> storage::Decision {
        if (e.webhook_event_id == "F1") throw std::runtime_error("boom");
        storage::Decision d;
        d.messages = {R"({"type":"text","text":"ok"})"};
        d.reply_token = e.reply_token;
        d.push_to = e.user_id;
        return d;
    };
    std::vector<std::string> seen;
    int failures = 0;
    bool gave_up = false;
    while (auto h = repo->handle_next("Ua", handler, 3)) {
        seen.push_back(h->event.webhook_event_id);
        if (h->failed) {
            failures++;
            CHECK(h->error == "boom");
            gave_up = h->gave_up;
        }
    }
    CHECK(failures == 3);
    CHECK(gave_up);
    CHECK(seen == std::vector<std::string>{"F1", "F1", "F1", "F2"});
    CHECK(query_value(db.url(), "SELECT status || ':' || attempts || ':' || last_error FROM webhook_events WHERE webhook_event_id='F1'") == "failed:3:boom");
    CHECK(query_value(db.url(), "SELECT status FROM webhook_events WHERE webhook_event_id='F2'") == "processed");
    // the failed event's attempt wrote no outbox row; the good one wrote exactly one
    CHECK(query_value(db.url(), "SELECT count(*) FROM outbox") == "1");
    CHECK(query_value(db.url(), "SELECT reply_token FROM outbox") == "rt-F2");
}

TEST_CASE("repository: follow state and language are kept per user", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    REQUIRE(store(*writer, {text_event("U1", "Uf", 1000), text_event("U2", "Uf", 2000)}).ok);
    auto repo = storage::make_pg_repository(db.url());
    auto follow = [](const storage::StoredEvent&, const std::optional<storage::UserRecord>& u, storage::ConversationStore&) {
        storage::Decision d;
        d.follow = u ? storage::Decision::Follow::unfollowed : storage::Decision::Follow::followed;
        if (!u) d.language = "en";
        return d;
    };
    REQUIRE(repo->handle_next("Uf", follow, 3));
    CHECK(query_value(db.url(), "SELECT follow_state || ':' || language FROM users WHERE user_id='Uf'") == "followed:en");
    REQUIRE(repo->handle_next("Uf", follow, 3));
    CHECK(query_value(db.url(), "SELECT follow_state || ':' || language || ':' || (unfollowed_at IS NOT NULL) FROM users") == "unfollowed:en:true");
}

TEST_CASE("repository: outbox rows of a dead sender are reclaimed once", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    REQUIRE(store(*writer, {text_event("O1", "Uo", 1000)}).ok);
    auto repo = storage::make_pg_repository(db.url());
    auto answer = [](const storage::StoredEvent& e, const std::optional<storage::UserRecord>&, storage::ConversationStore&) {
        storage::Decision d;
        d.messages = {R"({"type":"text","text":"a"})", R"({"type":"text","text":"b"})"};
        d.reply_token = e.reply_token;
        d.push_to = e.user_id;
        d.must_arrive = true;
        return d;
    };
    auto h = repo->handle_next("Uo", answer, 3);
    REQUIRE(h);
    REQUIRE(h->outbox.size() == 1);
    const auto& item = h->outbox.front();
    CHECK(item.messages.size() == 2);
    CHECK(item.retry_key.size() == 36);
    // fresh claims are not reclaimed; stale ones are, once, with the same retry key
    CHECK(repo->reclaim_outbox(std::chrono::seconds(30), 10).empty());
    test::exec_sql(db.url(), "UPDATE outbox SET claimed_at = now() - interval '1 minute'");
    auto reclaimed = repo->reclaim_outbox(std::chrono::seconds(30), 10);
    REQUIRE(reclaimed.size() == 1);
    CHECK(reclaimed[0].retry_key == item.retry_key);
    CHECK(reclaimed[0].messages == item.messages);
    CHECK(reclaimed[0].must_arrive);
    CHECK(reclaimed[0].reclaimed);
    CHECK_FALSE(item.reclaimed);
    CHECK(repo->reclaim_outbox(std::chrono::seconds(30), 10).empty());
    repo->finish_outbox(reclaimed[0].id, "sent", "");
    CHECK(query_value(db.url(), "SELECT status FROM outbox") == "sent");
}

TEST_CASE("health probe: not ready until the schema matches the binary, with the reason", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    auto probe = storage::make_pg_health_probe(db.url(), std::chrono::milliseconds(50));
    std::string why;
    REQUIRE(test::wait_until([&] { return !probe->ready(why) && why != "not checked yet"; }, std::chrono::seconds(5)));
    CHECK(why.find("schema at version 0") != std::string::npos);
    CHECK(why.find("sapo migrate") != std::string::npos);
    storage::migrate(db.url());
    CHECK(test::wait_until([&] { return probe->ready(why); }, std::chrono::seconds(5)));
    probe->stop();
}
