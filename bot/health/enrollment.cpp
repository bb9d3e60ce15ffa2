#include "bot/health/enrollment.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "flows/normalize.hpp"

namespace sapo::health {

std::string make_enrollment_code() {
    // 2^32 - (2^32 mod 10^7) is the largest multiple of 10^7 below 2^32: draws above it are
    // thrown away so every code is equally likely
    constexpr std::uint64_t kRange = 10'000'000;
    constexpr std::uint64_t kLimit = (std::uint64_t{1} << 32) - ((std::uint64_t{1} << 32) % kRange);
    for (;;) {
        unsigned char bytes[4];
        if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for an enrollment code");
        const std::uint64_t v = (std::uint64_t{bytes[0]} << 24) | (std::uint64_t{bytes[1]} << 16) |
                                (std::uint64_t{bytes[2]} << 8) | std::uint64_t{bytes[3]};
        if (v >= kLimit) continue;
        std::string code = std::to_string(v % kRange);
        return std::string(kCodeDigits - code.size(), '0') + code;
    }
}

std::optional<std::string> read_enrollment_code(std::string_view typed) {
    const std::string n = flows::normalize_compact(typed);
    std::string digits;
    for (const char c : n) {
        if (c >= '0' && c <= '9') digits += c;
        else if (c != '-') return std::nullopt;
    }
    if (digits.size() != kCodeDigits) return std::nullopt;
    return digits;
}

std::optional<std::int64_t> locked_until(const std::vector<std::int64_t>& failures_ms, std::int64_t now_ms) {
    std::optional<std::int64_t> until;
    for (std::size_t i = kMaxFailures - 1; i < failures_ms.size(); ++i) {
        const std::int64_t fifth = failures_ms[i];
        if (fifth - failures_ms[i + 1 - kMaxFailures] > kFailureWindowMs) continue;
        if (fifth + kLockoutMs > now_ms) until = std::max(until.value_or(0), fifth + kLockoutMs);
    }
    return until;
}

}  // namespace sapo::health
