#include "bot/webhook/signature.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace sapo::webhook {
namespace {

constexpr std::size_t kDigestSize = 32;
constexpr std::size_t kEncodedSize = 44;  // 4 * ceil(32 / 3), with one '=' of padding

using Digest = std::array<unsigned char, kDigestSize>;

const unsigned char* bytes(std::string_view s) noexcept {
    return reinterpret_cast<const unsigned char*>(s.data());
}

/// Keeps one keyed HMAC-SHA256 context per thread. Fetching the algorithm and hashing the key
/// into the inner/outer pads costs more than the MAC of a typical webhook body, so both are done
/// only when the secret changes; afterwards a call just resets the context (no allocation).
class HmacSha256 {
public:
    HmacSha256() = default;
    HmacSha256(const HmacSha256&) = delete;
    HmacSha256& operator=(const HmacSha256&) = delete;

    ~HmacSha256() {
        forget_key();
        EVP_MAC_CTX_free(ctx_);
        EVP_MAC_free(mac_);
    }

    /// False on any OpenSSL failure (or allocation failure when re-keying); `out` is then
    /// unspecified. `key` must not be empty: OpenSSL would read a null key as "keep the old one".
    bool compute(std::string_view key, std::string_view message, Digest& out) noexcept {
        if (!init(key)) return false;
        if (EVP_MAC_update(ctx_, bytes(message), message.size()) != 1) return false;
        std::size_t written = 0;
        if (EVP_MAC_final(ctx_, out.data(), &written, out.size()) != 1) return false;
        return written == out.size();
    }

private:
    bool init(std::string_view key) noexcept {
        if (ctx_ == nullptr) {
            if (mac_ == nullptr) mac_ = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
            if (mac_ == nullptr) return false;
            ctx_ = EVP_MAC_CTX_new(mac_);
            if (ctx_ == nullptr) return false;
        }
        if (keyed_ && key == key_) {
            // A null key re-initialises with the key already set (OpenSSL 3 HMAC provider).
            return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;
        }
        forget_key();
        char digest_name[] = OSSL_DIGEST_NAME_SHA2_256;
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
            OSSL_PARAM_construct_end(),
        };
        if (EVP_MAC_init(ctx_, bytes(key), key.size(), params) != 1) return false;
        try {
            key_.assign(key);
        } catch (const std::bad_alloc&) {
            return false;  // keyed, but we cannot remember with what: re-key next time
        }
        keyed_ = true;
        return true;
    }

    void forget_key() noexcept {
        if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
        key_.clear();
        keyed_ = false;
    }

    EVP_MAC* mac_ = nullptr;
    EVP_MAC_CTX* ctx_ = nullptr;
    std::string key_;  // the secret the context is keyed with, to detect a change
    bool keyed_ = false;
};

bool hmac_sha256(std::string_view key, std::string_view message, Digest& out) noexcept {
    thread_local HmacSha256 hmac;
    return hmac.compute(key, message, out);
}

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> kDecodeTable = [] {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}();

/// Strict decoder for exactly one 32-byte value: 43 alphabet characters then '='. Anything else
/// (whitespace, URL-safe alphabet, missing or extra padding, other lengths, non-zero unused bits)
/// is refused: LINE sends canonical base64, so leniency here would only widen what a forger may
/// try. Runs in time that depends on the header only, which is public.
bool decode_digest(std::string_view text, Digest& out) noexcept {
    if (text.size() != kEncodedSize || text[kEncodedSize - 1] != '=') return false;
    std::array<std::uint32_t, kEncodedSize - 1> sextets{};
    for (std::size_t i = 0; i < sextets.size(); ++i) {
        const std::int8_t v = kDecodeTable[static_cast<unsigned char>(text[i])];
        if (v < 0) return false;
        sextets[i] = static_cast<std::uint32_t>(v);
    }
    std::size_t o = 0;
    std::size_t i = 0;
    for (; i + 4 <= sextets.size(); i += 4) {
        const std::uint32_t n =
            (sextets[i] << 18) | (sextets[i + 1] << 12) | (sextets[i + 2] << 6) | sextets[i + 3];
        out[o++] = static_cast<unsigned char>(n >> 16);
        out[o++] = static_cast<unsigned char>(n >> 8);
        out[o++] = static_cast<unsigned char>(n);
    }
    // The last three characters carry 16 bits; the two left over must be zero.
    const std::uint32_t n = (sextets[i] << 12) | (sextets[i + 1] << 6) | sextets[i + 2];
    if ((n & 0x3u) != 0) return false;
    out[o++] = static_cast<unsigned char>(n >> 10);
    out[o++] = static_cast<unsigned char>(n >> 2);
    return o == out.size();
}

}  // namespace

bool verify_signature(
    std::string_view channel_secret,
    std::string_view raw_body,
    std::string_view header_value
) noexcept {
    if (channel_secret.empty()) return false;
    Digest claimed{};
    // Decoding first means junk headers cost no HMAC; what that timing reveals is only whether
    // the (attacker's own) header is well-formed.
    if (!decode_digest(header_value, claimed)) return false;
    Digest expected{};
    if (!hmac_sha256(channel_secret, raw_body, expected)) return false;
    return CRYPTO_memcmp(expected.data(), claimed.data(), expected.size()) == 0;
}

std::string sign(std::string_view secret, std::string_view body) {
    if (secret.empty()) throw std::invalid_argument("sign: the channel secret is empty");
    Digest digest{};
    if (!hmac_sha256(secret, body, digest)) throw std::runtime_error("sign: HMAC-SHA256 failed");
    std::array<unsigned char, kEncodedSize + 1> encoded{};  // EVP_EncodeBlock adds a NUL
    const int n = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest.size()));
    if (n != static_cast<int>(kEncodedSize)) throw std::runtime_error("sign: base64 failed");
    return std::string(reinterpret_cast<const char*>(encoded.data()), kEncodedSize);
}

}  // namespace sapo::webhook
