// The handler's view of the event's transaction (storage::ConversationStore) and flow versions
// (storage::FlowStore) against a real PostgreSQL.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>

#include "storage/event_writer.hpp"
#include "storage/flow_store.hpp"
#include "storage/migrations.hpp"
#include "storage/repository.hpp"
#include "test/support/harness.hpp"

using namespace sapo;
using sapo::test::query_value;

namespace {

const std::string kFlow = R"({"schema_version":1,"id":"demo","start":"a","nodes":{"a":{"type":"end"}}})";

void store_event(storage::EventWriter& w, const std::string& id, const std::string& user, std::int64_t ts) {
    flows::InboundEvent e;
    e.event_id = id;
    e.type = "message";
    e.mode = "active";
    e.timestamp_ms = ts;
    e.source_type = "user";
    e.user_id = user;
    e.message_type = "text";
    e.raw = R"({"type":"message","webhookEventId":")" + id + R"(","timestamp":)" + std::to_string(ts) +
            R"(,"source":{"type":"user","userId":")" + user + R"("},"message":{"type":"text","id":"1","text":"hi"}})";
    std::promise<storage::StoreOutcome> p;
    auto f = p.get_future();
    w.submit("Ubot", {e}, [&p](storage::StoreOutcome o) { p.set_value(std::move(o)); });
    REQUIRE(f.get().ok);
}

}  // namespace

TEST_CASE("conversation store: sessions round-trip, end, and roll back with a failed handler", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto flows = storage::make_pg_flow_store(db.url());
    REQUIRE(flows->seed("demo", kFlow, "test"));
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    for (int i = 1; i <= 4; ++i) store_event(*writer, "E" + std::to_string(i), "Us", 1000 * i);
    auto repo = storage::make_pg_repository(db.url());

    flows::Session s;
    s.flow_id = "demo";
    s.version = 1;
    s.node = "a";
    s.waiting = flows::Session::Waiting::confirm;
    s.vars = {{"temperature", flows::Value(40.5)}, {"name", flows::Value("山田 \"花子\"")}, {"none", flows::Value()}};
    s.invalid_count = 2;
    s.pending = flows::Value(40.5);
    s.started_ms = 1'795'231'800'000;
    s.updated_ms = 1'795'231'860'000;
    s.expires_ms = 1'795'233'600'000;

    // E1: nothing stored yet; save it
    REQUIRE(repo->handle_next("Us", [&](const auto&, const auto&, storage::ConversationStore& store) {
        CHECK_FALSE(store.load_session("Us"));
        store.save_session("Us", s);
        store.set_language("Us", "en");
        return storage::Decision{};
    }, 3));
    CHECK(query_value(db.url(), "SELECT language FROM users WHERE user_id = 'Us'") == "en");

    // E2: read back exactly
    REQUIRE(repo->handle_next("Us", [&](const auto&, const auto&, storage::ConversationStore& store) {
        auto back = store.load_session("Us");
        REQUIRE(back);
        CHECK(back->flow_id == "demo");
        CHECK(back->version == 1);
        CHECK(back->node == "a");
        CHECK(back->waiting == flows::Session::Waiting::confirm);
        CHECK(back->vars == s.vars);
        CHECK(back->invalid_count == 2);
        CHECK(back->pending == flows::Value(40.5));
        CHECK(back->started_ms == s.started_ms);
        CHECK(back->updated_ms == s.updated_ms);
        CHECK(back->expires_ms == s.expires_ms);
        return storage::Decision{};
    }, 3));

    // E3: a handler that ends the session and then throws: the end is rolled back with it
    auto failed = repo->handle_next("Us", [&](const auto&, const auto&, storage::ConversationStore& store) -> storage::Decision {
        store.end_session("Us");
        throw std::runtime_error("effect failed");
    }, 3);
    REQUIRE(failed);
    CHECK(failed->failed);
    CHECK(query_value(db.url(), "SELECT count(*) FROM sessions") == "1");

    // the retry of E3 ends it for real
    REQUIRE(repo->handle_next("Us", [&](const auto&, const auto&, storage::ConversationStore& store) {
        store.end_session("Us");
        return storage::Decision{};
    }, 3));
    CHECK(query_value(db.url(), "SELECT count(*) FROM sessions") == "0");
}

