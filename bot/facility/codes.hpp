#pragma once
/// @file
/// @brief Check-in codes nobody can forge or guess: the facility id in Crockford base32 followed
/// by 8 characters of HMAC-SHA256(key, id) (about 38 bits; the first is always a digit), e.g.
/// "1Z" + "9K3M0QXA". Short enough for a small QR code
/// and for typing; case does not matter, and the letters I, L, O, U never occur (no 1/I or 0/O
/// mix-ups). Also the day's employee keyword of a facility, made the same way.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flows/tokyo_time.hpp"

namespace sapo::facility {

class CheckinCodes {
public:
    /// `key`: SAPO_CHECKIN_KEY or the one kept in the database. Changing it invalidates every
    /// printed poster.
    explicit CheckinCodes(std::string key) : key_(std::move(key)) {}

    std::string code_for(std::int64_t facility_id) const;
    /// The facility of a code (any case, surrounding spaces ignored), or nullopt when the code is
    /// malformed or its check part does not match: an edited or invented code.
    std::optional<std::int64_t> facility_of(std::string_view code) const;

    /// The facility's employee keyword for `day` (Tokyo), e.g. "1Z-7KQ2MX": given by the manager
    /// to employees, it changes every day.
    std::string staff_keyword(std::int64_t facility_id, flows::CivilDate day) const;
    /// The facility whose keyword this is (with or without its dash), for `day` or the day before
    /// (a keyword handed out late in the evening still works the next morning).
    std::optional<std::int64_t> facility_of_keyword(std::string_view keyword, flows::CivilDate day) const;

private:
    std::string mac(std::string_view message, std::size_t chars) const;
    std::string code_mac(std::int64_t facility_id) const;

    std::string key_;
};

/// Whether `text` has the shape of a check-in code (9–16 letters and digits of the code alphabet,
/// at least one digit): lets a bare code sent as a message start the check-in.
bool looks_like_code(std::string_view text);

}  // namespace sapo::facility
