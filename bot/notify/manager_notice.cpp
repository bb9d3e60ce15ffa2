#include "bot/notify/manager_notice.hpp"

#include "bot/log.hpp"
#include "bot/notify/draft.hpp"

namespace sapo::notify {
namespace {

std::string text_message(const std::string& text) {
    return "[{\"type\":\"text\",\"text\":\"" + log::json_escape(text) + "\"}]";
}

/// "カフェ山田、11月20日 12:00〜14:00" / "Cafe Yamada, 20 November 2026 12:00-14:00"
std::string what(const std::string& facility, const std::string& date, const std::string& from, const std::string& to,
                 bool en) {
    return en ? facility + ", " + format_date(date, "en") + " " + from + "-" + to
              : facility + "、" + format_date(date, "ja") + " " + from + "〜" + to;
}

}  // namespace

std::string manager_sent_notice_json(const storage::FinishedNotification& n) {
    const bool en = n.manager_language == "en";
    std::string text;
    if (en) {
        text = "The notification you asked for (" + what(n.facility_name, n.window_date, n.window_from, n.window_to, true) +
               ") has been sent to " + std::to_string(n.sent) + " people.";
        if (n.failed > 0) {
            text += " It could not be sent to " + std::to_string(n.failed) + " people; the health centre is looking into it.";
        }
    } else {
        text = "ご依頼の通知（" + what(n.facility_name, n.window_date, n.window_from, n.window_to, false) + "）を" +
               std::to_string(n.sent) + "人の方にお送りしました。";
        if (n.failed > 0) {
            text += std::to_string(n.failed) + "人の方には送ることができませんでした。保健所の担当者が確認します。";
        }
    }
    return text_message(text);
}

std::string manager_cancelled_notice_json(const storage::NotificationRecord& n, const std::string& language) {
    const bool en = language == "en";
    const std::string which = what(n.facility_name, n.window_date, n.window_from, n.window_to, en);
    std::string text;
    if (en) {
        text = "The health centre has decided not to send the notification you asked for (" + which + ").";
        if (n.sent > 0) text += " It had reached " + std::to_string(n.sent) + " people by then.";
        text += " Please contact the health centre with any questions.";
    } else {
        text = "ご依頼の通知（" + which + "）は、保健所・県の担当者の判断で送信を取りやめました。";
        if (n.sent > 0) text += "取りやめるまでに" + std::to_string(n.sent) + "人の方にお送りしています。";
        text += "ご不明な点は保健所にお問い合わせください。";
    }
    return text_message(text);
}

}  // namespace sapo::notify
