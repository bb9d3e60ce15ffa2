#pragma once
/// @file
/// @brief The data a quick-reply button carries back (LINE allows 300 characters): which flow,
/// version and node asked, and the value chosen. A button from an old message can then be
/// recognised as old instead of being taken for an answer to a different question.

#include <optional>
#include <string>
#include <string_view>

namespace sapo::flows {

struct PostbackData {
    std::string flow;
    int version = 0;
    std::string node;
    std::string value;
    /// "" for an answer, "confirm" for the yes/no of a confirmation, "skip" for the skip button.
    std::string kind;
    /// Set instead of the above by buttons that simply open a flow (e.g. a rich menu: "m=checkin").
    std::string open_flow;
};

/// "f=welcome&v=3&n=menu&c=checkin" (values percent-encoded).
std::string encode_postback(const PostbackData& d);
/// nullopt when the data is not sapo's (another bot's rich menu, garbage).
std::optional<PostbackData> decode_postback(std::string_view data);

}  // namespace sapo::flows
