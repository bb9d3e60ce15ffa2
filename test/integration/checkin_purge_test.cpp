// Check-in retention against a real PostgreSQL: monthly partitions of `checkins` made ahead,
// whole partitions dropped and the edge deleted by purge_checkins(), and `sapo purge` as an
// operator (or cron) runs it, in a child process with its own stdin, stdout and stderr.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "storage/facility_store.hpp"
#include "storage/migrations.hpp"
#include "test/support/cli_runner.hpp"
#include "test/support/harness.hpp"

using namespace sapo;
using namespace sapo::test;
namespace fs = std::filesystem;

namespace {

/// The health records' cutoff of `sapo purge` with the default 90 days: that many Tokyo days ago.
std::string health_cutoff() {
    std::time_t t = std::time(nullptr) + 9 * 3600 - 90 * 86400;
    std::tm g{};
    gmtime_r(&t, &g);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", g.tm_year + 1900, g.tm_mon + 1, g.tm_mday);
    return buf;
}

constexpr long long kDay = 86'400'000;

/// Unix ms of a UTC time, by the C library.
long long utc_ms(int y, int mo, int d, int h = 0, int mi = 0, int s = 0, int ms = 0) {
    std::tm t{};
    t.tm_year = y - 1900;
    t.tm_mon = mo - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    t.tm_sec = s;
    return static_cast<long long>(timegm(&t)) * 1000 + ms;
}

/// "2024-03-15 12:00:00.000" (UTC) for SQL and messages.
std::string utc_text(long long ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm g{};
    gmtime_r(&secs, &g);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03lld", g.tm_year + 1900, g.tm_mon + 1, g.tm_mday, g.tm_hour,
                  g.tm_min, g.tm_sec, ms % 1000);
    return buf;
}

/// "checkins_p202403": the partition a UTC time belongs to.
std::string partition_of(long long ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm g{};
    gmtime_r(&secs, &g);
    char buf[64];
    std::snprintf(buf, sizeof buf, "checkins_p%04d%02d", g.tm_year + 1900, g.tm_mon + 1);
    return buf;
}

