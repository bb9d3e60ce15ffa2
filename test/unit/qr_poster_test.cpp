#include "bot/facility/poster.hpp"
#include "bot/facility/qr.hpp"

#include <catch2/catch.hpp>

#include "test/support/qr_decode.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace {

using sapo::facility::poster_html;
using sapo::facility::PosterInfo;
using sapo::facility::qr_png;
using sapo::facility::qr_svg;
using sapo::test::have_zbarimg;
using sapo::test::zbar_decode;

const std::string kCheckinUrl =
    "https://line.me/R/oaMessage/@123abcde/?%E3%83%81%E3%82%A7%E3%83%83%E3%82%AF%E3%82%A4%E3%83%B3%20AB12CDEF34";

std::uint32_t be32(const std::string& s, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

struct Ihdr {
    std::uint32_t width;
    std::uint32_t height;
    int bit_depth;
    int color_type;
};

Ihdr read_ihdr(const std::string& png) {
    REQUIRE(png.size() > 33);
    REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    REQUIRE(be32(png, 8) == 13);
    REQUIRE(png.compare(12, 4, "IHDR") == 0);
    return {be32(png, 16), be32(png, 20), static_cast<unsigned char>(png[24]), static_cast<unsigned char>(png[25])};
}

/// The side of the SVG's viewBox ("0 0 S S").
long svg_side(const std::string& svg) {
    const auto at = svg.find("viewBox=\"0 0 ");
    REQUIRE(at != std::string::npos);
    const auto start = at + 13;
    const auto space = svg.find(' ', start);
    const auto quote = svg.find('"', start);
    REQUIRE(space != std::string::npos);
    REQUIRE(quote != std::string::npos);
    const long w = std::stol(svg.substr(start, space - start));
    const long h = std::stol(svg.substr(space + 1, quote - space - 1));
    CHECK(w == h);
    return w;
}

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
}


}  // namespace

TEST_CASE("qr_png: zbarimg reads back the exact text", "[unit][qr]") {
    if (!have_zbarimg()) {
        WARN("zbarimg is not installed: run scripts/setup");
        return;
    }
    std::string long_text;
    for (int i = 0; long_text.size() < 300; ++i) long_text += "Line" + std::to_string(i) + "-aZ;";
    long_text.resize(300);

    const std::string japanese = "チェックイン AB12CDEF34 居酒屋さぽ（盛岡市）";
    for (const std::string& text : {kCheckinUrl, japanese, long_text, std::string("MixedCase-abcXYZ")}) {
        INFO("text: " << text);
        const auto decoded = zbar_decode(qr_png(text));
        REQUIRE(decoded.has_value());
        CHECK(*decoded == text);
    }
    // Small modules and no quiet zone beyond 2 modules still scan.
    const auto small = zbar_decode(qr_png(kCheckinUrl, 4, 2));
    REQUIRE(small.has_value());
    CHECK(*small == kCheckinUrl);
}

TEST_CASE("qr_png: an 8-bit grayscale PNG of (modules + 2*margin) * scale pixels", "[unit][qr]") {
    // "hello" fits in version 1 (21 modules) at level M.
    {
        const auto png = qr_png("hello", 10, 4);
        const auto ihdr = read_ihdr(png);
        CHECK(ihdr.width == (21 + 2 * 4) * 10);
        CHECK(ihdr.height == ihdr.width);
        CHECK(ihdr.bit_depth == 8);
        CHECK(ihdr.color_type == 0);  // grayscale
        CHECK(png.compare(png.size() - 8, 4, "IEND") == 0);
    }
    {
        const auto ihdr = read_ihdr(qr_png("hello", 3, 0));
        CHECK(ihdr.width == 21 * 3);
    }
    // The check-in URL: the same module count as the SVG, and a valid QR size (17 + 4 * version).
    const auto png = qr_png(kCheckinUrl);
    const auto ihdr = read_ihdr(png);
    CHECK(ihdr.height == ihdr.width);
    CHECK(ihdr.bit_depth == 8);
    CHECK(ihdr.color_type == 0);
    REQUIRE(ihdr.width % 10 == 0);
    const long modules = static_cast<long>(ihdr.width / 10) - 8;
    CHECK(modules >= 21);
    CHECK(modules <= 177);
    CHECK((modules - 17) % 4 == 0);
    CHECK(svg_side(qr_svg(kCheckinUrl, 8, 4)) == (modules + 8) * 8);
    CHECK(png.size() < 20000);
}

TEST_CASE("qr_svg: one path on a white background, viewBox of (modules + 2*margin) * module_px", "[unit][qr]") {
    const auto svg = qr_svg("hello", 8, 4);
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK(svg_side(svg) == (21 + 8) * 8);
    CHECK(svg.find("width=\"232\"") != std::string::npos);
    CHECK(svg.find("height=\"232\"") != std::string::npos);
    CHECK(svg.find("shape-rendering=\"crispEdges\"") != std::string::npos);
    CHECK(count(svg, "<path") == 1);
    CHECK(count(svg, "<rect") == 1);
    CHECK(svg.find("fill=\"#ffffff\"") != std::string::npos);
    // The top-left finder pattern starts at the quiet zone: a 7-module run at (32, 32).
    CHECK(svg.find("M32 32h56v8h-56z") != std::string::npos);

    CHECK(svg_side(qr_svg("hello", 1, 0)) == 21);
    // Case is kept: different texts give different symbols.
    CHECK(qr_svg("HELLO") != qr_svg("hello"));
}

