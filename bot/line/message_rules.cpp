#include "bot/line/json_fields.hpp"
#include "bot/line/message_rules.hpp"

#include <algorithm>
#include <cstdint>
#include <set>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sapo::line {
namespace {

using Json = rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Counter = std::size_t (*)(std::string_view);

/// Decodes the code point at `i` and advances `i`; a byte that does not start a valid sequence
/// decodes as itself, so that counting never stalls on bad input.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 1;
    std::uint32_t cp = b0;
    if (b0 >= 0xF0 && b0 < 0xF8) {
        len = 4;
        cp = b0 & 0x07u;
    } else if (b0 >= 0xE0) {
        len = 3;
        cp = b0 & 0x0Fu;
    } else if (b0 >= 0xC0) {
        len = 2;
        cp = b0 & 0x1Fu;
    }
    if (len == 1 || i + len > s.size()) {
        ++i;
        return b0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) {
            ++i;
            return b0;
        }
        cp = (cp << 6) | (b & 0x3Fu);
    }
    i += len;
    return cp;
}

bool in(std::uint32_t cp, std::uint32_t lo, std::uint32_t hi) { return cp >= lo && cp <= hi; }

/// Code points that never start a grapheme cluster of their own.
bool extends(std::uint32_t cp) {
    return in(cp, 0x0300, 0x036F) ||    // combining diacritics
           in(cp, 0x1AB0, 0x1AFF) || in(cp, 0x1DC0, 0x1DFF) ||
           in(cp, 0x20D0, 0x20FF) ||    // combining marks for symbols (keycap U+20E3)
           in(cp, 0x3099, 0x309A) ||    // combining (han)dakuten
           in(cp, 0xFE00, 0xFE0F) ||    // variation selectors (emoji presentation)
           in(cp, 0xFE20, 0xFE2F) ||
           in(cp, 0x1F3FB, 0x1F3FF) ||  // emoji skin-tone modifiers
           in(cp, 0xE0020, 0xE007F) ||  // tags (subdivision flags)
           in(cp, 0xE0100, 0xE01EF) ||  // variation selectors supplement
           in(cp, 0x1160, 0x11FF) ||    // Hangul jamo vowels and finals
           cp == 0x200D;                // zero-width joiner
}

bool regional_indicator(std::uint32_t cp) { return in(cp, 0x1F1E6, 0x1F1FF); }

using json::idx;

using json::member;

using json::sv;

bool is_string_member(const Json& obj, const char* name) {
    const Json* v = member(obj, name);
    return v != nullptr && v->IsString() && v->GetStringLength() > 0;
}

std::string length_message(std::size_t min, std::size_t max) {
    return "Length must be between " + std::to_string(min) + " and " + std::to_string(max);
}

std::string size_message(std::size_t min, std::size_t max) {
    if (min == max) return "Size must be " + std::to_string(min);
    return "Size must be between " + std::to_string(min) + " and " + std::to_string(max);
}

/// A string member of `obj` whose length (as `count` measures it) must be in [required, max].
void check_length(
    const Json& obj,
    const char* name,
    std::size_t max,
    bool required,
    const std::string& prefix,
    ErrorDetails& out,
    Counter count = count_code_points
) {
    std::string property = prefix + "." + name;
    const Json* v = member(obj, name);
    if (v == nullptr) {
        if (required) out.emplace_back("must be specified", std::move(property));
        return;
    }
    if (!v->IsString()) {
        out.emplace_back("must be a string", std::move(property));
        return;
    }
    const std::size_t n = count(sv(*v));
    const std::size_t min = required ? 1 : 0;
    if (n < min || n > max) out.emplace_back(length_message(min, max), std::move(property));
}

/// An array member with [min, max] elements; returns it (nullptr when missing or not an array).
const Json* check_array(
    const Json& obj,
    const char* name,
    std::size_t min,
    std::size_t max,
    const std::string& prefix,
    ErrorDetails& out
) {
    std::string property = prefix + "." + name;
    const Json* v = member(obj, name);
    if (v == nullptr || !v->IsArray()) {
        out.emplace_back(v == nullptr ? "must be specified" : "must be an array", std::move(property));
        return nullptr;
    }
    if (v->Size() < min || v->Size() > max) out.emplace_back(size_message(min, max), std::move(property));
    return v;
}

