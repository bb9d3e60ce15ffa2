#include "bot/metrics.hpp"

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using sapo::metrics::Labels;
using sapo::metrics::Registry;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

/// The value text of the sample line whose series (name plus labels) is exactly `series`;
/// "<missing>" when there is no such line, "<duplicate>" when there are several.
std::string sample(const std::string& text, const std::string& series) {
    std::string found = "<missing>";
    for (const auto& line : lines_of(text)) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
            line[series.size()] == ' ') {
            if (found != "<missing>") return "<duplicate>";
            found = line.substr(series.size() + 1);
        }
    }
    return found;
}

bool has_line(const std::string& text, const std::string& wanted) {
    for (const auto& line : lines_of(text)) {
        if (line == wanted) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("metrics: labelled counters render in the Prometheus text format", "[unit][metrics]") {
    Registry r;
    auto& ok = r.counter(
        "sapo_webhook_requests_total", "Webhook requests by status.", {{"status", "200"}}
    );
    auto& bad = r.counter(
        "sapo_webhook_requests_total", "Webhook requests by status.", {{"status", "400"}}
    );
    ok.inc();
    ok.inc(2);
    bad.inc();

    auto text = r.render();
    CAPTURE(text);
    CHECK(has_line(text, "# HELP sapo_webhook_requests_total Webhook requests by status."));
    CHECK(has_line(text, "# TYPE sapo_webhook_requests_total counter"));
    CHECK(sample(text, R"(sapo_webhook_requests_total{status="200"})") == "3");
    CHECK(sample(text, R"(sapo_webhook_requests_total{status="400"})") == "1");
    // One HELP/TYPE pair per family, not per series.
    CHECK(text.find("# TYPE sapo_webhook_requests_total") ==
          text.rfind("# TYPE sapo_webhook_requests_total"));
    // The exposition ends every line with a newline.
    REQUIRE_FALSE(text.empty());
    CHECK(text.back() == '\n');
}

TEST_CASE("metrics: several labels and an unlabelled counter", "[unit][metrics]") {
    Registry r;
    r.counter("sapo_line_calls_total", "LINE calls.", {{"endpoint", "push"}, {"status", "200"}}).inc(5);
    r.counter("sapo_started_total", "Starts.").inc();
    auto text = r.render();
    CAPTURE(text);
    CHECK(sample(text, R"(sapo_line_calls_total{endpoint="push",status="200"})") == "5");
    CHECK(sample(text, "sapo_started_total") == "1");
    CHECK(has_line(text, "# TYPE sapo_started_total counter"));
}

TEST_CASE("metrics: the same name and labels return the same counter", "[unit][metrics]") {
    Registry r;
    auto& a = r.counter("c_total", "help", {{"k", "v"}});
    auto& b = r.counter("c_total", "help", {{"k", "v"}});
    auto& other = r.counter("c_total", "help", {{"k", "w"}});
    CHECK(&a == &b);
    CHECK(&a != &other);
    a.inc();
    b.inc();
    CHECK(a.value() == 2);
    CHECK(other.value() == 0);
    CHECK(sample(r.render(), R"(c_total{k="v"})") == "2");
    CHECK(sample(r.render(), R"(c_total{k="w"})") == "0");
}

TEST_CASE("metrics: a counter reference stays valid as more series are added", "[unit][metrics]") {
    Registry r;
    auto& first = r.counter("c_total", "help", {{"n", "0"}});
    for (int i = 1; i < 200; ++i) r.counter("c_total", "help", {{"n", std::to_string(i)}}).inc();
    first.inc(7);  // ASan would catch a dangling reference here
    CHECK(sample(r.render(), R"(c_total{n="0"})") == "7");
    CHECK(&first == &r.counter("c_total", "help", {{"n", "0"}}));
}

TEST_CASE("metrics: label values are escaped", "[unit][metrics]") {
    Registry r;
    r.counter("esc_total", "help", {{"v", "a\"b\\c\nd"}}).inc();
    auto text = r.render();
    CAPTURE(text);
    // Prometheus: backslash -> \\, double quote -> \", line feed -> \n.
    CHECK(sample(text, R"(esc_total{v="a\"b\\c\nd"})") == "1");
    // The raw newline must not split the sample line.
    for (const auto& line : lines_of(text)) {
        if (line.rfind("esc_total", 0) == 0) CHECK(line.back() == '1');
    }
}

TEST_CASE("metrics: histogram buckets are cumulative, +Inf is the count, _sum is the sum", "[unit][metrics]") {
    Registry r;
    // Values chosen to be exact in binary floating point, so the sum is exact.
    auto& h = r.histogram("lat_seconds", "Latency.", {0.25, 0.5, 1});
    h.observe(0.125);
    h.observe(0.25);  // on a bound: counts in that bucket (le is "less or equal")
    h.observe(0.375);
    h.observe(0.75);
    h.observe(4);

    auto s = h.snapshot();
    REQUIRE(s.cumulative.size() == 4);
    CHECK(s.cumulative[0] == 2);
    CHECK(s.cumulative[1] == 3);
    CHECK(s.cumulative[2] == 4);
    CHECK(s.cumulative[3] == 5);
    CHECK(s.count == 5);
    CHECK(s.sum == 5.5);

    auto text = r.render();
    CAPTURE(text);
    CHECK(has_line(text, "# HELP lat_seconds Latency."));
    CHECK(has_line(text, "# TYPE lat_seconds histogram"));
    CHECK(sample(text, R"(lat_seconds_bucket{le="0.25"})") == "2");
    CHECK(sample(text, R"(lat_seconds_bucket{le="0.5"})") == "3");
    CHECK(sample(text, R"(lat_seconds_bucket{le="1"})") == "4");
    CHECK(sample(text, R"(lat_seconds_bucket{le="+Inf"})") == "5");
    CHECK(sample(text, "lat_seconds_count") == "5");
    CHECK(std::stod(sample(text, "lat_seconds_sum")) == 5.5);
}

TEST_CASE("metrics: labelled histogram puts le after the labels", "[unit][metrics]") {
    Registry r;
    auto& h = r.histogram("req_seconds", "help", {0.5, 2}, {{"route", "webhook"}});
    h.observe(1);
    h.observe(3);
    auto text = r.render();
    CAPTURE(text);
    CHECK(sample(text, R"(req_seconds_bucket{route="webhook",le="0.5"})") == "0");
    CHECK(sample(text, R"(req_seconds_bucket{route="webhook",le="2"})") == "1");
    CHECK(sample(text, R"(req_seconds_bucket{route="webhook",le="+Inf"})") == "2");
    CHECK(sample(text, R"(req_seconds_count{route="webhook"})") == "2");
    CHECK(std::stod(sample(text, R"(req_seconds_sum{route="webhook"})")) == 4.0);
}

TEST_CASE("metrics: unsorted histogram bounds are sorted", "[unit][metrics]") {
    Registry r;
    auto& h = r.histogram("h", "help", {1, 0.25, 0.5});
    REQUIRE(h.bounds() == std::vector<double>{0.25, 0.5, 1});
    h.observe(0.3);
    auto s = h.snapshot();
    CHECK(s.cumulative == std::vector<std::uint64_t>{0, 1, 1, 1});
}

TEST_CASE("metrics: an empty histogram renders zeros", "[unit][metrics]") {
    Registry r;
    r.histogram("empty_seconds", "help", sapo::metrics::latency_buckets());
    auto text = r.render();
    CAPTURE(text);
    CHECK(sample(text, R"(empty_seconds_bucket{le="+Inf"})") == "0");
    CHECK(sample(text, "empty_seconds_count") == "0");
    CHECK(std::stod(sample(text, "empty_seconds_sum")) == 0.0);
    CHECK(sample(text, R"(empty_seconds_bucket{le="0.0005"})") == "0");
    CHECK(sample(text, R"(empty_seconds_bucket{le="10"})") == "0");
}

TEST_CASE("metrics: the latency buckets are ascending", "[unit][metrics]") {
    const auto& b = sapo::metrics::latency_buckets();
    REQUIRE(b.size() >= 2);
    for (std::size_t i = 1; i < b.size(); ++i) CHECK(b[i - 1] < b[i]);
    CHECK(b.front() == 0.0005);
    CHECK(b.back() == 10);
}

TEST_CASE("metrics: a gauge reads its callback at render time", "[unit][metrics]") {
    Registry r;
    double depth = 3;
    int reads = 0;
    r.gauge("queue_depth", "Events waiting.", [&] {
        ++reads;
        return depth;
    });
    CHECK(reads == 0);  // not read when registered

    auto first = r.render();
    CHECK(has_line(first, "# TYPE queue_depth gauge"));
    CHECK(has_line(first, "# HELP queue_depth Events waiting."));
    CHECK(sample(first, "queue_depth") == "3");
    CHECK(reads == 1);

    depth = 42;
    CHECK(sample(r.render(), "queue_depth") == "42");
    depth = 0.5;
    CHECK(std::stod(sample(r.render(), "queue_depth")) == 0.5);
    CHECK(reads == 3);
}

TEST_CASE("metrics: a gauge value beyond the 64-bit integers still renders as a number", "[unit][metrics]") {
    // Note: metrics.cpp's number() casts the double to int64 before checking that it fits,
    // which is undefined behaviour for 1e20 (and NaN/Inf). GCC's -fsanitize=undefined does not
    // include float-cast-overflow; with -fsanitize=float-cast-overflow this test aborts.
    Registry r;
    r.gauge("big", "help", [] { return 1e20; });
    auto value = sample(r.render(), "big");
    CAPTURE(value);
    CHECK(std::stod(value) == 1e20);
}

TEST_CASE("metrics: separate registries do not share series", "[unit][metrics]") {
    Registry a;
    Registry b;
    a.counter("x_total", "help").inc();
    CHECK(sample(a.render(), "x_total") == "1");
    CHECK(sample(b.render(), "x_total") == "<missing>");
    CHECK(b.render().empty());
}
