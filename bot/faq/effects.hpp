#pragma once
/// @file
/// @brief The effects of the `faq` flow: `faq.answer` (match a question: an answer, up to three
/// choices, or nothing), `faq.show` (one entry's answer), `faq.miss` (keep an unanswered or
/// unhelpful question for operators, without the user's id) and `faq.hours` (is the
/// consultation centre open now, and when it opens).

#include <memory>
#include <optional>
#include <string>

#include "bot/dispatch/effects.hpp"
#include "bot/faq/catalog.hpp"

namespace sapo::faq {

/// The consultation centre's hours, "HH:MM-HH:MM" in Asia/Tokyo, every day.
struct Hours {
    int open_minute = 9 * 60;
    int close_minute = 22 * 60;
};

/// Parses "09:00-22:00"; nullopt when malformed or not open < close.
std::optional<Hours> parse_hours(const std::string& text);

/// Whether a question names a sign that needs 119 now (息苦しい, 意識がない, 胸の痛み, …).
bool sounds_urgent(const std::string& question);

/// `catalog` may be null where effects are only checked (validation, simulate): applying
/// `faq.answer` or `faq.show` then throws.
void add_faq_effects(dispatch::EffectRegistry& registry, std::shared_ptr<Catalog> catalog, Hours hours);

}  // namespace sapo::faq