void check_action(const Json& action, const std::string& prefix, std::size_t max_label, ErrorDetails& out) {
    if (!action.IsObject()) {
        out.emplace_back("must be an object", prefix);
        return;
    }
    const Json* type = member(action, "type");
    if (type == nullptr || !type->IsString()) {
        out.emplace_back("must be specified", prefix + ".type");
        return;
    }
    // Labels are optional where LINE shows a default (and in rich menus); a present one is
    // measured as the user sees it.
    if (max_label > 0) check_length(action, "label", max_label, false, prefix, out, count_graphemes);
    const auto t = sv(*type);
    if (t == "postback") {
        check_length(action, "data", kMaxActionData, true, prefix, out);
        check_length(action, "displayText", kMaxActionData, false, prefix, out);
        check_length(action, "text", kMaxActionData, false, prefix, out);  // deprecated, same limit
        check_length(action, "fillInText", kMaxActionData, false, prefix, out);
    } else if (t == "message") {
        check_length(action, "text", kMaxActionData, true, prefix, out);
    } else if (t == "uri") {
        check_length(action, "uri", kMaxUri, true, prefix, out);
    } else if (t == "datetimepicker") {
        check_length(action, "data", kMaxActionData, true, prefix, out);
    } else if (t == "clipboard") {
        check_length(action, "clipboardText", 1000, true, prefix, out);
    }
}

void check_actions(
    const Json& obj,
    const std::string& prefix,
    std::size_t min,
    std::size_t max,
    ErrorDetails& out
) {
    const Json* actions = check_array(obj, "actions", min, max, prefix, out);
    if (actions == nullptr) return;
    for (rapidjson::SizeType i = 0; i < actions->Size(); ++i) {
        check_action((*actions)[i], idx(prefix + ".actions", i), kMaxActionLabel, out);
    }
}

/// The text of a buttons template or carousel column is shorter when a title or image is shown.
bool has_header(const Json& obj) { return is_string_member(obj, "title") || is_string_member(obj, "thumbnailImageUrl"); }

void check_template(const Json& m, const std::string& prefix, ErrorDetails& out) {
    check_length(m, "altText", kMaxAltText, true, prefix, out, count_utf16_units);
    const Json* tpl = member(m, "template");
    const std::string p = prefix + ".template";
    if (tpl == nullptr || !tpl->IsObject()) {
        out.emplace_back("must be specified", p);
        return;
    }
    const Json* type = member(*tpl, "type");
    const std::string t = type != nullptr && type->IsString() ? std::string(sv(*type)) : "";
    if (t == "buttons") {
        const std::size_t max_text = has_header(*tpl) ? kMaxButtonsTextWithHeader : kMaxButtonsText;
        check_length(*tpl, "title", kMaxTemplateTitle, false, p, out, count_graphemes);
        check_length(*tpl, "text", max_text, true, p, out, count_graphemes);
        check_actions(*tpl, p, 1, kMaxButtonsActions, out);
    } else if (t == "confirm") {
        check_length(*tpl, "text", kMaxConfirmText, true, p, out, count_graphemes);
        check_actions(*tpl, p, kConfirmActions, kConfirmActions, out);
    } else if (t == "carousel") {
        const Json* cols = check_array(*tpl, "columns", 1, kMaxCarouselColumns, p, out);
        if (cols != nullptr) {
            for (rapidjson::SizeType i = 0; i < cols->Size(); ++i) {
                const Json& col = (*cols)[i];
                const std::string cp = idx(p + ".columns", i);
                const std::size_t max_text = has_header(col) ? kMaxButtonsTextWithHeader : kMaxCarouselText;
                check_length(col, "title", kMaxTemplateTitle, false, cp, out, count_graphemes);
                check_length(col, "text", max_text, true, cp, out, count_graphemes);
                check_actions(col, cp, 1, kMaxCarouselActions, out);
                if (const Json* def = member(col, "defaultAction")) check_action(*def, cp + ".defaultAction", 0, out);
            }
        }
    } else if (t == "image_carousel") {
        const Json* cols = check_array(*tpl, "columns", 1, kMaxCarouselColumns, p, out);
        if (cols != nullptr) {
            for (rapidjson::SizeType i = 0; i < cols->Size(); ++i) {
                const std::string cp = idx(p + ".columns", i);
                const Json* action = member((*cols)[i], "action");
                if (action == nullptr) {
                    out.emplace_back("must be specified", cp + ".action");
                } else {
                    check_action(*action, cp + ".action", kMaxImageCarouselLabel, out);
                }
            }
        }
    } else {
        out.emplace_back(type == nullptr ? "must be specified" : "Invalid template type", p + ".type");
    }
    if (const Json* def = member(*tpl, "defaultAction")) check_action(*def, p + ".defaultAction", 0, out);
}

