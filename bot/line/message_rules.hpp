#pragma once
/// @file
/// @brief The request checks LINE makes on message objects and recipients, as pure functions,
/// so that the local-mode emulator and the test fake refuse exactly what LINE would refuse, with
/// LINE's status, wording and property paths (`messages[0].quickReply.items[2].action.label`).
///
/// Limits follow the Messaging API reference (see /work/shared/line-api/BRIEF.md section 2.6).
/// Text counts as LINE counts it: message text in UTF-16 code units, labels and template text
/// in (approximate) grapheme clusters, other strings in code points.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace sapo::line {

/// (message, property) pairs of LINE's error body, in the order LINE lists them.
using ErrorDetails = std::vector<std::pair<std::string, std::string>>;

/// An error answer as LINE gives it.
struct ApiError {
    int status = 400;
    std::string message;
    ErrorDetails details;  ///< (message, property)

    /// LINE's error JSON: {"message": ..., "details": [{"message", "property"}]}; "details" is
    /// left out when empty, as LINE does.
    std::string body() const;
};

// --- limits (LINE's, not ours) -----------------------------------------------------------------
inline constexpr std::size_t kMaxMessagesPerRequest = 5;
inline constexpr std::size_t kMaxTextUnits = 5000;          ///< text message, UTF-16 units
inline constexpr std::size_t kMaxQuickReplyItems = 13;
inline constexpr std::size_t kMaxActionLabel = 20;          ///< quick reply and templates
inline constexpr std::size_t kMaxImageCarouselLabel = 12;
inline constexpr std::size_t kMaxActionData = 300;          ///< postback/datetimepicker data, displayText, message text
inline constexpr std::size_t kMaxUri = 1000;
inline constexpr std::size_t kMaxAltText = 400;
inline constexpr std::size_t kMaxButtonsActions = 4;
inline constexpr std::size_t kMaxButtonsText = 160;
inline constexpr std::size_t kMaxButtonsTextWithHeader = 60;  ///< with a title or an image
inline constexpr std::size_t kMaxTemplateTitle = 40;
inline constexpr std::size_t kConfirmActions = 2;
inline constexpr std::size_t kMaxConfirmText = 240;
inline constexpr std::size_t kMaxCarouselColumns = 10;
inline constexpr std::size_t kMaxCarouselActions = 3;
inline constexpr std::size_t kMaxCarouselText = 120;
inline constexpr std::size_t kMaxFlexCarouselBubbles = 12;
inline constexpr std::size_t kMaxFlexBubbleBytes = 30 * 1024;
inline constexpr std::size_t kMaxFlexCarouselBytes = 50 * 1024;

// --- counting ----------------------------------------------------------------------------------

/// Length in UTF-16 code units, as LINE counts message text: a code point above U+FFFF (most
/// emoji, e.g. U+1F600) counts 2, Japanese kana and kanji count 1. Bytes that are not valid
/// UTF-8 count 1 each.
std::size_t count_utf16_units(std::string_view utf8);

/// Number of Unicode code points.
std::size_t count_code_points(std::string_view utf8);

/// Approximate number of grapheme clusters, as LINE counts labels and template text: combining
/// marks, variation selectors, emoji modifiers, tags and ZWJ sequences join the character before
/// them, and regional-indicator pairs (flags) count once. Not full UAX #29, but it agrees with it
/// on everything a bot is likely to put in a label.
std::size_t count_graphemes(std::string_view utf8);

// --- ids ---------------------------------------------------------------------------------------

/// "U" + 32 lower-case hex: a user id.
bool is_user_id(std::string_view id);

/// A user, group ("C...") or room ("R...") id: what push accepts as `to`.
bool is_line_id(std::string_view id);

// --- checks ------------------------------------------------------------------------------------

/// 400 "The request body has N error(s)" with `details`.
ApiError invalid_body(ErrorDetails details);

/// 400 "The property, '<name>', in the request body is invalid": LINE's answer for a recipient
/// or chat id it does not accept.
ApiError invalid_property(const std::string& name);

/// Appends the errors of a request's `messages` member (nullptr: the member is missing) to
/// `out`, with properties rooted at "messages". Returns the number of messages (0 if not an array).
std::size_t check_messages(const rapidjson::Value* messages, ErrorDetails& out);

/// Checks a request's `messages` array (1..5 message objects and everything inside them);
/// nullopt when LINE would accept it.
std::optional<ApiError> validate_messages(const rapidjson::Value& messages);

/// Checks a `to` that must be a user id (push to a user, one multicast recipient).
std::optional<ApiError> validate_to_user(const rapidjson::Value& to);
std::optional<ApiError> validate_to_user(std::string_view to);

/// loadingSeconds of the loading animation: 5..60 in steps of 5.
bool valid_loading_seconds(int seconds);

}  // namespace sapo::line
