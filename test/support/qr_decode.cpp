#include "test/support/qr_decode.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

namespace sapo::test {

bool have_zbarimg() { return std::system("command -v zbarimg >/dev/null 2>&1") == 0; }

std::optional<std::string> zbar_decode(const std::string& png) {
    std::random_device rd;
    const auto path = std::filesystem::temp_directory_path() /
                      ("sapo-qr-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + ".png");
    {
        std::ofstream f(path, std::ios::binary);
        f.write(png.data(), static_cast<std::streamsize>(png.size()));
        REQUIRE(f.good());
    }
    // -Sbinary: the bytes as encoded, without zbar's guess at their character set
    const std::string cmd = "zbarimg --raw -q -Sbinary '" + path.string() + "' 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    std::array<char, 4096> chunk{};
    std::size_t n = 0;
    while ((n = std::fread(chunk.data(), 1, chunk.size(), p)) > 0) out.append(chunk.data(), n);
    const int status = ::pclose(p);
    std::filesystem::remove(path);
    if (status != 0) return std::nullopt;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace sapo::test