std::size_t json_size(const Json& v) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    v.Accept(w);
    return buf.GetSize();
}

void check_flex(const Json& m, const std::string& prefix, ErrorDetails& out) {
    check_length(m, "altText", kMaxAltText, true, prefix, out, count_utf16_units);
    const Json* contents = member(m, "contents");
    const std::string p = prefix + ".contents";
    if (contents == nullptr || !contents->IsObject()) {
        out.emplace_back("must be specified", p);
        return;
    }
    const Json* type = member(*contents, "type");
    const std::string t = type != nullptr && type->IsString() ? std::string(sv(*type)) : "";
    if (t == "bubble") {
        if (json_size(*contents) > kMaxFlexBubbleBytes) out.emplace_back("The size of the bubble is too large", p);
    } else if (t == "carousel") {
        check_array(*contents, "contents", 1, kMaxFlexCarouselBubbles, p, out);
        if (json_size(*contents) > kMaxFlexCarouselBytes) out.emplace_back("The size of the carousel is too large", p);
    } else {
        out.emplace_back(type == nullptr ? "must be specified" : "Invalid flex container type", p + ".type");
    }
}

void check_quick_reply(const Json& m, const std::string& prefix, ErrorDetails& out) {
    const Json* qr = member(m, "quickReply");
    if (qr == nullptr) return;
    const std::string p = prefix + ".quickReply.items";
    const Json* items = member(*qr, "items");
    if (items == nullptr || !items->IsArray()) {
        out.emplace_back("must be specified", p);
        return;
    }
    if (items->Size() < 1 || items->Size() > kMaxQuickReplyItems) {
        out.emplace_back(size_message(1, kMaxQuickReplyItems), p);
    }
    for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
        const Json* action = member((*items)[i], "action");
        if (action == nullptr) {
            out.emplace_back("must be specified", idx(p, i) + ".action");
            continue;
        }
        check_action(*action, idx(p, i) + ".action", kMaxActionLabel, out);
    }
}

const std::set<std::string, std::less<>> kMessageTypes = {
    "text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex", "coupon",
};

void check_message(const Json& m, const std::string& prefix, ErrorDetails& out) {
    if (!m.IsObject()) {
        out.emplace_back("must be an object", prefix);
        return;
    }
    const Json* type = member(m, "type");
    if (type == nullptr || !type->IsString()) {
        out.emplace_back("must be specified", prefix + ".type");
        return;
    }
    const std::string_view t = sv(*type);
    if (kMessageTypes.count(t) == 0) {
        out.emplace_back("Invalid message type", prefix + ".type");
        return;
    }
    if (t == "text" || t == "textV2") {
        check_length(m, "text", kMaxTextUnits, true, prefix, out, count_utf16_units);
    } else if (t == "sticker") {
        check_length(m, "packageId", 100, true, prefix, out);
        check_length(m, "stickerId", 100, true, prefix, out);
    } else if (t == "image" || t == "video") {
        check_length(m, "originalContentUrl", 2000, true, prefix, out);
        check_length(m, "previewImageUrl", 2000, true, prefix, out);
    } else if (t == "audio") {
        check_length(m, "originalContentUrl", 2000, true, prefix, out);
    } else if (t == "location") {
        check_length(m, "title", 100, true, prefix, out);
        check_length(m, "address", 100, true, prefix, out);
    } else if (t == "imagemap") {
        check_length(m, "altText", kMaxAltText, true, prefix, out, count_utf16_units);
        check_array(m, "actions", 0, 50, prefix, out);
    } else if (t == "template") {
        check_template(m, prefix, out);
    } else if (t == "flex") {
        check_flex(m, prefix, out);
    }
    if (const Json* sender = member(m, "sender"); sender != nullptr && sender->IsObject()) {
        check_length(*sender, "name", 20, false, prefix + ".sender", out, count_graphemes);
        check_length(*sender, "iconUrl", 2000, false, prefix + ".sender", out);
    }
    check_quick_reply(m, prefix, out);
}

