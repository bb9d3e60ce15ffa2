#include "bot/notify/templates.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "bot/assets.hpp"

namespace sapo::notify {
namespace {

constexpr std::string_view kFolder = "notifications/";

std::string text_of(const rapidjson::Value& obj, const char* key, const std::string& where, std::vector<std::string>& problems) {
    if (!obj.IsObject() || !obj.HasMember(key) || !obj[key].IsString() || obj[key].GetStringLength() == 0) {
        problems.push_back(where + "." + key + " must be a non-empty string");
        return "";
    }
    return obj[key].GetString();
}

/// Every {{name}} in `text`.
std::vector<std::string> names_in(const std::string& text) {
    std::vector<std::string> names;
    for (std::size_t at = text.find("{{"); at != std::string::npos; at = text.find("{{", at + 2)) {
        auto end = text.find("}}", at + 2);
        if (end == std::string::npos) break;
        names.push_back(text.substr(at + 2, end - at - 2));
    }
    return names;
}

}  // namespace

const std::vector<std::string>& template_placeholders() {
    static const std::vector<std::string> names{"facility", "date", "from", "to", "phone", "url"};
    return names;
}

std::optional<NotificationTemplate> load_notification_template(const std::string& json, std::vector<std::string>& problems) {
    rapidjson::Document doc;
    doc.Parse(json.c_str(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        problems.push_back("not a JSON object");
        return std::nullopt;
    }
    static const std::set<std::string> kFields{"id", "title", "source", "params", "text"};
    for (const auto& m : doc.GetObject()) {
        if (!kFields.count(m.name.GetString())) problems.push_back(std::string("unknown field \"") + m.name.GetString() + "\"");
    }
    NotificationTemplate t;
    t.id = text_of(doc, "id", "template", problems);
    if (doc.HasMember("title")) {
        t.title_ja = text_of(doc["title"], "ja", "title", problems);
        t.title_en = text_of(doc["title"], "en", "title", problems);
    } else {
        problems.push_back("title is missing");
    }
    if (doc.HasMember("source") && doc["source"].IsString()) t.source = doc["source"].GetString();
    if (!doc.HasMember("text")) problems.push_back("text is missing");
    else {
        t.text_ja = text_of(doc["text"], "ja", "text", problems);
        t.text_en = text_of(doc["text"], "en", "text", problems);
    }
    std::set<std::string> declared;
    if (doc.HasMember("params")) {
        if (!doc["params"].IsObject()) problems.push_back("params must be an object");
        else {
            for (const auto& p : doc["params"].GetObject()) {
                TemplateParam param;
                param.name = p.name.GetString();
                if (param.name != "phone" && param.name != "url") {
                    problems.push_back("params." + param.name + ": only phone and url can be given");
                    continue;
                }
                if (p.value.IsObject() && p.value.HasMember("default") && p.value["default"].IsString()) {
                    param.default_value = p.value["default"].GetString();
                }
                if (p.value.IsObject() && p.value.HasMember("description")) {
                    param.description_ja = text_of(p.value["description"], "ja", "params." + param.name + ".description", problems);
                    param.description_en = text_of(p.value["description"], "en", "params." + param.name + ".description", problems);
                }
                declared.insert(param.name);
                t.params.push_back(std::move(param));
            }
        }
    }
    for (const auto* text : {&t.text_ja, &t.text_en}) {
        for (const auto& name : names_in(*text)) {
            const bool builtin = name == "facility" || name == "date" || name == "from" || name == "to";
            if (!builtin && !declared.count(name)) {
                problems.push_back("text uses {{" + name + "}}, which is neither built in nor a declared parameter");
            }
        }
    }
    if (!problems.empty()) return std::nullopt;
    return t;
}

const std::map<std::string, NotificationTemplate>& shipped_notification_templates() {
    static const std::map<std::string, NotificationTemplate> all = [] {
        std::map<std::string, NotificationTemplate> out;
        for (const auto& file : assets::shipped_templates()) {
            if (std::string_view(file.path).substr(0, kFolder.size()) != kFolder) continue;
            std::vector<std::string> problems;
            auto t = load_notification_template(std::string(file.content), problems);
            if (!t) throw std::runtime_error("templates/" + file.path + ": " + problems.front());
            out.emplace(t->id, std::move(*t));
        }
        return out;
    }();
    return all;
}

std::string fill_placeholders(const std::string& text, const std::map<std::string, std::string>& values) {
    std::string out;
    std::size_t pos = 0;
    for (std::size_t at = text.find("{{"); at != std::string::npos; at = text.find("{{", pos)) {
        auto end = text.find("}}", at + 2);
        if (end == std::string::npos) break;
        out.append(text, pos, at - pos);
        auto it = values.find(text.substr(at + 2, end - at - 2));
        if (it != values.end()) out += it->second;
        else out.append(text, at, end + 2 - at);
        pos = end + 2;
    }
    out.append(text, pos, std::string::npos);
    return out;
}

}  // namespace sapo::notify
