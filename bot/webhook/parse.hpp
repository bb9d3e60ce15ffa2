#pragma once
/// @file
/// @brief Turns a LINE webhook body into InboundEvents. Lenient about content (LINE adds event
/// types, message types and fields without notice, and old bodies lack webhookEventId), strict
/// only about the envelope: a body that is not `{"events": [ {...}, ... ]}` is refused.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "flows/event.hpp"

namespace sapo::webhook {

/// Deepest nesting of arrays/objects accepted in a body. LINE's bodies are about 6 deep; the
/// limit bounds the recursion of the parser and of the re-serialization of `raw`.
inline constexpr std::size_t kMaxJsonDepth = 64;

struct Callback {
    std::string destination;  ///< the bot's user ID; empty when absent (old bodies)
    std::vector<flows::InboundEvent> events;  ///< in body order; empty for LINE's "Verify"
};

struct ParseResult {
    bool ok = false;
    std::string error;  ///< when !ok: one sentence for the 400 body, e.g. "malformed JSON at ..."
    Callback callback;  ///< when ok
};

/// Parses a webhook body (after the signature check). Refused (ok=false) only when the body is
/// not valid UTF-8 JSON ("malformed JSON at offset N: ..."), nests deeper than kMaxJsonDepth, or
/// is not an object whose `events` is an array of objects ("not a LINE webhook callback: ...").
/// Otherwise every event is kept, whatever its type; fields that are missing or of the wrong type
/// are left at their defaults (mode "active", timestamp 0, strings empty). `raw` is the event
/// re-serialized compactly. `event_id` is webhookEventId when it is a non-empty string, else
/// "derived:" + hex SHA-256 of destination + "\n" + raw, so the same event in the same callback
/// always gets the same id (byte-identical events within one body get the same id too).
/// Never throws except std::bad_alloc.
ParseResult parse_callback(std::string_view body);

}  // namespace sapo::webhook
