#include "bot/http/admin_support.hpp"

#include <algorithm>
#include <sstream>

#include "bot/http/admin_replies.hpp"
#include "bot/support/summary.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;
using admin::message;
using admin::not_allowed;
using admin::query_param;
using admin::reply;
using admin::write_string;
using admin::Writer;

namespace {

/// The longest period one summary may cover.
constexpr std::int64_t kMaxDays = 366;

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

Response AdminSupport::handle(const Request& req, const std::string& rest) {
    if (rest != "summary" && rest != "summary.csv") {
        return message(req, 404, "not found; use /admin/api/questionnaire/summary or summary.csv");
    }
    if (req.method() != bhttp::verb::get) return not_allowed(req, "GET");
    const auto today = flows::tokyo_date(clock_.now_ms());
    const auto from_text = query_param(req, "from").value_or(flows::iso_date(flows::civil_from_days(flows::days_from_civil(today) - 29)));
    const auto to_text = query_param(req, "to").value_or(flows::iso_date(today));
    auto from = flows::parse_iso_date(from_text);
    auto to = flows::parse_iso_date(to_text);
    if (!from || !to) return message(req, 400, "from and to must be dates as YYYY-MM-DD (Asia/Tokyo), e.g. ?from=2026-11-01&to=2026-11-30");
    if (*to < *from) return message(req, 400, "to (" + to_text + ") is before from (" + from_text + ")");
    if (flows::days_from_civil(*to) - flows::days_from_civil(*from) >= kMaxDays) {
        return message(req, 400, "a summary covers at most " + std::to_string(kMaxDays) + " days");
    }
    std::vector<std::string> dimensions;
    {
        const std::string group_by = query_param(req, "group_by").value_or("outcome");
        if (!group_by.empty() && group_by.back() == ',') return message(req, 400, "group_by ends with a comma");
        std::stringstream in(group_by);
        std::string d;
        while (std::getline(in, d, ',')) {
            if (d != "day" && d != "area" && d != "outcome") {
                return message(req, 400, "group_by takes day, area and outcome (one, or several joined by commas), not \"" + d + "\"");
            }
            if (std::find(dimensions.begin(), dimensions.end(), d) != dimensions.end()) {
                return message(req, 400, "group_by names \"" + d + "\" twice");
            }
            dimensions.push_back(d);
        }
        if (dimensions.empty()) return message(req, 400, "group_by takes day, area and outcome");
    }
    const auto table = support::publish(store_.summary(from_text, to_text, dimensions));
    if (rest == "summary.csv") {
        std::string out = "\xEF\xBB\xBF";  // BOM: spreadsheets read UTF-8 only with it
        for (const auto& d : dimensions) out += d + ",";
        out += "count\r\n";
        for (const auto& c : table.cells) {
            for (const auto& k : c.keys) out += csv_cell(k) + ",";
            out += (c.suppressed ? std::string("<") + std::to_string(support::kMinPublishedCount) : std::to_string(c.count)) + "\r\n";
        }
        auto res = reply(req, 200, out);
        res.set(bhttp::field::content_type, "text/csv; charset=utf-8");
        res.set(bhttp::field::content_disposition, "attachment; filename=\"questionnaire-" + from_text + "-" + to_text + ".csv\"");
        return res;
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("from");
    write_string(w, from_text);
    w.Key("to");
    write_string(w, to_text);
    w.Key("group_by");
    w.StartArray();
    for (const auto& d : dimensions) write_string(w, d);
    w.EndArray();
    w.Key("min_count");
    w.Int64(support::kMinPublishedCount);
    w.Key("total");
    if (table.total_suppressed) w.Null();
    else w.Int64(table.total);
    w.Key("rows");
    w.StartArray();
    for (const auto& c : table.cells) {
        w.StartObject();
        for (std::size_t i = 0; i < dimensions.size(); ++i) {
            w.Key(dimensions[i].c_str());
            write_string(w, c.keys[i]);
        }
        w.Key("count");
        if (c.suppressed) w.Null();
        else w.Int64(c.count);
        w.Key("suppressed");
        w.Bool(c.suppressed);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return reply(req, 200, buf.GetString());
}

}  // namespace sapo::http