void put(Writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

bool lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::string ApiError::body() const {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("message");
    put(w, message);
    if (!details.empty()) {
        w.Key("details");
        w.StartArray();
        for (const auto& [text, property] : details) {
            w.StartObject();
            w.Key("message");
            put(w, text);
            w.Key("property");
            put(w, property);
            w.EndObject();
        }
        w.EndArray();
    }
    w.EndObject();
    return buf.GetString();
}

std::size_t count_utf16_units(std::string_view utf8) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < utf8.size();) n += next_code_point(utf8, i) > 0xFFFF ? 2 : 1;
    return n;
}

std::size_t count_code_points(std::string_view utf8) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < utf8.size();) {
        next_code_point(utf8, i);
        ++n;
    }
    return n;
}

std::size_t count_graphemes(std::string_view utf8) {
    std::size_t n = 0;
    bool after_zwj = false;
    bool open_flag = false;  // a regional indicator waiting for its pair
    for (std::size_t i = 0; i < utf8.size();) {
        const std::uint32_t cp = next_code_point(utf8, i);
        const bool joined = n > 0 && (extends(cp) || after_zwj || (open_flag && regional_indicator(cp)));
        if (!joined) ++n;
        if (regional_indicator(cp)) {
            open_flag = !(open_flag && joined);
        } else if (!extends(cp)) {
            open_flag = false;
        }
        after_zwj = cp == 0x200D;
    }
    return n;
}

bool is_user_id(std::string_view id) {
    return id.size() == 33 && id[0] == 'U' && std::all_of(id.begin() + 1, id.end(), lower_hex);
}

bool is_line_id(std::string_view id) {
    if (id.size() != 33 || (id[0] != 'U' && id[0] != 'C' && id[0] != 'R')) return false;
    return std::all_of(id.begin() + 1, id.end(), lower_hex);
}

ApiError invalid_body(ErrorDetails details) {
    std::string message = "The request body has " + std::to_string(details.size()) + " error(s)";
    return ApiError{400, std::move(message), std::move(details)};
}

ApiError invalid_property(const std::string& name) {
    return ApiError{400, "The property, '" + name + "', in the request body is invalid", {}};
}

std::size_t check_messages(const rapidjson::Value* messages, ErrorDetails& out) {
    if (messages == nullptr || !messages->IsArray()) {
        out.emplace_back(messages == nullptr ? "must be specified" : "must be an array", "messages");
        return 0;
    }
    if (messages->Size() < 1 || messages->Size() > kMaxMessagesPerRequest) {
        out.emplace_back(size_message(1, kMaxMessagesPerRequest), "messages");
    }
    for (rapidjson::SizeType i = 0; i < messages->Size(); ++i) check_message((*messages)[i], idx("messages", i), out);
    return messages->Size();
}

std::optional<ApiError> validate_messages(const rapidjson::Value& messages) {
    ErrorDetails details;
    check_messages(&messages, details);
    if (details.empty()) return std::nullopt;
    return invalid_body(std::move(details));
}

std::optional<ApiError> validate_to_user(const rapidjson::Value& to) {
    if (!to.IsString()) return invalid_property("to");
    return validate_to_user(sv(to));
}

std::optional<ApiError> validate_to_user(std::string_view to) {
    if (is_user_id(to)) return std::nullopt;
    return invalid_property("to");
}

bool valid_loading_seconds(int seconds) { return seconds >= 5 && seconds <= 60 && seconds % 5 == 0; }

}  // namespace sapo::line
