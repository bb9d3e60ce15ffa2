#pragma once
/// @file
/// @brief The chat page (bot/emulator/chat.html), embedded into the binary at build time.

#include <string_view>

namespace sapo::emulator {

std::string_view chat_page_html();

}  // namespace sapo::emulator
