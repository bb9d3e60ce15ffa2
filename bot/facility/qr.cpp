#include "bot/facility/qr.hpp"

#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <csetjmp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

namespace sapo::facility {

namespace {

/// The largest image side we agree to draw, in pixels (a version 40 code with a 4-module quiet
/// zone is 185 modules, so this still allows 88 px per module in a PNG).
constexpr long long kMaxPngSide = 16384;
constexpr long long kMaxSvgSide = 1'000'000;

struct QrFree {
    void operator()(QRcode* q) const noexcept { QRcode_free(q); }
};
using QrPtr = std::unique_ptr<QRcode, QrFree>;

/// Encodes `text` in 8-bit mode, level M, smallest version. Embedded NULs are kept (hence
/// QRcode_encodeData rather than QRcode_encodeString8bit); case is kept as is.
QrPtr encode(std::string_view text) {
    if (text.empty()) throw std::invalid_argument("qr: empty text");
    // 8-bit mode holds at most 2,331 bytes at level M (version 40); anything near INT_MAX would
    // not fit anyway.
    if (text.size() > 100'000) throw std::invalid_argument("qr: text too long for a QR code");
    errno = 0;
    QrPtr q(QRcode_encodeData(static_cast<int>(text.size()),
                              reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
    if (!q) {
        const int err = errno;
        if (err == ERANGE) throw std::invalid_argument("qr: text too long for a QR code");
        if (err == EINVAL) throw std::invalid_argument("qr: text cannot be encoded");
        if (err == ENOMEM) throw std::bad_alloc();
        throw std::runtime_error("qr: libqrencode failed (errno " + std::to_string(err) + ")");
    }
    if (q->width <= 0 || q->data == nullptr) throw std::runtime_error("qr: libqrencode returned an empty symbol");
    return q;
}

bool dark(const QRcode& q, int x, int y) {
    return (q.data[static_cast<std::size_t>(y) * static_cast<std::size_t>(q.width) + static_cast<std::size_t>(x)] &
            1U) != 0;
}

// --- PNG ----------------------------------------------------------------------------------------
// Everything between png_create_write_struct and png_destroy_write_struct lives in
// write_gray_png(), which holds only raw pointers and POD: libpng reports errors by longjmp-ing
// back to its setjmp, and that jump must not skip any C++ destructor. The write callback grows a
// malloc'd buffer and never throws (it calls png_error on out-of-memory instead).

struct MemBuf {
    unsigned char* data;
    std::size_t size;
    std::size_t capacity;
};

struct PngError {
    char message[256];
};

extern "C" {

void sapo_png_write(png_structp png, png_bytep bytes, png_size_t length) {
    auto* buf = static_cast<MemBuf*>(png_get_io_ptr(png));
    if (length > buf->capacity - buf->size) {
        std::size_t cap = buf->capacity == 0 ? 4096 : buf->capacity;
        while (cap - buf->size < length) {
            if (cap > (static_cast<std::size_t>(-1) >> 1)) png_error(png, "PNG output too large");
            cap *= 2;
        }
        void* grown = std::realloc(buf->data, cap);
        if (grown == nullptr) png_error(png, "out of memory");
        buf->data = static_cast<unsigned char*>(grown);
        buf->capacity = cap;
    }
    std::memcpy(buf->data + buf->size, bytes, length);
    buf->size += length;
}

void sapo_png_flush(png_structp) {}

void sapo_png_on_error(png_structp png, png_const_charp msg) {
    auto* err = static_cast<PngError*>(png_get_error_ptr(png));
    if (err != nullptr) {
        std::strncpy(err->message, msg != nullptr ? msg : "unknown error", sizeof err->message - 1);
        err->message[sizeof err->message - 1] = '\0';
    }
    png_longjmp(png, 1);
}

void sapo_png_on_warning(png_structp, png_const_charp) {}

}  // extern "C"

/// Writes `pixels` (side x side, one byte per pixel, row after row) as an 8-bit grayscale PNG
/// into `out`. Returns false (with `err` filled in) when libpng fails; `out->data` may then hold
/// a partial buffer that the caller frees.
[[gnu::noinline]] bool write_gray_png(const unsigned char* pixels, png_uint_32 side, MemBuf* out,
                                      PngError* err) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, err, sapo_png_on_error, sapo_png_on_warning);
    if (png == nullptr) {
        std::strcpy(err->message, "png_create_write_struct failed");
        return false;
    }
    png_infop info = png_create_info_struct(png);
    if (info == nullptr) {
        png_destroy_write_struct(&png, nullptr);
        std::strcpy(err->message, "png_create_info_struct failed");
        return false;
    }
    // `png` and `info` are not modified after setjmp, so they keep their values after a longjmp.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, out, sapo_png_write, sapo_png_flush);
    png_set_IHDR(png, info, side, side, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 9);
    png_write_info(png, info);
    for (png_uint_32 y = 0; y < side; ++y) png_write_row(png, pixels + static_cast<std::size_t>(y) * side);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return true;
}

struct FreeDeleter {
    void operator()(unsigned char* p) const noexcept { std::free(p); }
};

}  // namespace

std::string qr_svg(std::string_view text, int module_px, int margin_modules) {
    if (module_px < 1) throw std::invalid_argument("qr_svg: module_px must be at least 1");
    if (margin_modules < 0) throw std::invalid_argument("qr_svg: margin_modules must not be negative");
    const QrPtr q = encode(text);
    const int n = q->width;
    const long long side_ll = (static_cast<long long>(n) + 2LL * margin_modules) * module_px;
    if (side_ll > kMaxSvgSide) throw std::invalid_argument("qr_svg: image too large");
    const std::string side = std::to_string(side_ll);
    const std::string px = std::to_string(module_px);

    std::string d;
    d.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(n) * 4);
    for (int y = 0; y < n; ++y) {
        const long long py = static_cast<long long>(y + margin_modules) * module_px;
        int x = 0;
        while (x < n) {
            if (!dark(*q, x, y)) {
                ++x;
                continue;
            }
            const int start = x;
            while (x < n && dark(*q, x, y)) ++x;
            const std::string run = std::to_string(static_cast<long long>(x - start) * module_px);
            d += 'M';
            d += std::to_string(static_cast<long long>(start + margin_modules) * module_px);
            d += ' ';
            d += std::to_string(py);
            d += 'h';
            d += run;
            d += 'v';
            d += px;
            d += "h-";
            d += run;
            d += 'z';
        }
    }

