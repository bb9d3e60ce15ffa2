#include "bot/emulator/local_channel.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace sapo::emulator {

std::string random_channel_secret() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 0x0f];
    }
    return out;
}

}  // namespace sapo::emulator