/// The first instant (ms) of the UTC month after the one of `ms`.
long long month_end(long long ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm g{};
    gmtime_r(&secs, &g);
    return g.tm_mon == 11 ? utc_ms(g.tm_year + 1900 + 1, 1, 1) : utc_ms(g.tm_year + 1900, g.tm_mon + 2, 1);
}

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// The partitions of `checkins`, by name, comma-separated.
std::string partitions(const std::string& url) {
    return query_value(url, "SELECT coalesce(string_agg(c.relname, ',' ORDER BY c.relname), '') FROM pg_inherits i "
                            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'checkins'::regclass");
}

void insert_checkin(const std::string& url, const std::string& user, long long facility, long long ms) {
    exec_sql(url, "INSERT INTO checkins (user_id, facility_id, checked_in_at) VALUES ('" + user + "', " + std::to_string(facility) +
                      ", '" + utc_text(ms) + "+00')");
}

/// The stored check-in times, oldest first, "ms,ms,...".
std::string stored_times(const std::string& url) {
    return query_value(url, "SELECT coalesce(string_agg((extract(epoch FROM checked_in_at) * 1000)::bigint::text, ',' "
                            "ORDER BY checked_in_at), '') FROM checkins");
}

std::string joined(const std::vector<long long>& v) {
    std::string out;
    for (auto x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
    return out;
}

// --- `sapo ...` in a child process (as in flows_cli_test.cpp) -----------------------------------


}  // namespace

TEST_CASE("checkin purge: partitions are made per UTC month, on demand and idempotently", "[pg][storage][checkin]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    storage::migrate(db.url());
    auto store = storage::make_pg_facility_store(db.url());
    CHECK(partitions(db.url()).empty());

    store->ensure_checkin_partitions(utc_ms(2024, 1, 15, 8), utc_ms(2024, 4, 10, 23));
    CHECK(partitions(db.url()) == "checkins_p202401,checkins_p202402,checkins_p202403,checkins_p202404");
    // again, and overlapping: nothing new, no error
    store->ensure_checkin_partitions(utc_ms(2024, 1, 15, 8), utc_ms(2024, 4, 10, 23));
    store->ensure_checkin_partitions(utc_ms(2024, 3, 1), utc_ms(2024, 3, 1));
    CHECK(partitions(db.url()) == "checkins_p202401,checkins_p202402,checkins_p202403,checkins_p202404");
    // across a year end
    store->ensure_checkin_partitions(utc_ms(2024, 11, 30, 23, 59), utc_ms(2025, 1, 1));
    CHECK(partitions(db.url()) == "checkins_p202401,checkins_p202402,checkins_p202403,checkins_p202404,"
                                  "checkins_p202411,checkins_p202412,checkins_p202501");

    // the bounds are UTC months: the last millisecond of January and the first of February
    insert_checkin(db.url(), "Ua", 1, utc_ms(2024, 1, 31, 23, 59, 59, 999));
    insert_checkin(db.url(), "Ub", 1, utc_ms(2024, 2, 1));
    // 2024-03-31 23:30 UTC is already April in Tokyo, but March here
    insert_checkin(db.url(), "Uc", 1, utc_ms(2024, 3, 31, 23, 30));
    CHECK(query_value(db.url(), "SELECT string_agg(tableoid::regclass::text || ':' || user_id, ',' ORDER BY checked_in_at) "
                                "FROM checkins") == "checkins_p202401:Ua,checkins_p202402:Ub,checkins_p202403:Uc");
    // a month with no partition takes no rows
    CHECK_THROWS(insert_checkin(db.url(), "Ud", 1, utc_ms(2024, 6, 1)));
    CHECK(query_value(db.url(), "SELECT count(*) FROM checkins") == "3");
}

TEST_CASE("checkin purge: older partitions dropped whole, the edge month deleted row by row, the rest kept",
          "[pg][storage][checkin]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    storage::migrate(db.url());
    auto store = storage::make_pg_facility_store(db.url());
    store->ensure_checkin_partitions(utc_ms(2024, 1, 1), utc_ms(2024, 4, 30));
    REQUIRE(partitions(db.url()) == "checkins_p202401,checkins_p202402,checkins_p202403,checkins_p202404");

    const long long cutoff = utc_ms(2024, 3, 15, 12);
    const std::vector<long long> january{utc_ms(2024, 1, 1), utc_ms(2024, 1, 15, 12), utc_ms(2024, 1, 31, 23, 59, 59, 999)};
    const std::vector<long long> february{utc_ms(2024, 2, 1), utc_ms(2024, 2, 29, 12)};
    const std::vector<long long> march_old{utc_ms(2024, 3, 1), utc_ms(2024, 3, 10, 9), cutoff - 1};
    const std::vector<long long> march_kept{cutoff, utc_ms(2024, 3, 20), utc_ms(2024, 3, 31, 23, 59, 59)};
    const std::vector<long long> april{utc_ms(2024, 4, 1), utc_ms(2024, 4, 9, 18, 30)};
    int n = 0;
    for (const auto* month : {&january, &february, &march_old, &march_kept, &april}) {
        for (auto t : *month) {
            ++n;
            insert_checkin(db.url(), "U" + std::to_string(n), n % 3 + 1, t);
        }
    }
    REQUIRE(query_value(db.url(), "SELECT string_agg(p || ':' || c, ',' ORDER BY p) FROM (SELECT tableoid::regclass::text AS p, "
                                  "count(*) AS c FROM checkins GROUP BY 1) x") ==
            "checkins_p202401:3,checkins_p202402:2,checkins_p202403:6,checkins_p202404:2");

    SECTION("a cutoff in the middle of the third month") {
        auto r = store->purge_checkins(cutoff);
        CHECK(r.partitions_dropped == 2);
        CHECK(r.rows_in_dropped == 5);
        CHECK(r.rows_deleted == 3);
        CHECK(partitions(db.url()) == "checkins_p202403,checkins_p202404");
        CHECK(query_value(db.url(), "SELECT to_regclass('checkins_p202401') IS NULL AND to_regclass('checkins_p202402') IS NULL") ==
              "t");
        std::vector<long long> kept = march_kept;
        kept.insert(kept.end(), april.begin(), april.end());
        CHECK(stored_times(db.url()) == joined(kept));
        // the row exactly at the cutoff stays, the one a millisecond before is gone
        CHECK(query_value(db.url(), "SELECT min(checked_in_at) = '" + utc_text(cutoff) + "+00' FROM checkins") == "t");

        // the same again changes nothing
        auto again = store->purge_checkins(cutoff);
        CHECK(again.partitions_dropped == 0);
        CHECK(again.rows_in_dropped == 0);
        CHECK(again.rows_deleted == 0);
        CHECK(partitions(db.url()) == "checkins_p202403,checkins_p202404");
        CHECK(stored_times(db.url()) == joined(kept));
        // and check-ins can still be written to the kept months
        insert_checkin(db.url(), "Unew", 9, utc_ms(2024, 3, 16));
        CHECK(query_value(db.url(), "SELECT count(*) FROM checkins") == "6");
    }
    SECTION("a cutoff on a month's first instant drops the months before and deletes nothing") {
        auto r = store->purge_checkins(utc_ms(2024, 3, 1));
        CHECK(r.partitions_dropped == 2);
        CHECK(r.rows_in_dropped == 5);
        CHECK(r.rows_deleted == 0);
        CHECK(partitions(db.url()) == "checkins_p202403,checkins_p202404");
        CHECK(query_value(db.url(), "SELECT count(*) FROM checkins") == "8");
    }
    SECTION("a cutoff before everything changes nothing") {
        auto r = store->purge_checkins(utc_ms(2023, 12, 31, 23, 59, 59));
        CHECK(r.partitions_dropped == 0);
        CHECK(r.rows_in_dropped == 0);
        CHECK(r.rows_deleted == 0);
        CHECK(partitions(db.url()) == "checkins_p202401,checkins_p202402,checkins_p202403,checkins_p202404");
        CHECK(query_value(db.url(), "SELECT count(*) FROM checkins") == "13");
    }
    SECTION("a cutoff after everything drops every partition; they can be made again") {
        auto r = store->purge_checkins(utc_ms(2024, 5, 1));
        CHECK(r.partitions_dropped == 4);
        CHECK(r.rows_in_dropped == 13);
        CHECK(r.rows_deleted == 0);
        CHECK(partitions(db.url()).empty());
        CHECK(query_value(db.url(), "SELECT count(*) FROM checkins") == "0");
        store->ensure_checkin_partitions(utc_ms(2024, 4, 2), utc_ms(2024, 4, 2));
        insert_checkin(db.url(), "Uagain", 1, utc_ms(2024, 4, 2));
        CHECK(query_value(db.url(), "SELECT count(*) FROM checkins") == "1");
    }
    SECTION("empty old partitions are dropped too, with zero rows") {
        exec_sql(db.url(), "DELETE FROM checkins WHERE checked_in_at < '2024-03-01+00'");
        auto r = store->purge_checkins(cutoff);
        CHECK(r.partitions_dropped == 2);
        CHECK(r.rows_in_dropped == 0);
        CHECK(r.rows_deleted == 3);
        CHECK(partitions(db.url()) == "checkins_p202403,checkins_p202404");
    }
    // facilities are not touched by any of it
    CHECK(query_value(db.url(), "SELECT to_regclass('facilities') IS NOT NULL") == "t");
}

TEST_CASE("checkin purge: `sapo purge` applies SAPO_CHECKIN_RETENTION_DAYS, prints the counts and exits 0",
          "[pg][storage][checkin]") {
    if (!have_test_postgres()) return;
    TempDatabase db;
    storage::migrate(db.url());
    auto store = storage::make_pg_facility_store(db.url());

    const long long now = now_ms();
    // 40 days, unless the cutoff falls within 10 minutes of a month's start (then 41): the
    // partitions to drop must not depend on the seconds between here and the run
    int days = 40;
    auto near_month_start = [&](long long cutoff) {
        const long long start_of_next = month_end(cutoff);
        const long long start_of_this = month_end(cutoff - 32 * kDay);
        return start_of_next - cutoff < 10 * 60'000 || cutoff - start_of_this < 10 * 60'000;
    };
    if (near_month_start(now - days * kDay)) days = 41;
    const long long cutoff = now - days * kDay;

    const std::vector<long long> times{now - 200 * kDay, now - 120 * kDay, now - 80 * kDay, cutoff - 3600'000, cutoff - 60'000,
                                       cutoff + 3600'000, now - 10 * kDay, now - 60'000};
    store->ensure_checkin_partitions(times.front(), now);
    for (std::size_t i = 0; i < times.size(); ++i) insert_checkin(db.url(), "U" + std::to_string(i), 1, times[i]);

    // Who was told of a notification is as personal as the check-ins it came from: recipients of
    // a finished notification whose window ended before the cutoff go (2 of them); those of a
    // recent one, and of an old one still being sent, stay.
    exec_sql(db.url(), "INSERT INTO facilities (id, name, kind) VALUES (1, 'f', 'その他')");
    auto notification = [&](int id, const char* status, long long window_end_ms) {
        const std::string end = "to_timestamp(" + std::to_string(window_end_ms) + " / 1000.0)";
        exec_sql(db.url(), "INSERT INTO notifications (id, facility_id, window_date, window_from, window_to, window_start, "
                           "window_end, template_id, text_ja, text_en, status, requested_by) VALUES (" +
                               std::to_string(id) + ", 1, '2026-01-01', '12:00', '14:00', " + end + " - interval '2 hours', " +
                               end + ", 'tokyo_1', 'ja', 'en', '" + status + "', 'admin:a')");
        exec_sql(db.url(), "INSERT INTO notification_recipients (notification_id, user_id, language, batch_no) VALUES (" +
                               std::to_string(id) + ", 'Ua', 'ja', 0), (" + std::to_string(id) + ", 'Ub', 'en', 1)");
    };
    notification(1, "done", cutoff - 3600'000);
    notification(2, "sending", cutoff - 3600'000);
    notification(3, "done", cutoff + 3600'000);

    // what should go: partitions that end by the cutoff, then the older rows of the rest
    std::set<std::string> dropped;
    long long rows_in_dropped = 0, rows_deleted = 0;
    std::vector<long long> kept;
    for (auto t : times) {
        if (month_end(t) <= cutoff) {
            dropped.insert(partition_of(t));
            ++rows_in_dropped;
        } else if (t < cutoff) {
            ++rows_deleted;
        } else {
            kept.push_back(t);
        }
    }
    // partitions made ahead but empty and old would be dropped too
    const auto before = partitions(db.url());
    long long old_partitions = 0;
    {
        std::stringstream ss(before);
        for (std::string name; std::getline(ss, name, ',');) {
            const int y = std::stoi(name.substr(10, 4)), m = std::stoi(name.substr(14, 2));
            if (month_end(utc_ms(y, m, 1)) <= cutoff) ++old_partitions;
        }
    }
    REQUIRE(old_partitions >= 4);  // 200, 120 and 80 days ago, and at least one month between
    REQUIRE(rows_in_dropped >= 3);
    REQUIRE(kept.size() == 3);

    const std::map<std::string, std::string> env{{"DATABASE_URL", db.url()},
                                                 {"SAPO_CHECKIN_RETENTION_DAYS", std::to_string(days)}};
    auto r = run_sapo({"purge"}, env);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "check-ins older than " + std::to_string(days) + " days removed: " + std::to_string(old_partitions) +
                       " monthly partitions dropped (" + std::to_string(rows_in_dropped) + " rows), " +
                       std::to_string(rows_deleted) + " rows deleted; 2 notification recipients deleted; 0 unanswered FAQ questions deleted\n" +
                       "health records: 0 patients whose monitoring ended before " + health_cutoff() +
                       " deleted, 0 older prompts deleted\n");
    CHECK(query_value(db.url(), "SELECT string_agg(DISTINCT notification_id::text, ',' ORDER BY notification_id::text) "
                                "FROM notification_recipients") == "2,3");
    CHECK(r.err.find("check-in retention applied") != std::string::npos);
    CHECK(r.err.find("\"rows_deleted\":\"" + std::to_string(rows_deleted) + "\"") != std::string::npos);
    CHECK(stored_times(db.url()) == joined(kept));
    for (const auto& p : dropped) {
        INFO(p);
        CHECK(query_value(db.url(), "SELECT to_regclass('" + p + "') IS NULL") == "t");
    }
    // this month and the next two are made ahead
    for (int ahead = 0; ahead <= 2; ++ahead) {
        long long t = now;
        for (int i = 0; i < ahead; ++i) t = month_end(t);
        INFO("partition " << partition_of(t));
        CHECK(partitions(db.url()).find(partition_of(t)) != std::string::npos);
    }

    // a second run finds nothing more to do
    auto second = run_sapo({"purge"}, env);
    INFO("stdout: " << second.out << "\nstderr: " << second.err);
    CHECK(second.code == 0);
    CHECK(second.out == "check-ins older than " + std::to_string(days) +
                            " days removed: 0 monthly partitions dropped (0 rows), 0 rows deleted; 0 notification "
                            "recipients deleted; 0 unanswered FAQ questions deleted\n"
                            "health records: 0 patients whose monitoring ended before " + health_cutoff() +
                            " deleted, 0 older prompts deleted\n");
    CHECK(stored_times(db.url()) == joined(kept));

    SECTION("a retention outside 1..3650 days is a configuration error and removes nothing") {
        for (const char* bad : {"0", "3651", "thirty"}) {
            auto e = run_sapo({"purge"}, {{"DATABASE_URL", db.url()}, {"SAPO_CHECKIN_RETENTION_DAYS", bad}});
            INFO(bad << ": " << e.err);
            CHECK(e.code == 2);
            CHECK(e.err.find("SAPO_CHECKIN_RETENTION_DAYS") != std::string::npos);
            CHECK(e.out.empty());
        }
        CHECK(stored_times(db.url()) == joined(kept));
    }
    SECTION("the default retention is 31 days") {
        auto d = run_sapo({"purge"}, {{"DATABASE_URL", db.url()}});
        INFO(d.err);
        CHECK(d.code == 0);
        CHECK(d.out.rfind("check-ins older than 31 days removed: ", 0) == 0);
        // kept rows within 31 days: 10 days and a minute ago
        CHECK(stored_times(db.url()) == joined({kept[1], kept[2]}));
    }
}

TEST_CASE("checkin purge: `sapo purge` without a database says so", "[pg][storage][checkin]") {
    auto r = run_sapo({"purge"}, {});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("DATABASE_URL") != std::string::npos);
    CHECK(r.out.empty());
}