TEST_CASE("qr: text that does not fit, empty text and bad sizes throw std::invalid_argument", "[unit][qr]") {
    const std::string too_long(8000, 'x');
    CHECK_THROWS_AS(qr_svg(too_long), std::invalid_argument);
    CHECK_THROWS_AS(qr_png(too_long), std::invalid_argument);
    CHECK_THROWS_AS(qr_svg(std::string(2332, 'x')), std::invalid_argument);  // level M, version 40: 2331 bytes
    CHECK_NOTHROW(qr_svg(std::string(2331, 'x')));
    CHECK_THROWS_AS(qr_svg(""), std::invalid_argument);
    CHECK_THROWS_AS(qr_png(""), std::invalid_argument);
    CHECK_THROWS_AS(qr_svg("x", 0), std::invalid_argument);
    CHECK_THROWS_AS(qr_svg("x", 8, -1), std::invalid_argument);
    CHECK_THROWS_AS(qr_png("x", 0), std::invalid_argument);
    CHECK_THROWS_AS(qr_png("x", 10, -1), std::invalid_argument);
    CHECK_THROWS_AS(qr_png("x", 1'000'000), std::invalid_argument);
}

TEST_CASE("poster_html: an A4 page with the escaped name, the code, the QR and the notes", "[unit][qr]") {
    PosterInfo info;
    info.facility_name = "<script>alert(\"x\")</script> & 居酒屋";
    info.kind = "飲食店 <b>";
    info.address = "盛岡市内丸10-1 'A'";
    info.code = "AB12CDEF34";
    info.checkin_text = "チェックイン AB12CDEF34";
    info.checkin_url = kCheckinUrl;
    info.qr_svg = qr_svg(kCheckinUrl);
    const auto html = poster_html(info);

    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
    CHECK(html.find("@page") != std::string::npos);
    CHECK(html.find("size: A4") != std::string::npos);
    CHECK(html.find("Noto Sans CJK JP") != std::string::npos);

    // Escaping: no raw markup from the fields, and no scripts at all.
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 居酒屋") != std::string::npos);
    CHECK(html.find("<b>") == std::string::npos);
    CHECK(html.find("飲食店 &lt;b&gt;") != std::string::npos);
    CHECK(html.find("盛岡市内丸10-1 &#39;A&#39;") != std::string::npos);

    // No external resources.
    CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("<img") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("url(") == std::string::npos);

    // The QR inline, the code under it, the message to send.
    CHECK(html.find(info.qr_svg) != std::string::npos);
    CHECK(count(html, "<svg") == 1);
    CHECK(html.find("<div class=\"code\">AB12CDEF34</div>") != std::string::npos);
    CHECK(html.find("monospace") != std::string::npos);
    CHECK(html.find("90mm") != std::string::npos);
    CHECK(html.find("「チェックイン AB12CDEF34」") != std::string::npos);
    CHECK(html.find("LINEでチェックイン") != std::string::npos);
    CHECK(html.find("Check in with LINE") != std::string::npos);
    CHECK(html.find("公式アカウント") != std::string::npos);
    CHECK(html.find("official account") != std::string::npos);

    // The notes, in Japanese and English.
    CHECK(html.find("毎回") != std::string::npos);
    CHECK(html.find("every visit") != std::string::npos);
    CHECK(html.find("感染したということではありません") != std::string::npos);
    CHECK(html.find("does not mean you are infected") != std::string::npos);
    CHECK(html.find("このQRコードを配布したり") != std::string::npos);
    CHECK(html.find("しないでください") != std::string::npos);
    CHECK(html.find("Do not hand out this QR code") != std::string::npos);
    CHECK(html.find("31日後に削除") != std::string::npos);
    CHECK(html.find("after 31 days") != std::string::npos);
    CHECK(html.find("LINEのユーザーID") != std::string::npos);
    CHECK(html.find("LINE user ID") != std::string::npos);
}

TEST_CASE("poster_html: the code and message are escaped, the QR is drawn when not given", "[unit][qr]") {
    PosterInfo info;
    info.facility_name = "Café \"Sapo\"";
    info.code = "<X&Y>";
    info.checkin_url = kCheckinUrl;
    const auto html = poster_html(info);
    CHECK(html.find("<X&Y>") == std::string::npos);
    CHECK(html.find("<div class=\"code\">&lt;X&amp;Y&gt;</div>") != std::string::npos);
    CHECK(html.find("「チェックイン &lt;X&amp;Y&gt;」") != std::string::npos);  // checkin_text defaults
    CHECK(html.find("Café &quot;Sapo&quot;") != std::string::npos);
    CHECK(html.find(qr_svg(kCheckinUrl)) != std::string::npos);
}