TEST_CASE("conversation store: only published versions are run, newest first", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto flows = storage::make_pg_flow_store(db.url());
    REQUIRE(flows->seed("demo", kFlow, "test"));
    CHECK_FALSE(flows->seed("demo", kFlow, "test"));  // seeding never touches a flow that exists
    auto v2 = flows->put_draft("demo", R"({"schema_version":1,"id":"demo","start":"b","nodes":{"b":{"type":"end"}}})", "op", "flow.draft.put");
    CHECK(v2.version == 2);
    CHECK(v2.changed);
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    store_event(*writer, "P1", "Up", 1000);
    store_event(*writer, "P2", "Up", 2000);
    auto repo = storage::make_pg_repository(db.url());
    REQUIRE(repo->handle_next("Up", [&](const auto&, const auto&, storage::ConversationStore& store) {
        CHECK(store.published_versions() == std::vector<std::pair<std::string, int>>{{"demo", 1}});
        CHECK(store.flow_definition("demo", 1) == kFlow);
        CHECK_FALSE(store.flow_definition("demo", 2));  // a draft is never run
        return storage::Decision{};
    }, 3));
    const std::string v2_json = R"({"schema_version":1,"id":"demo","start":"b","nodes":{"b":{"type":"end"}}})";
    CHECK_FALSE(flows->publish("demo", 2, v2_json + " ", "op2"));  // not the document that was validated
    REQUIRE(flows->publish("demo", 2, v2_json, "op2"));
    CHECK_FALSE(flows->publish("demo", 2, v2_json, "op2"));  // already published
    REQUIRE(repo->handle_next("Up", [&](const auto&, const auto&, storage::ConversationStore& store) {
        CHECK(store.published_versions() == std::vector<std::pair<std::string, int>>{{"demo", 2}});
        CHECK(store.flow_definition("demo", 2));
        return storage::Decision{};
    }, 3));
}

TEST_CASE("flow store: one draft per flow, replaced in place, and identical documents write nothing", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto flows = storage::make_pg_flow_store(db.url());
    REQUIRE(flows->seed("demo", kFlow, "test"));
    auto same = flows->put_draft("demo", kFlow, "op", "flow.import");
    CHECK_FALSE(same.changed);
    CHECK(same.version == 1);
    auto d1 = flows->put_draft("demo", kFlow + " ", "op", "flow.import");
    auto d2 = flows->put_draft("demo", kFlow + "  ", "op2", "flow.draft.put");
    CHECK(d1.version == 2);
    CHECK(d2.version == 2);  // the draft was replaced, not a third version
    CHECK(flows->draft("demo")->definition == kFlow + "  ");
    CHECK(flows->draft("demo")->created_by == "op2");
    CHECK(flows->get("demo", 1)->definition == kFlow);
    CHECK(flows->get("demo", std::nullopt)->version == 2);
    auto list = flows->list();
    REQUIRE(list.size() == 1);
    CHECK(list[0].published_version == 1);
    CHECK(list[0].draft_version == 2);
    CHECK(query_value(db.url(), "SELECT string_agg(actor || ' ' || action, ',' ORDER BY id) FROM audit_log") ==
          "test flow.seed,op flow.import,op2 flow.draft.put");
}

TEST_CASE("repository: sessions expired more than a day ago are purged, recent ones kept", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto flows = storage::make_pg_flow_store(db.url());
    REQUIRE(flows->seed("demo", kFlow, "test"));
    test::exec_sql(db.url(), R"sql(
INSERT INTO sessions (user_id, flow_id, flow_version, node, waiting, started_at, updated_at, expires_at) VALUES
 ('Uold', 'demo', 1, 'a', 'input', now() - interval '3 days', now() - interval '3 days', now() - interval '2 days'),
 ('Urecent', 'demo', 1, 'a', 'input', now() - interval '2 hours', now() - interval '2 hours', now() - interval '1 hour'),
 ('Ulive', 'demo', 1, 'a', 'input', now(), now(), now() + interval '1 hour'))sql");
    auto repo = storage::make_pg_repository(db.url());
    CHECK(repo->purge_expired_sessions(100) == 1);
    CHECK(query_value(db.url(), "SELECT string_agg(user_id, ',' ORDER BY user_id) FROM sessions") == "Ulive,Urecent");
    CHECK(repo->purge_expired_sessions(100) == 0);
}

