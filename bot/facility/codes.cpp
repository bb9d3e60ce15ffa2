#include "bot/facility/codes.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace sapo::facility {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kMacChars = 8;  ///< 40 bits: guessing one code takes 10^12 tries
constexpr std::size_t kKeywordMacChars = 6;

/// The value of a code character (either case), or -1.
int digit_value(char c) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    auto pos = kAlphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

std::string base32(std::int64_t n) {
    if (n < 0) throw std::invalid_argument("facility ids are positive");
    std::string out;
    do {
        out.insert(out.begin(), kAlphabet[static_cast<std::size_t>(n % 32)]);
        n /= 32;
    } while (n > 0);
    return out;
}

std::optional<std::int64_t> from_base32(std::string_view s) {
    if (s.empty() || s.size() > 12) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
        int v = digit_value(c);
        if (v < 0) return std::nullopt;
        n = n * 32 + v;
    }
    return n;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool same(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

}  // namespace

std::string CheckinCodes::mac(std::string_view message, std::size_t chars) const {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
              message.size(), digest, &len)) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    // 5 bits per character from the front of the digest
    std::string out;
    unsigned bits = 0, buffer = 0;
    for (unsigned i = 0; i < len && out.size() < chars; ++i) {
        buffer = (buffer << 8) | digest[i];
        bits += 8;
        while (bits >= 5 && out.size() < chars) {
            out += kAlphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    return out;
}

/// The check part of a code: its first character is always a digit, so that every code has one
/// (a bare code is recognised by its mix of letters and digits), at the cost of 1.7 of 40 bits.
std::string CheckinCodes::code_mac(std::int64_t facility_id) const {
    auto m = mac("facility:" + std::to_string(facility_id), kMacChars);
    m[0] = kAlphabet[static_cast<std::size_t>(digit_value(m[0]) % 10)];
    return m;
}

std::string CheckinCodes::code_for(std::int64_t facility_id) const {
    return base32(facility_id) + code_mac(facility_id);
}

std::optional<std::int64_t> CheckinCodes::facility_of(std::string_view code) const {
    code = trimmed(code);
    if (code.size() <= kMacChars || code.size() > kMacChars + 12) return std::nullopt;
    auto id = from_base32(code.substr(0, code.size() - kMacChars));
    if (!id || *id <= 0) return std::nullopt;
    auto given = upper(code.substr(code.size() - kMacChars));
    for (char c : given) {
        if (digit_value(c) < 0) return std::nullopt;
    }
    // a leading zero would give a second spelling of the same id
    if (code.front() == '0') return std::nullopt;
    if (!same(given, code_mac(*id))) return std::nullopt;
    return id;
}

std::string CheckinCodes::staff_keyword(std::int64_t facility_id, flows::CivilDate day) const {
    return base32(facility_id) + "-" +
           mac("staff:" + std::to_string(facility_id) + ":" + flows::iso_date(day), kKeywordMacChars);
}

std::optional<std::int64_t> CheckinCodes::facility_of_keyword(std::string_view keyword, flows::CivilDate day) const {
    // the dash is optional: typed text reaches here with punctuation removed
    std::string compact;
    for (char c : trimmed(keyword)) {
        if (c != '-') compact += c;
    }
    if (compact.size() <= kKeywordMacChars || compact.front() == '0') return std::nullopt;
    auto id = from_base32(std::string_view(compact).substr(0, compact.size() - kKeywordMacChars));
    if (!id || *id <= 0) return std::nullopt;
    auto given = upper(std::string_view(compact).substr(compact.size() - kKeywordMacChars));
    auto yesterday = flows::civil_from_days(flows::days_from_civil(day) - 1);
    for (auto d : {day, yesterday}) {
        if (same(given, mac("staff:" + std::to_string(*id) + ":" + flows::iso_date(d), kKeywordMacChars))) return id;
    }
    return std::nullopt;
}

bool looks_like_code(std::string_view text) {
    text = trimmed(text);
    if (text.size() < kMacChars + 1 || text.size() > kMacChars + 8) return false;
    bool digit = false;
    for (char c : text) {
        if (digit_value(c) < 0) return false;
        digit = digit || (c >= '0' && c <= '9');
    }
    return digit;
}

}  // namespace sapo::facility
