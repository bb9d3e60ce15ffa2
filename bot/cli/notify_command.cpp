#include "bot/cli/notify_command.hpp"

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <map>

#include "bot/http/admin_notifications.hpp"
#include "bot/notify/service.hpp"
#include "storage/facility_store.hpp"
#include "storage/notification_store.hpp"

namespace sapo::cli {

const char* const kNotifyUsage = R"(usage: sapo notify <command>   (通知: 同じ日時に施設を利用した方へのお知らせ)

  create --facility ID --date YYYY-MM-DD --from HH:MM --to HH:MM --template ID
         [--param NAME=VALUE]...
                     draft a notification to everyone who checked in at the facility from
                     --from up to (not including) --to, Asia/Tokyo; prints the number of
                     people and the texts
  approve ID         approve a draft: its recipients are frozen and the running sapo sends it
                     (another operator than the one who drafted it)
  cancel ID          stop a notification; batches already accepted by LINE stay sent
  status [ID] [--json]
                     one notification's delivery, or the latest 20
  templates          the notification templates and their parameters

options:
  --as NAME          who is acting, for the audit log and the two-person rule (default: $USER)
)";

namespace {

struct Args {
    std::vector<std::string> words;
    std::map<std::string, std::string> options;
    std::vector<std::pair<std::string, std::string>> params;
    bool json = false;
};

std::optional<Args> parse(const std::vector<std::string>& in, std::string& error) {
    static const std::map<std::string, bool> kOptions{{"--facility", true}, {"--date", true}, {"--from", true},
                                                      {"--to", true},       {"--template", true}, {"--as", true},
                                                      {"--param", true},    {"--json", false}};
    Args a;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto& w = in[i];
        if (w.rfind("--", 0) != 0 || w == "--help") {
            a.words.push_back(w);
            continue;
        }
        auto known = kOptions.find(w);
        if (known == kOptions.end()) {
            error = "unknown option " + w;
            return std::nullopt;
        }
        if (!known->second) {
            a.json = true;
            continue;
        }
        if (i + 1 >= in.size()) {
            error = w + " needs a value";
            return std::nullopt;
        }
        const auto& v = in[++i];
        if (w == "--param") {
            auto eq = v.find('=');
            if (eq == std::string::npos || eq == 0) {
                error = "--param takes NAME=VALUE, e.g. --param phone=03-1234-5678";
                return std::nullopt;
            }
            a.params.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        } else {
            a.options[w] = v;
        }
    }
    return a;
}

std::optional<std::int64_t> parse_id(const std::string& s) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc{} || p != s.data() + s.size() || id <= 0) return std::nullopt;
    return id;
}

std::string actor(const Args& a) {
    auto as = a.options.find("--as");
    if (as != a.options.end()) return "cli:" + as->second;
    const char* user = std::getenv("USER");
    return std::string("cli:") + (user && *user ? user : "unknown");
}

void print_summary(const storage::NotificationRecord& n, std::int64_t targets) {
    std::cout << "notification " << n.id << ": " << n.status << " | " << n.facility_name << " (facility "
              << n.facility_id << "), " << n.window_date << " " << n.window_from << "-" << n.window_to << ", template "
              << n.template_id << "\n  targets " << targets << (n.targets ? "" : " (now; frozen at approval)") << ", sent "
              << n.sent << ", failed " << n.failed << "; batches " << n.batches.total << ": " << n.batches.accepted
              << " accepted, " << n.batches.pending << " pending, " << n.batches.failed << " failed, "
              << n.batches.cancelled << " cancelled\n  drafted by " << n.requested_by
              << (n.approved_by.empty() ? "" : ", approved by " + n.approved_by)
              << (n.cancelled_by.empty() ? "" : ", cancelled by " + n.cancelled_by) << "\n";
}

int refused(const notify::ActionResult& r) {
    std::cerr << "sapo notify: " << r.message << "\n";
    return 1;
}

}  // namespace

