#pragma once
/// @file
/// @brief Turning what a flow says into LINE message objects: placeholders filled, quick replies
/// cut to LINE's limits, and at most 5 messages per reply (texts merged, the rest carried over).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "flows/model.hpp"

namespace sapo::flows {

struct QuickReply {
    std::string label;
    std::string postback_data;  ///< postback action (displayText = label) when set
    std::string text;           ///< message action otherwise (the label is sent as text)
};

/// One message before it becomes JSON: either a plain text (mergeable) or finished JSON.
struct OutMessage {
    std::string text;
    std::vector<QuickReply> quick_replies;
    std::string json;  ///< set for templates: sent as it is

    bool is_text() const { return json.empty(); }
};

/// Name -> value for placeholders ({{age}}, {{profile.language}}, {{call_center_phone}}).
using PlaceholderLookup = std::function<Value(std::string_view name)>;

/// Replaces every {{name}} with display(lookup(name)); unknown names become "".
std::string fill_placeholders(std::string_view text, const PlaceholderLookup& lookup);

/// A template's message for `language` (else Japanese) with placeholders filled from `params`
/// (themselves filled from `lookup`) and then `lookup`, JSON-escaped.
std::string render_template(
    const Template& t,
    std::string_view language,
    const std::map<std::string, std::string, std::less<>>& params,
    const PlaceholderLookup& lookup
);

/// The LINE JSON of one message; quick replies beyond 13 are dropped, labels cut to 20
/// characters, text cut to 5,000 UTF-16 units.
std::string to_line_json(const OutMessage& m);

/// Groups messages into replies of at most 5: neighbouring texts are merged (the quick replies
/// of the last one kept) while the merged text stays within LINE's limit; what still does not
/// fit goes into further batches, which the service pushes after the reply.
std::vector<std::vector<std::string>> fit_to_replies(const std::vector<OutMessage>& messages);

}  // namespace sapo::flows
