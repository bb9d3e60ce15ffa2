#pragma once
/// @file
/// @brief Enrollment codes (HER-SYS's スマホ入力ID: 7 random digits handed to the patient on
/// paper, single use, valid for 14 days) and the brute-force lockout: 5 wrong codes within 10
/// minutes lock that LINE user out of enrolment for 30 minutes. Pure, table-tested.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sapo::health {

inline constexpr int kCodeDigits = 7;
inline constexpr int kMaxFailures = 5;
inline constexpr std::int64_t kFailureWindowMs = 10 * 60 * 1000;
inline constexpr std::int64_t kLockoutMs = 30 * 60 * 1000;
/// How far back failures matter: a lock started by the oldest of 5 failures in the window.
inline constexpr std::int64_t kLookbackMs = kFailureWindowMs + kLockoutMs;

/// A fresh code: 7 digits from the CSPRNG, without modulo bias.
std::string make_enrollment_code();

/// The code as a patient types it ("１２３ ４５６７", "123-4567") -> "1234567"; nullopt when
/// it isn't 7 digits.
std::optional<std::string> read_enrollment_code(std::string_view typed);

/// When the user may try again, if `failures_ms` (their wrong codes, oldest first) lock them out
/// at `now_ms`: any 5 failures within 10 minutes lock for 30 minutes from the 5th.
std::optional<std::int64_t> locked_until(const std::vector<std::int64_t>& failures_ms, std::int64_t now_ms);

}  // namespace sapo::health