int notify_command(const std::vector<std::string>& raw, const std::function<Config()>& load) {
    std::string error;
    auto args = parse(raw, error);
    if (!args || args->words.empty()) {
        if (!error.empty()) std::cerr << "sapo notify: " << error << "\n";
        std::cerr << kNotifyUsage;
        return 2;
    }
    const auto& cmd = args->words[0];
    if (cmd == "--help" || cmd == "help") {
        std::cout << kNotifyUsage;
        return 0;
    }
    if (cmd == "templates") {
        for (const auto& [id, t] : notify::shipped_notification_templates()) {
            std::cout << id << ": " << t.title_ja << " / " << t.title_en << "\n";
            for (const auto& p : t.params) {
                std::cout << "  --param " << p.name << "=...  " << p.description_ja << " / " << p.description_en << "\n";
            }
        }
        return 0;
    }
    if (cmd != "create" && cmd != "approve" && cmd != "cancel" && cmd != "status") {
        std::cerr << "sapo notify: unknown command \"" << cmd << "\"\n" << kNotifyUsage;
        return 2;
    }
    std::optional<std::int64_t> id;
    if (cmd != "create" && args->words.size() > 1) {
        id = parse_id(args->words[1]);
        if (!id) {
            std::cerr << "sapo notify: \"" << args->words[1] << "\" is not a notification id\n";
            return 2;
        }
    }
    if ((cmd == "approve" || cmd == "cancel") && !id) {
        std::cerr << "sapo notify: " << cmd << " needs the notification id\n";
        return 2;
    }

    const Config config = load();
    auto store = storage::make_pg_notification_store(config.database_url);
    auto facilities = storage::make_pg_facility_store(config.database_url);
    struct WallClock final : Clock {
        time_point now() const override { return std::chrono::system_clock::now(); }
    } clock;
    notify::NotificationService service(
        *store, *facilities, clock,
        {config.notify_two_person_rule, {config.checkin_retention_days, config.call_center_phone}}
    );

    if (cmd == "create") {
        notify::DraftRequest r;
        auto opt = [&](const char* name) {
            auto it = args->options.find(name);
            return it == args->options.end() ? std::string() : it->second;
        };
        auto facility = parse_id(opt("--facility"));
        if (!facility) {
            std::cerr << "sapo notify: create needs --facility ID (a facility's number)\n";
            return 2;
        }
        r.facility_id = *facility;
        r.date = opt("--date");
        r.from = opt("--from");
        r.to = opt("--to");
        r.template_id = opt("--template");
        for (const auto& [name, value] : args->params) r.params[name] = value;
        r.requested_by = actor(*args);
        auto result = service.create(r);
        if (!result.problems.empty()) {
            for (const auto& p : result.problems) std::cerr << "sapo notify: " << p.field << ": " << p.message << "\n";
            return 1;
        }
        print_summary(*result.record, result.targets);
        std::cout << "--- ja ---\n" << result.record->text_ja << "\n--- en ---\n" << result.record->text_en << "\n";
        std::cout << "approve it as another operator: sapo notify approve " << result.record->id << " --as NAME\n";
        return 0;
    }
    if (cmd == "approve" || cmd == "cancel") {
        auto result = cmd == "approve" ? service.approve(*id, actor(*args)) : service.cancel(*id, actor(*args));
        if (result.kind != notify::ActionResult::Kind::ok) return refused(result);
        print_summary(*result.record, service.targets(*result.record));
        return 0;
    }
    // status
    if (id) {
        auto n = service.get(*id);
        if (!n) {
            std::cerr << "sapo notify: there is no notification " << *id << "\n";
            return 1;
        }
        if (args->json) std::cout << http::notification_json(*n, service.targets(*n)) << "\n";
        else print_summary(*n, service.targets(*n));
        return 0;
    }
    for (const auto& n : service.list(20)) print_summary(n, service.targets(n));
    return 0;
}

}  // namespace sapo::cli
