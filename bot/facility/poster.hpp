#pragma once
/// @file
/// @brief The printable A4 poster a facility puts up at its entrance: name, QR code and how to
/// check in, adapted from the Iwate and Tokyo もしサポ posters (Japanese first, English beside).

#include <string>

namespace sapo::facility {

struct PosterInfo {
    std::string facility_name;
    std::string kind;         ///< e.g. 飲食店
    std::string address;
    std::string code;         ///< the facility's check-in code, printed under the QR for typing
    std::string checkin_text; ///< "チェックイン <code>"
    std::string checkin_url;  ///< what the QR encodes
    std::string qr_svg;       ///< qr_svg(checkin_url)
};

/// A complete HTML document (UTF-8), laid out for one A4 page (@page size A4), every user text
/// HTML-escaped.
std::string poster_html(const PosterInfo& info);

}  // namespace sapo::facility
