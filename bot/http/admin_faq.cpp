#include "bot/http/admin_faq.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "bot/http/admin_replies.hpp"
#include "bot/log.hpp"
#include "flows/faq_index.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;
using admin::message;
using admin::not_allowed;
using admin::reply;
using admin::write_string;
using admin::Writer;

namespace {

Response invalid(const Request& req, const std::vector<flows::faq::EntryProblem>& problems) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("message");
    write_string(w, "the FAQ is not valid: " + flows::faq::format_problem(problems.front()) +
                        (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : ""));
    w.Key("problems");
    w.StartArray();
    for (const auto& p : problems) {
        w.StartObject();
        w.Key("index");
        if (p.index < 0) w.Null();
        else w.Int(p.index);
        w.Key("id");
        write_string(w, p.id);
        w.Key("message");
        write_string(w, p.message);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return reply(req, 422, buf.GetString());
}

/// ?days=N (1..365, default 30).
int days_param(const Request& req) {
    auto url = boost::urls::parse_origin_form(std::string_view(req.target().data(), req.target().size()));
    if (!url) return 30;
    auto it = url->params().find("days");
    if (it == url->params().end()) return 30;
    int days = 0;
    const std::string v = (*it).value;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), days);
    if (ec != std::errc{} || p != v.data() + v.size() || days < 1 || days > 365) return -1;
    return days;
}

}  // namespace

Response AdminFaq::handle(const Request& req, const std::string& rest, const std::string& actor) {
    const auto method = req.method();
    if (rest.empty()) {
        if (method == bhttp::verb::get) {
            const auto version = store_.version();
            auto body = flows::faq::entries_json(store_.entries());
            return reply(req, 200, "{\"version\":" + std::to_string(version) + "," + body.substr(1));
        }
        if (method == bhttp::verb::put) return replace(req, actor);
        return not_allowed(req, "GET, PUT");
    }
    if (rest == "/misses") {
        if (method != bhttp::verb::get) return not_allowed(req, "GET");
        return misses(req);
    }
    if (method != bhttp::verb::patch) return not_allowed(req, "PATCH");
    return patch(req, rest.substr(1), actor);
}

Response AdminFaq::replace(const Request& req, const std::string& actor) {
    std::vector<flows::faq::EntryProblem> problems;
    auto entries = flows::faq::parse_entries(req.body(), problems);
    if (!problems.empty()) return invalid(req, problems);
    if (entries.empty()) return message(req, 422, "the FAQ needs at least one entry");
    const auto version = store_.replace(entries, actor);
    log::info("FAQ replaced", {{"entries", std::to_string(entries.size())}, {"version", std::to_string(version)}, {"by", actor}});
    return reply(req, 200, "{\"version\":" + std::to_string(version) + ",\"entries\":" + std::to_string(entries.size()) + "}");
}

Response AdminFaq::patch(const Request& req, const std::string& id, const std::string& actor) {
    auto entries = store_.entries();
    auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.id == id; });
    if (it == entries.end()) return message(req, 404, "no FAQ entry \"" + id + "\"");
    std::vector<flows::faq::EntryProblem> problems;
    *it = flows::faq::parse_entry_patch(req.body(), *it, problems);
    // the changed entry must still fit the set (its question not another entry's)
    if (problems.empty()) flows::faq::check_entries(entries, problems);
    if (!problems.empty()) return invalid(req, problems);
    if (!store_.update(*it, actor)) return message(req, 404, "no FAQ entry \"" + id + "\"");
    return reply(req, 200, flows::faq::entry_json(*it));
}

Response AdminFaq::misses(const Request& req) {
    const int days = days_param(req);
    if (days < 0) return message(req, 422, "days must be a whole number from 1 to 365");
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch() - std::chrono::hours(24 * days)
    )
                           .count();
    auto misses = store_.misses(since, 10000);
    // oldest first: a group's representative, among equally frequent texts, is the first asked
    std::reverse(misses.begin(), misses.end());
    std::vector<std::string> texts;
    texts.reserve(misses.size());
    for (const auto& m : misses) texts.push_back(m.text);
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("days");
    w.Int(days);
    w.Key("total");
    w.Int64(static_cast<std::int64_t>(misses.size()));
    w.Key("groups");
    w.StartArray();
    for (const auto& g : flows::faq::group_similar(texts)) {
        int not_helpful = 0;
        std::string last;
        std::vector<std::string> examples;
        for (auto i : g.members) {
            if (misses[i].reason == "not_helpful") ++not_helpful;
            last = std::max(last, misses[i].at);
            if (examples.size() < 5 && std::find(examples.begin(), examples.end(), misses[i].text) == examples.end()) {
                examples.push_back(misses[i].text);
            }
        }
        w.StartObject();
        w.Key("text");
        write_string(w, g.representative);
        w.Key("count");
        w.Int(static_cast<int>(g.members.size()));
        w.Key("not_helpful");
        w.Int(not_helpful);
        w.Key("last_at");
        write_string(w, last);
        w.Key("examples");
        w.StartArray();
        for (const auto& e : examples) write_string(w, e);
        w.EndArray();
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return reply(req, 200, buf.GetString());
}

}  // namespace sapo::http
