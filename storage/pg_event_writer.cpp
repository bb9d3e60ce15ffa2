#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "storage/event_writer.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace {

// One statement for the whole group: the events travel as one JSON array, so the statement is
// prepared once and the row count never changes its shape.
constexpr const char* kInsertEvents = R"sql(
INSERT INTO webhook_events (webhook_event_id, ordering_key, event_type, mode, source_type,
                            user_id, reply_token, event_ts_ms, is_redelivery, destination, raw)
SELECT x.e, x.k, x.t, x.m, x.s, NULLIF(x.u, ''), NULLIF(x.r, ''), x.ts, x.rd, x.d, x.raw
FROM json_to_recordset($1::json)
     AS x(e text, k text, t text, m text, s text, u text, r text, ts bigint, rd boolean,
          d text, raw jsonb)
ON CONFLICT (webhook_event_id) DO NOTHING
RETURNING webhook_event_id
)sql";

struct Pending {
    std::string destination;
    std::vector<flows::InboundEvent> events;
    EventWriter::Done done;
};

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, const std::string& v) {
    w.Key(key);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

std::string batch_json(const std::vector<Pending*>& batch) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto* p : batch) {
        for (const auto& e : p->events) {
            w.StartObject();
            write_string(w, "e", e.event_id);
            write_string(w, "k", e.ordering_key());
            write_string(w, "t", e.type);
            write_string(w, "m", e.mode);
            write_string(w, "s", e.source_type);
            write_string(w, "u", e.user_id);
            write_string(w, "r", e.reply_token);
            w.Key("ts");
            w.Int64(e.timestamp_ms);
            w.Key("rd");
            w.Bool(e.redelivery);
            write_string(w, "d", p->destination);
            w.Key("raw");
            w.RawValue(e.raw.c_str(), e.raw.size(), rapidjson::kObjectType);
            w.EndObject();
        }
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

class PgEventWriter final : public EventWriter {
public:
    explicit PgEventWriter(PgEventWriterOptions options) : options_(std::move(options)) {
        for (int i = 0; i < options_.connections; ++i) {
            threads_.emplace_back([this] { run(); });
        }
    }

    ~PgEventWriter() override { stop(); }

    void submit(std::string destination, std::vector<flows::InboundEvent> events, Done done) override {
        {
            std::lock_guard lock(mutex_);
            if (!stopping_) {
                queue_.push_back(Pending{std::move(destination), std::move(events), std::move(done)});
                cv_.notify_one();
                return;
            }
        }
        done(StoreOutcome{false, "shutting down", {}, 0, 0});
    }

    std::size_t queue_depth() const override {
        std::lock_guard lock(mutex_);
        return queue_.size();
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_) t.join();
    }

private:
    void run() {
        std::unique_ptr<pqxx::connection> conn;
        for (;;) {
            std::deque<Pending> taken;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;  // stopping, and everything queued is done
                auto n = std::min(queue_.size(), options_.max_batch_requests);
                for (std::size_t i = 0; i < n; ++i) {
                    taken.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
            std::vector<Pending*> batch;
            for (auto& p : taken) batch.push_back(&p);
            commit_batch(conn, batch);
        }
    }

    /// Commits the batch; if the database rejects it (not a connection problem), commits each
    /// request alone so that one unstorable request doesn't fail the others with it.
    void commit_batch(std::unique_ptr<pqxx::connection>& conn, const std::vector<Pending*>& batch) {
        try {
            auto inserted = insert(conn, batch);
            finish(batch, inserted);
        } catch (const StorageError& e) {
            if (!e.transient() && batch.size() > 1) {
                for (auto* p : batch) commit_batch(conn, {p});
                return;
            }
            for (auto* p : batch) p->done(StoreOutcome{false, e.what(), {}, 0, 0});
        }
    }

    std::unordered_set<std::string> insert(
        std::unique_ptr<pqxx::connection>& conn,
        const std::vector<Pending*>& batch
    ) {
        std::unordered_set<std::string> inserted;
        try {
            if (!conn || !conn->is_open()) {
                conn.reset();
                conn = pg::connect(options_.database_url);
                conn->prepare("insert_events", kInsertEvents);
            }
            pqxx::work tx(*conn);
            auto rows = tx.exec_prepared("insert_events", batch_json(batch));
            tx.commit();
            for (const auto& row : rows) inserted.insert(row[0].c_str());
        } catch (const StorageError& e) {
            if (e.transient()) conn.reset();
            throw;
        } catch (const pqxx::broken_connection&) {
            conn.reset();
            pg::rethrow_as_storage_error("storing webhook events");
        } catch (const pqxx::in_doubt_error&) {
            conn.reset();
            pg::rethrow_as_storage_error("storing webhook events");
        } catch (...) {
            pg::rethrow_as_storage_error("storing webhook events");
        }
        return inserted;
    }

    static void finish(const std::vector<Pending*>& batch, std::unordered_set<std::string>& inserted) {
        for (auto* p : batch) {
            StoreOutcome out;
            out.ok = true;
            for (const auto& e : p->events) {
                // erase: an event repeated in the same group counts as new only once
                if (inserted.erase(e.event_id)) {
                    out.inserted++;
                    out.new_keys.push_back(e.ordering_key());
                } else {
                    out.duplicates++;
                }
            }
            p->done(std::move(out));
        }
    }

    PgEventWriterOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<EventWriter> make_pg_event_writer(const PgEventWriterOptions& options) {
    return std::make_unique<PgEventWriter>(options);
}

}  // namespace sapo::storage
