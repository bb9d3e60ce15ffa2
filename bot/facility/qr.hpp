#pragma once
/// @file
/// @brief QR codes for facility check-in (libqrencode), as SVG for the poster and the admin
/// console and as PNG for LINE image messages.

#include <string>
#include <string_view>

namespace sapo::facility {

/// The QR code of `text` (error correction level M, 8-bit mode, smallest version that fits) as a
/// standalone SVG document: one <path> of black modules on a white background, `module_px`
/// pixels per module, a quiet zone of `margin_modules` modules. Throws std::invalid_argument when
/// the text does not fit in a QR code.
std::string qr_svg(std::string_view text, int module_px = 8, int margin_modules = 4);

/// The same QR code as a PNG file (8-bit grayscale, black on white), `scale` pixels per module.
/// Throws std::invalid_argument when the text does not fit, std::runtime_error when libpng fails.
std::string qr_png(std::string_view text, int scale = 10, int margin_modules = 4);

}  // namespace sapo::facility
