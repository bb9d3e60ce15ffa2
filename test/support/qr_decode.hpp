#pragma once
// Reading a QR code back with zbarimg (Debian zbar-tools, installed by scripts/setup).

#include <optional>
#include <string>

namespace sapo::test {

bool have_zbarimg();

/// What zbarimg reads from `png` (its --raw output without the trailing newline); nullopt when it
/// finds no code.
std::optional<std::string> zbar_decode(const std::string& png);

}  // namespace sapo::test
