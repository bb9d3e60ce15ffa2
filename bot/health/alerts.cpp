#include "bot/health/alerts.hpp"

#include <map>

#include "bot/log.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::health {

std::string reason_text(const std::string& reason, const std::string& language) {
    static const std::map<std::string, std::pair<std::string, std::string>> texts{
        {"high_fever", {"高熱", "high fever"}},
        {"low_spo2", {"SpO2の低下", "low SpO2"}},
        {"face_signs", {"顔色が悪い・唇が紫色・様子がおかしい", "poor colour, purple lips or not themselves"}},
        {"breathing_unknown", {"息苦しさが「わからない」", "breathing difficulty: does not know"}},
        {"breath_signs", {"息が荒い・急な息苦しさ・胸の痛みなど", "fast breathing, sudden breathlessness, chest pain or similar"}},
        {"consciousness", {"意識障害（あり・わからない）", "impaired consciousness (yes or does not know)"}},
        {"mind_signs", {"ぼんやり・もうろう・脈の乱れ", "drowsy, unresponsive or irregular pulse"}},
        {"unclear_answers", {"回答が読み取れず報告が中断（要確認）", "answers could not be read, report stopped (call to check)"}},
    };
    auto it = texts.find(reason);
    if (it == texts.end()) return reason;
    return language == "en" ? it->second.second : it->second.first;
}

std::string alert_push_json(const AlertNotice& a) {
    const std::string id = std::to_string(a.patient_id);
    const std::string detail_ja = a.detail.empty() ? "" : "（" + a.detail + "）";
    const std::string detail_en = a.detail.empty() ? "" : " (" + a.detail + ")";
    std::string text = "【至急・健康観察】" + a.label + "（患者ID " + id + "）\n" + "理由: " + reason_text(a.reason, "ja") +
                       detail_ja + "\n" + "時刻: " + flows::format_tokyo_time(a.raised_ms, "ja") + "\n" +
                       (a.phone.empty() ? "電話番号: 未登録" : "電話: " + a.phone) + "\n" +
                       "本人に緊急連絡先を案内しました。折り返し確認し、管理画面で「確認済み」にしてください。\n\n" +
                       "[Urgent: health report] " + a.label + " (patient " + id + ")\nReason: " + reason_text(a.reason, "en") +
                       detail_en + "\nAt: " + flows::format_tokyo_time(a.raised_ms, "en") + "\n" +
                       (a.phone.empty() ? "Phone: not registered" : "Phone: " + a.phone) + "\n" +
                       "The patient was shown the emergency number. Call back, then acknowledge the alert in the console.";
    return "[{\"type\":\"text\",\"text\":\"" + log::json_escape(text) + "\"}]";
}

}  // namespace sapo::health
