#include "flows/render.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "flows/loader.hpp"
#include "flows/normalize.hpp"

namespace sapo::flows {
namespace {

/// The longest prefix of at most `max_units` UTF-16 units that does not split a character.
std::string cut_text(std::string_view s, std::size_t max_units) {
    if (text_length(s) <= max_units) return std::string(s);
    std::size_t units = 0, i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
        std::size_t u = len == 4 ? 2 : 1;
        if (units + u > max_units - 1) break;  // room for "…"
        units += u;
        i += len;
    }
    return std::string(s.substr(0, i)) + "…";
}

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::string fill_placeholders(std::string_view text, const PlaceholderLookup& lookup) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto open = text.find("{{", pos);
        if (open == std::string_view::npos) break;
        auto close = text.find("}}", open + 2);
        if (close == std::string_view::npos) break;
        out.append(text.substr(pos, open - pos));
        auto name = text.substr(open + 2, close - open - 2);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        out += display(lookup(name));
        pos = close + 2;
    }
    out.append(text.substr(pos));
    return out;
}

std::string render_template(
    const Template& t,
    std::string_view language,
    const std::map<std::string, std::string, std::less<>>& params,
    const PlaceholderLookup& lookup
) {
    auto lang = language.substr(0, language.find('-'));
    auto it = t.message_json_by_language.find(lang);
    if (it == t.message_json_by_language.end()) it = t.message_json_by_language.find("ja");
    PlaceholderLookup escaped = [&](std::string_view name) -> Value {
        auto p = params.find(name);
        std::string v = p != params.end() ? fill_placeholders(p->second, lookup) : display(lookup(name));
        return Value(json_escape(v));
    };
    return fill_placeholders(it->second, escaped);
}

std::string to_line_json(const OutMessage& m) {
    if (!m.is_text()) return m.json;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("type");
    w.String("text");
    w.Key("text");
    write_string(w, cut_text(m.text.empty() ? " " : m.text, kMaxTextLength));
    if (!m.quick_replies.empty()) {
        w.Key("quickReply");
        w.StartObject();
        w.Key("items");
        w.StartArray();
        std::size_t n = 0;
        for (const auto& q : m.quick_replies) {
            if (++n > kMaxQuickReplies) break;
            auto label = truncate_label(q.label, kMaxLabelLength);
            w.StartObject();
            w.Key("type");
            w.String("action");
            w.Key("action");
            w.StartObject();
            w.Key("type");
            if (!q.postback_data.empty()) {
                w.String("postback");
                w.Key("label");
                write_string(w, label);
                w.Key("data");
                write_string(w, q.postback_data);
                w.Key("displayText");
                write_string(w, q.label);
            } else {
                w.String("message");
                w.Key("label");
                write_string(w, label);
                w.Key("text");
                write_string(w, q.text.empty() ? q.label : q.text);
            }
            w.EndObject();
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
    }
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

std::vector<std::vector<std::string>> fit_to_replies(const std::vector<OutMessage>& messages) {
    std::vector<OutMessage> merged;
    // Merge only as much as needed: a separate bubble reads better when it fits.
    std::size_t excess = messages.size() > kMaxMessagesPerReply ? messages.size() - kMaxMessagesPerReply : 0;
    for (const auto& m : messages) {
        if (excess > 0 && !merged.empty() && merged.back().is_text() && merged.back().quick_replies.empty() &&
            m.is_text() && text_length(merged.back().text) + 2 + text_length(m.text) <= kMaxTextLength) {
            merged.back().text += "\n\n" + m.text;
            merged.back().quick_replies = m.quick_replies;
            --excess;
            continue;
        }
        merged.push_back(m);
    }
    std::vector<std::vector<std::string>> batches;
    for (const auto& m : merged) {
        if (batches.empty() || batches.back().size() == kMaxMessagesPerReply) batches.emplace_back();
        batches.back().push_back(to_line_json(m));
    }
    return batches;
}

}  // namespace sapo::flows
