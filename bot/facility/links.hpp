#pragma once
/// @file
/// @brief Everything a facility hands out: its code, the check-in message, the LINE URL its QR
/// code opens, and where its QR images and poster are served.

#include <cstdint>
#include <mutex>
#include <string>

#include "bot/facility/codes.hpp"

namespace sapo::facility {

struct FacilityLinks {
    std::string code;
    std::string checkin_text;  ///< "チェックイン <code>"
    std::string checkin_url;   ///< https://line.me/R/oaMessage/{basic id}/?{checkin_text}: opens the chat with it typed
    std::string qr_svg_url;
    std::string qr_png_url;
    std::string poster_url;
};

class LinkMaker {
public:
    LinkMaker(const CheckinCodes& codes, std::string basic_id, std::string base_url)
        : codes_(codes), basic_id_(std::move(basic_id)), base_url_(std::move(base_url)) {}

    FacilityLinks links(std::int64_t facility_id) const;

    /// Where sapo is reachable (e.g. once the listening port is known); thread-safe.
    void set_base_url(std::string url);
    const CheckinCodes& codes() const { return codes_; }

private:
    const CheckinCodes& codes_;
    const std::string basic_id_;
    mutable std::mutex mutex_;
    std::string base_url_;
};

/// Percent-encodes `s` for a URL query (UTF-8 bytes; unreserved characters kept).
std::string url_encode(std::string_view s);

}  // namespace sapo::facility
