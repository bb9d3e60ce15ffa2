#include "flows/faq_entries.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <set>
#include <utility>

#include "flows/value.hpp"

namespace sapo::flows::faq {
namespace {

constexpr std::size_t kMaxQuestion = 200;   // bytes
constexpr std::size_t kMaxAnswer = 4000;    // bytes: well inside LINE's 5,000 characters
constexpr std::size_t kMaxPhrasings = 30;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    }
    return true;
}

bool valid_url(const std::string& s) {
    if (s.rfind("https://", 0) != 0 || s.size() <= 8 || s.size() > 1000) return false;
    for (unsigned char c : s) {
        if (c <= 0x20 || c == 0x7f) return false;
    }
    return true;
}

bool text_ok(const std::string& s, std::size_t max) { return !s.empty() && s.size() <= max && is_valid_utf8(s); }

/// Reads the fields present in `v` into `e`; problems name the entry.
void read_fields(const rapidjson::Value& v, Entry& e, int index, std::vector<EntryProblem>& problems) {
    auto problem = [&](const std::string& m) { problems.push_back({index, e.id, m}); };
    static const std::set<std::string> kFields{"id", "category", "question", "phrasings", "answer", "links", "enabled"};
    for (const auto& m : v.GetObject()) {
        if (!kFields.count(m.name.GetString())) {
            problem(std::string("unknown field \"") + m.name.GetString() +
                    "\"; use id, category, question, phrasings, answer, links, enabled");
        }
    }
    auto text = [&](const char* key, std::string& out) {
        if (!v.HasMember(key)) return;
        if (!v[key].IsString()) problem(std::string(key) + " must be text");
        else out.assign(v[key].GetString(), v[key].GetStringLength());
    };
    text("id", e.id);
    text("category", e.category);
    text("question", e.question);
    if (v.HasMember("phrasings")) {
        if (!v["phrasings"].IsArray()) problem("phrasings must be a list of texts");
        else {
            e.phrasings.clear();
            for (const auto& p : v["phrasings"].GetArray()) {
                if (!p.IsString()) problem("phrasings must be a list of texts");
                else e.phrasings.emplace_back(p.GetString(), p.GetStringLength());
            }
        }
    }
    if (v.HasMember("answer")) {
        const auto& a = v["answer"];
        if (!a.IsObject()) {
            problem("answer must be {\"ja\": text, \"en\": text}");
        } else {
            // each language on its own, so that a missing one is reported and the other is not
            for (auto [key, out] : {std::pair<const char*, std::string*>{"ja", &e.answer_ja}, {"en", &e.answer_en}}) {
                out->clear();
                if (!a.HasMember(key)) continue;
                if (!a[key].IsString()) problem(std::string("answer.") + key + " must be text");
                else out->assign(a[key].GetString(), a[key].GetStringLength());
            }
        }
    }
    if (v.HasMember("links")) {
        if (!v["links"].IsArray()) problem("links must be a list of {\"label\", \"url\"}");
        else {
            e.links.clear();
            for (const auto& l : v["links"].GetArray()) {
                if (!l.IsObject() || !l.HasMember("label") || !l["label"].IsString() || !l.HasMember("url") ||
                    !l["url"].IsString()) {
                    problem("links must be a list of {\"label\", \"url\"}");
                    continue;
                }
                e.links.push_back({l["label"].GetString(), l["url"].GetString()});
            }
        }
    }
    if (v.HasMember("enabled")) {
        if (!v["enabled"].IsBool()) problem("enabled must be true or false");
        else e.enabled = v["enabled"].GetBool();
    }
}

