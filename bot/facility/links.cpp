#include "bot/facility/links.hpp"

namespace sapo::facility {

std::string url_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

void LinkMaker::set_base_url(std::string url) {
    std::lock_guard lock(mutex_);
    base_url_ = std::move(url);
}

FacilityLinks LinkMaker::links(std::int64_t facility_id) const {
    FacilityLinks l;
    l.code = codes_.code_for(facility_id);
    l.checkin_text = "チェックイン " + l.code;
    l.checkin_url = "https://line.me/R/oaMessage/" + basic_id_ + "/?" + url_encode(l.checkin_text);
    std::string base;
    {
        std::lock_guard lock(mutex_);
        base = base_url_;
    }
    l.qr_svg_url = base + "/facilities/" + l.code + "/qr.svg";
    l.qr_png_url = base + "/facilities/" + l.code + "/qr.png";
    l.poster_url = base + "/facilities/" + l.code + "/poster";
    return l;
}

}  // namespace sapo::facility