TEST_CASE("repository: a batch handles the oldest event of each key in one transaction", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    // three users, two events each, stored out of order
    store_event(*writer, "A2", "Ua", 2000);
    store_event(*writer, "A1", "Ua", 1000);
    store_event(*writer, "B1", "Ub", 1500);
    store_event(*writer, "B2", "Ub", 2500);
    store_event(*writer, "C1", "Uc", 500);
    store_event(*writer, "C2", "Uc", 700);
    auto repo = storage::make_pg_repository(db.url());
    std::vector<std::string> seen;
    auto record = [&](const storage::StoredEvent& e, const std::optional<storage::UserRecord>&, storage::ConversationStore&) {
        seen.push_back(e.webhook_event_id);
        storage::Decision d;
        d.messages = {R"({"type":"text","text":"ok"})"};
        d.reply_token = "rt-" + e.webhook_event_id;
        d.push_to = e.user_id;
        return d;
    };
    auto first = repo->handle_batch({"Ua", "Ub", "Uc"}, record, 3);
    REQUIRE(first.size() == 3);
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<std::string>{"A1", "B1", "C1"});  // the oldest of each key only
    for (const auto& h : first) CHECK(h.outbox.size() == 1);
    CHECK(query_value(db.url(), "SELECT string_agg(webhook_event_id, ',' ORDER BY webhook_event_id) FROM webhook_events "
                                "WHERE status = 'processed'") == "A1,B1,C1");
    CHECK(query_value(db.url(), "SELECT count(*) FROM users") == "3");
    seen.clear();
    auto second = repo->handle_batch({"Ua", "Ub", "Uc"}, record, 3);
    CHECK(second.size() == 3);
    CHECK(repo->handle_batch({"Ua", "Ub", "Uc"}, record, 3).empty());
    CHECK(query_value(db.url(), "SELECT count(*) FROM outbox") == "6");
}

TEST_CASE("repository: one failing handler in a batch fails only its own event", "[pg][storage]") {
    if (!test::have_test_postgres()) return;
    test::TempDatabase db;
    storage::migrate(db.url());
    auto writer = storage::make_pg_event_writer({db.url(), 1, 8});
    store_event(*writer, "OK1", "Uok1", 1000);
    store_event(*writer, "BAD", "Ubad", 1000);
    store_event(*writer, "OK2", "Uok2", 1000);
    auto repo = storage::make_pg_repository(db.url());
    auto handler = [](const storage::StoredEvent& e, const std::optional<storage::UserRecord>&,
                      storage::ConversationStore& store) -> storage::Decision {
        // writes first, so a lost transaction would show
        store.set_language(e.user_id, "en");
        if (e.webhook_event_id == "BAD") throw std::runtime_error("broken on purpose");
        return {};
    };
    auto handled = repo->handle_batch({"Uok1", "Ubad", "Uok2"}, handler, 3);
    REQUIRE(handled.size() == 3);
    int failed = 0;
    for (const auto& h : handled) {
        if (h.failed) {
            ++failed;
            CHECK(h.event.webhook_event_id == "BAD");
            CHECK(h.error == "broken on purpose");
        }
    }
    CHECK(failed == 1);
    CHECK(query_value(db.url(), "SELECT string_agg(webhook_event_id || ':' || status || ':' || attempts, ',' "
                                "ORDER BY webhook_event_id) FROM webhook_events") == "BAD:pending:1,OK1:processed:1,OK2:processed:1");
    // the failing event's write was rolled back, its neighbours' kept
    CHECK(query_value(db.url(), "SELECT string_agg(user_id, ',' ORDER BY user_id) FROM users WHERE language = 'en'") ==
          "Uok1,Uok2");
}
