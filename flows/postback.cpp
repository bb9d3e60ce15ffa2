#include "flows/postback.hpp"

#include <charconv>

namespace sapo::flows {
namespace {

bool unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

void append_encoded(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (unreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::optional<std::string> decoded(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

}  // namespace

std::string encode_postback(const PostbackData& d) {
    std::string out;
    if (!d.open_flow.empty()) {
        out = "m=";
        append_encoded(out, d.open_flow);
        return out;
    }
    out = "f=";
    append_encoded(out, d.flow);
    out += "&v=" + std::to_string(d.version) + "&n=";
    append_encoded(out, d.node);
    out += "&c=";
    append_encoded(out, d.value);
    if (!d.kind.empty()) {
        out += "&k=";
        append_encoded(out, d.kind);
    }
    return out;
}

std::optional<PostbackData> decode_postback(std::string_view data) {
    PostbackData d;
    bool has_flow = false, has_node = false, has_version = false;
    while (!data.empty()) {
        auto amp = data.find('&');
        auto pair = data.substr(0, amp);
        data = amp == std::string_view::npos ? std::string_view{} : data.substr(amp + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        auto key = pair.substr(0, eq);
        auto value = decoded(pair.substr(eq + 1));
        if (!value) return std::nullopt;
        if (key == "f") {
            d.flow = *value;
            has_flow = true;
        } else if (key == "v") {
            auto [p, ec] = std::from_chars(value->data(), value->data() + value->size(), d.version);
            if (ec != std::errc{} || p != value->data() + value->size()) return std::nullopt;
            has_version = true;
        } else if (key == "n") {
            d.node = *value;
            has_node = true;
        } else if (key == "c") {
            d.value = *value;
        } else if (key == "k") {
            d.kind = *value;
        } else if (key == "m") {
            d.open_flow = *value;
        }
        // unknown keys are ignored, so a later format can add some
    }
    if (!d.open_flow.empty()) return d;
    if (!has_flow || !has_node || !has_version || d.flow.empty()) return std::nullopt;
    return d;
}

}  // namespace sapo::flows
