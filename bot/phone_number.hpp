#pragma once
/// @file
/// @brief What sapo accepts as a phone number (a facility's, a notification's contact): 6 to 20
/// characters of digits, hyphens, spaces, parentheses and +, with at least 6 digits.

#include <string>

namespace sapo {

inline bool is_phone_number(const std::string& s) {
    if (s.size() < 6 || s.size() > 20) return false;
    int digits = 0;
    for (char c : s) {
        if (c >= '0' && c <= '9') ++digits;
        else if (c != '-' && c != '+' && c != '(' && c != ')' && c != ' ') return false;
    }
    return digits >= 6;
}

}  // namespace sapo
