#pragma once
/// @file
/// @brief The effects of the personal-support questionnaire: `support.centre` (the consultation
/// centre for a postal code and whether it answers now), `support.save` (the consented answers for
/// the prefecture's totals, without the user and with the area only; the follow-up for outcomes B
/// and C) and `support.stop` (配信停止).

#include <memory>

#include "bot/dispatch/effects.hpp"
#include "bot/support/regions.hpp"

namespace sapo::support {

struct SupportSettings {
    std::shared_ptr<const RegionTable> regions;  ///< every config/regions file, one fallback
    int followup_days = 2;                       ///< 0: no follow-up
};

/// Every shipped config/regions/*.csv in one table whose fallback is `home`'s `*` row. Throws
/// std::runtime_error naming the file and line of any problem (a build defect or a bad edit).
std::shared_ptr<const RegionTable> load_shipped_regions(const std::string& home);

/// `settings` may be null where effects are only checked (validation, simulate).
void add_support_effects(dispatch::EffectRegistry& registry, const SupportSettings* settings);

}  // namespace sapo::support
