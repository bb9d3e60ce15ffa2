#pragma once
/// @file
/// @brief A small Prometheus registry: labelled counters, gauges and histograms, text format.
///
/// All operations are thread-safe. Counter and histogram handles stay valid for the life of the
/// registry, so hot paths look a series up once and keep the reference.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sapo::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }

    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);
    /// Cumulative bucket counts (one per bound, then +Inf), the sum and the count.
    struct Snapshot {
        std::vector<std::uint64_t> cumulative;
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;

    const std::vector<double>& bounds() const { return bounds_; }

private:
    std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::vector<std::uint64_t> buckets_;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

class Registry {
public:
    /// Returns the counter for (name, labels), creating it on first use.
    Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
    Histogram& histogram(
        const std::string& name,
        const std::string& help,
        const std::vector<double>& bounds,
        const Labels& labels = {}
    );
    /// A gauge read when /metrics is scraped (queue depth, pool size...).
    void gauge(const std::string& name, const std::string& help, std::function<double()> read);

    /// Prometheus text exposition format 0.0.4.
    std::string render() const;

private:
    struct Family {
        std::string help;
        std::string type;
        std::map<std::string, std::unique_ptr<Counter>> counters;      // key: rendered labels
        std::map<std::string, std::unique_ptr<Histogram>> histograms;  // key: rendered labels
        std::function<double()> gauge;
    };

    Family& family(const std::string& name, const std::string& help, const std::string& type);

    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
};

/// The process-wide registry that /metrics renders.
Registry& global();

/// Latency buckets in seconds, 0.5 ms to 10 s.
const std::vector<double>& latency_buckets();

}  // namespace sapo::metrics