void check_entry(const Entry& e, int index, std::vector<EntryProblem>& problems) {
    auto problem = [&](const std::string& m) { problems.push_back({index, e.id, m}); };
    if (!valid_id(e.id)) problem("id must be 1 to 64 characters of a-z, 0-9, - and _");
    if (!text_ok(e.category, 100)) problem("category is required (UTF-8 text, at most 100 bytes)");
    if (!text_ok(e.question, kMaxQuestion)) problem("question is required (UTF-8 text, at most 200 bytes)");
    if (e.phrasings.size() > kMaxPhrasings) problem("at most 30 phrasings");
    for (const auto& p : e.phrasings) {
        if (!text_ok(p, kMaxQuestion)) problem("each phrasing must be UTF-8 text of 1 to 200 bytes");
    }
    if (!text_ok(e.answer_ja, kMaxAnswer)) problem("answer.ja is required (UTF-8 text, at most 4000 bytes)");
    if (!text_ok(e.answer_en, kMaxAnswer)) problem("answer.en is required (UTF-8 text, at most 4000 bytes)");
    for (const auto& l : e.links) {
        if (!text_ok(l.label, 100)) problem("a link's label must be UTF-8 text of 1 to 100 bytes");
        if (!valid_url(l.url)) problem("a link's url must be an https:// address without spaces");
    }
}

void write_string(Writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void write_entry(Writer& w, const Entry& e) {
    w.StartObject();
    w.Key("id");
    write_string(w, e.id);
    w.Key("category");
    write_string(w, e.category);
    w.Key("question");
    write_string(w, e.question);
    w.Key("phrasings");
    w.StartArray();
    for (const auto& p : e.phrasings) write_string(w, p);
    w.EndArray();
    w.Key("answer");
    w.StartObject();
    w.Key("ja");
    write_string(w, e.answer_ja);
    w.Key("en");
    write_string(w, e.answer_en);
    w.EndObject();
    w.Key("links");
    w.StartArray();
    for (const auto& l : e.links) {
        w.StartObject();
        w.Key("label");
        write_string(w, l.label);
        w.Key("url");
        write_string(w, l.url);
        w.EndObject();
    }
    w.EndArray();
    w.Key("enabled");
    w.Bool(e.enabled);
    w.EndObject();
}

}  // namespace

void check_entries(const std::vector<Entry>& entries, std::vector<EntryProblem>& problems) {
    std::set<std::string> ids;
    std::set<std::string> questions;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        const int index = static_cast<int>(i);
        check_entry(e, index, problems);
        if (!ids.insert(e.id).second) problems.push_back({index, e.id, "id \"" + e.id + "\" is used by an earlier entry"});
        if (!questions.insert(e.question).second) {
            problems.push_back({index, e.id, "the same question is asked by an earlier entry"});
        }
    }
}

std::vector<Entry> parse_entries(std::string_view json, std::vector<EntryProblem>& problems) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("entries") || !doc["entries"].IsArray()) {
        problems.push_back({-1, "", "the body must be a UTF-8 JSON object {\"entries\": [...]}"});
        return {};
    }
    const auto before = problems.size();
    std::vector<Entry> entries;
    int index = 0;
    for (const auto& v : doc["entries"].GetArray()) {
        Entry e;
        if (!v.IsObject()) problems.push_back({index, "", "an entry must be a JSON object"});
        else read_fields(v, e, index, problems);
        entries.push_back(std::move(e));
        ++index;
    }
    check_entries(entries, problems);
    if (problems.size() != before) return {};
    return entries;
}

Entry parse_entry_patch(std::string_view json, const Entry& base, std::vector<EntryProblem>& problems) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        problems.push_back({-1, base.id, "the body must be a UTF-8 JSON object"});
        return base;
    }
    Entry e = base;
    read_fields(doc, e, -1, problems);
    if (e.id != base.id) problems.push_back({-1, base.id, "id can't be changed (replace the set with PUT to rename)"});
    check_entry(e, -1, problems);
    return e;
}

std::string entries_json(const std::vector<Entry>& entries) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("entries");
    w.StartArray();
    for (const auto& e : entries) write_entry(w, e);
    w.EndArray();
    w.EndObject();
    return buf.GetString();
}

std::string entry_json(const Entry& e) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    write_entry(w, e);
    return buf.GetString();
}

std::string format_problem(const EntryProblem& p) {
    if (p.index < 0 && p.id.empty()) return p.message;
    std::string where = p.index >= 0 ? "entry " + std::to_string(p.index) : "entry";
    if (!p.id.empty()) where += " (" + p.id + ")";
    return where + ": " + p.message;
}

}  // namespace sapo::flows::faq
