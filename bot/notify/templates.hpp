#pragma once
/// @file
/// @brief Notification templates (templates/notifications/*.json, built into the binary): the
/// texts a notification is sent with, in Japanese and English, with placeholders for the
/// facility, the date, the time window, a phone number and a URL. Pure: no I/O.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sapo::notify {

struct TemplateParam {
    std::string name;          ///< "phone" | "url"
    std::string default_value; ///< may name {{facility_phone}} or {{call_center_phone}}
    std::string description_ja;
    std::string description_en;
};

struct NotificationTemplate {
    std::string id;
    std::string title_ja;
    std::string title_en;
    std::string source;  ///< the public document the wording comes from
    std::vector<TemplateParam> params;
    std::string text_ja;
    std::string text_en;
};

/// The placeholders a template text may use.
const std::vector<std::string>& template_placeholders();

/// Reads one template file; nullopt with a sentence per problem in `problems` (unknown fields,
/// a placeholder that is neither built in nor a declared parameter, a missing text).
std::optional<NotificationTemplate> load_notification_template(const std::string& json, std::vector<std::string>& problems);

/// The shipped templates by id; throws std::runtime_error naming the file when one is broken
/// (a build that ships a broken template must not start).
const std::map<std::string, NotificationTemplate>& shipped_notification_templates();

/// Fills {{name}} from `values`; an unknown name is left as it is (load rejects those).
std::string fill_placeholders(const std::string& text, const std::map<std::string, std::string>& values);

}  // namespace sapo::notify
