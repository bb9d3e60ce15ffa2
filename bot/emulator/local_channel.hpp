#pragma once
/// @file
/// @brief The emulated channel of local mode: its bot user id and a channel secret made fresh at
/// every start, so signed webhooks for local mode are useless anywhere else.

#include <string>

#include "bot/random.hpp"

namespace sapo::emulator {

/// The bot's own user id in local mode (the callback's "destination").
inline constexpr const char* kBotUserId = "U5a900000000000000000000000000000";

/// 32 random hex characters, like a LINE channel secret.
inline std::string random_channel_secret() { return random_hex(16); }

}  // namespace sapo::emulator
