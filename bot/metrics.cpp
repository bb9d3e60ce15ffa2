#include "bot/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sapo::metrics {
namespace {

std::string escape_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string render_labels(const Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        if (!out.empty()) out += ',';
        out += k;
        out += "=\"";
        out += escape_label(v);
        out += '"';
    }
    return out;
}

std::string with_extra(const std::string& labels, const std::string& extra) {
    if (labels.empty()) return "{" + extra + "}";
    return "{" + labels + "," + extra + "}";
}

std::string braces(const std::string& labels) { return labels.empty() ? "" : "{" + labels + "}"; }

std::string number(double v) {
    // Whole numbers print without a decimal point; the range check comes first because casting
    // a double outside int64 (or NaN) is undefined.
    if (std::isfinite(v) && std::fabs(v) < 9.0e15 && v == std::floor(v)) {
        return fmt::format("{}", static_cast<std::int64_t>(v));
    }
    return fmt::format("{}", v);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
    std::sort(bounds_.begin(), bounds_.end());
    buckets_.assign(bounds_.size() + 1, 0);
}

void Histogram::observe(double value) {
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    std::lock_guard lock(mutex_);
    buckets_[static_cast<std::size_t>(it - bounds_.begin())]++;
    sum_ += value;
    count_++;
}

Histogram::Snapshot Histogram::snapshot() const {
    std::lock_guard lock(mutex_);
    Snapshot s;
    std::uint64_t running = 0;
    for (auto b : buckets_) {
        running += b;
        s.cumulative.push_back(running);
    }
    s.sum = sum_;
    s.count = count_;
    return s;
}

Registry::Family& Registry::family(
    const std::string& name,
    const std::string& help,
    const std::string& type
) {
    auto& f = families_[name];
    if (f.type.empty()) {
        f.help = help;
        f.type = type;
    }
    return f;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, "counter");
    auto& slot = f.counters[render_labels(labels)];
    if (!slot) slot = std::make_unique<Counter>();
    return *slot;
}

Histogram& Registry::histogram(
    const std::string& name,
    const std::string& help,
    const std::vector<double>& bounds,
    const Labels& labels
) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, "histogram");
    auto& slot = f.histograms[render_labels(labels)];
    if (!slot) slot = std::make_unique<Histogram>(bounds);
    return *slot;
}

void Registry::gauge(const std::string& name, const std::string& help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, "gauge");
    f.gauge = std::move(read);
}

std::string Registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
        if (f.type == "counter") {
            for (const auto& [labels, c] : f.counters) {
                out += fmt::format("{}{} {}\n", name, braces(labels), c->value());
            }
        } else if (f.type == "gauge") {
            out += fmt::format("{} {}\n", name, number(f.gauge ? f.gauge() : 0.0));
        } else {
            for (const auto& [labels, h] : f.histograms) {
                auto s = h->snapshot();
                for (std::size_t i = 0; i < h->bounds().size(); ++i) {
                    out += fmt::format(
                        "{}_bucket{} {}\n",
                        name,
                        with_extra(labels, "le=\"" + number(h->bounds()[i]) + "\""),
                        s.cumulative[i]
                    );
                }
                out += fmt::format(
                    "{}_bucket{} {}\n", name, with_extra(labels, "le=\"+Inf\""), s.count
                );
                out += fmt::format("{}_sum{} {}\n", name, braces(labels), s.sum);
                out += fmt::format("{}_count{} {}\n", name, braces(labels), s.count);
            }
        }
    }
    return out;
}

Registry& global() {
    static Registry registry;
    return registry;
}

const std::vector<double>& latency_buckets() {
    static const std::vector<double> b{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    return b;
}

}  // namespace sapo::metrics
