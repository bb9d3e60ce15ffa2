#pragma once
/// @file
/// @brief What a person types, read as the value an `ask` node expects. Pure functions over
/// normalize(): no I/O, table-tested with Japanese variants (test/flows/input_parsers_test.cpp).

#include <optional>
#include <string>
#include <string_view>

#include "flows/tokyo_time.hpp"

namespace sapo::flows {

enum class YesNo { yes, no, unknown };

/// はい/いいえ/わからない and the variants people actually type: ある/ない/あり/なし/不明,
/// うん/ううん, いる/いない, 有/無, そう/ちがう, yes/no/y/n/unknown/don't know, ○/×, in any width or
/// kana, with or without trailing punctuation or polite endings (あります/ありません/です/
/// 分かりません/わかりません). nullopt when it is none of these.
std::optional<YesNo> parse_yes_no(std::string_view text);
/// "yes" / "no" / "unknown"
const char* yes_no_name(YesNo v);

/// A number, optionally signed and with a decimal point (full-width accepted; "," as decimal
/// separator when it is the only separator, e.g. "36,5"), optionally followed by one of `units`
/// (already normalised by the caller, e.g. "歳", "才", "日", "%"). nullopt otherwise.
std::optional<double> parse_number(std::string_view text, std::string_view units_csv = "");

struct Temperature {
    enum class Status { ok, not_a_temperature, out_of_range };
    Status status = Status::not_a_temperature;
    double celsius = 0;  ///< rounded to one decimal; set for ok and out_of_range
};

/// Body temperature as patients type it: 36.5, ３６．５, 36,5, 36.5度, 36.5℃, 36.5°C, 36度5分,
/// ３６度５分, 365 (HER-SYS's three digits = 36.5), 37, 38度, "熱は37.2度です". Values outside
/// 34.0–42.0 are out_of_range.
Temperature parse_temperature(std::string_view text);

/// A Japanese postal code: 7 digits, with or without a hyphen (any dash-like character), full- or
/// half-width, optionally after "〒". Returns the 7 digits ("2310023").
std::optional<std::string> parse_postal_code(std::string_view text);

/// A date: "2026-11-21", "2026/11/21", "11/21", "11月21日", "2026年11月21日", "今日"/"きょう"/
/// "today", "昨日"/"きのう"/"yesterday", "一昨日"/"おととい", "明日"/"あした"/"tomorrow". Dates
/// without a year take `today`'s year. Invalid calendar dates (2/30) give nullopt.
std::optional<CivilDate> parse_date(std::string_view text, CivilDate today);

}  // namespace sapo::flows