    std::string svg;
    svg.reserve(d.size() + 400);
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + side + "\" height=\"" + side +
           "\" viewBox=\"0 0 " + side + " " + side + "\" shape-rendering=\"crispEdges\">";
    svg += "<rect x=\"0\" y=\"0\" width=\"" + side + "\" height=\"" + side + "\" fill=\"#ffffff\"/>";
    svg += "<path fill=\"#000000\" d=\"";
    svg += d;
    svg += "\"/></svg>\n";
    return svg;
}

std::string qr_png(std::string_view text, int scale, int margin_modules) {
    if (scale < 1) throw std::invalid_argument("qr_png: scale must be at least 1");
    if (margin_modules < 0) throw std::invalid_argument("qr_png: margin_modules must not be negative");
    const QrPtr q = encode(text);
    const int n = q->width;
    const long long side_ll = (static_cast<long long>(n) + 2LL * margin_modules) * scale;
    if (side_ll > kMaxPngSide) throw std::invalid_argument("qr_png: image too large");
    const auto side = static_cast<std::size_t>(side_ll);

    std::vector<unsigned char> pixels(side * side, 0xFF);
    for (int y = 0; y < n; ++y) {
        for (int x = 0; x < n; ++x) {
            if (!dark(*q, x, y)) continue;
            const std::size_t top = static_cast<std::size_t>(y + margin_modules) * static_cast<std::size_t>(scale);
            const std::size_t left = static_cast<std::size_t>(x + margin_modules) * static_cast<std::size_t>(scale);
            for (std::size_t r = 0; r < static_cast<std::size_t>(scale); ++r) {
                std::memset(pixels.data() + (top + r) * side + left, 0x00, static_cast<std::size_t>(scale));
            }
        }
    }

    MemBuf buf{nullptr, 0, 0};
    PngError err{};
    const bool ok = write_gray_png(pixels.data(), static_cast<png_uint_32>(side), &buf, &err);
    const std::unique_ptr<unsigned char, FreeDeleter> owned(buf.data);
    if (!ok) throw std::runtime_error(std::string("qr_png: libpng failed: ") + err.message);
    return std::string(reinterpret_cast<const char*>(owned.get()), buf.size);
}

}  // namespace sapo::facility
