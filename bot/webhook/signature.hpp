#pragma once
/// @file
/// @brief The x-line-signature check: HMAC-SHA256 of the raw request body keyed with the channel
/// secret, sent base64-encoded. This is the only thing that tells a LINE webhook from a forgery
/// (LINE publishes no source IPs), so it runs before anything looks at the body.

#include <string>
#include <string_view>

namespace sapo::webhook {

/// True when `header_value` is the standard base64 (44 characters, one '=' of padding, no
/// surrounding whitespace) of HMAC-SHA256(channel_secret, raw_body). `raw_body` must be the bytes
/// exactly as received: re-serialized JSON would not match. The digests are compared in constant
/// time. An empty `channel_secret` always fails, so a missing secret cannot let forgeries in.
/// Never throws; safe to call from many threads at once (each thread keeps its own HMAC context,
/// re-keyed only when the secret changes, so the steady state allocates nothing).
bool verify_signature(
    std::string_view channel_secret,
    std::string_view raw_body,
    std::string_view header_value
) noexcept;

/// The x-line-signature LINE would send for `body`: base64(HMAC-SHA256(secret, body)), 44
/// characters. For tests, benchmarks and the local emulator. Throws std::runtime_error if
/// OpenSSL fails.
std::string sign(std::string_view secret, std::string_view body);

}  // namespace sapo::webhook
