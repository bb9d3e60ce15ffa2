#include "bot/cli/simulate.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <istream>
#include <optional>
#include <ostream>

#include "bot/dispatch/effects.hpp"
#include "bot/dispatch/flow_setup.hpp"
#include "flows/loader.hpp"
#include "flows/memory_source.hpp"

namespace sapo::cli {
namespace {

struct Button {
    std::string label;
    std::string postback_data;  ///< empty: a message action sending `text`
    std::string text;
};

/// Prints one LINE message and returns its quick replies.
std::vector<Button> print_message(const std::string& json, std::ostream& out) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    std::vector<Button> buttons;
    if (d.HasParseError() || !d.IsObject()) return buttons;
    std::string type = d.HasMember("type") && d["type"].IsString() ? d["type"].GetString() : "";
    std::string body;
    if (type == "text" && d.HasMember("text")) {
        body = d["text"].GetString();
    } else {
        body = "(" + type + ") " + (d.HasMember("altText") && d["altText"].IsString() ? d["altText"].GetString() : "");
        if (d.HasMember("template") && d["template"].HasMember("actions")) {
            for (const auto& a : d["template"]["actions"].GetArray()) {
                if (a.HasMember("label") && a.HasMember("uri")) {
                    body += std::string("\n  <") + a["label"].GetString() + ": " + a["uri"].GetString() + ">";
                }
            }
        }
    }
    std::string prefix = "bot> ";
    for (std::size_t start = 0;;) {
        auto nl = body.find('\n', start);
        out << prefix << body.substr(start, nl == std::string::npos ? std::string::npos : nl - start) << "\n";
        prefix = "     ";
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    if (d.HasMember("quickReply")) {
        out << "    ";
        int i = 0;
        for (const auto& item : d["quickReply"]["items"].GetArray()) {
            const auto& a = item["action"];
            Button b;
            b.label = a["label"].GetString();
            if (std::string(a["type"].GetString()) == "postback") b.postback_data = a["data"].GetString();
            else if (a.HasMember("text")) b.text = a["text"].GetString();
            out << " [" << ++i << "] " << b.label;
            buttons.push_back(std::move(b));
        }
        out << "\n";
    }
    return buttons;
}

}  // namespace

int simulate(const SimulateOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
    auto effects = dispatch::all_effects(nullptr);
    auto registry = dispatch::make_flow_registry(effects, {});
    flows::MemoryFlowSource source;
    bool ok = true;
    for (const auto& [file, json] : options.flows) {
        auto loaded = flows::load_flow(json, registry);
        for (const auto& p : loaded.problems) err << flows::format_problem(file, p) << "\n";
        if (!loaded.flow) {
            ok = false;
            continue;
        }
        loaded.flow->version = 1;
        source.publish(std::move(*loaded.flow));
    }
    if (!ok) return 1;
    if (!source.published(options.flow_id)) {
        err << "sapo: no flow \"" << options.flow_id << "\" to simulate\n";
        return 1;
    }

    struct WallClock final : Clock {
        time_point now() const override { return std::chrono::system_clock::now(); }
    } clock;
    flows::Variables globals{
        {"call_center_phone", flows::Value(options.call_center_phone)},
        {"emergency_phone", flows::Value("119")},
        {"profile.language", flows::Value(options.language)},
    };
    flows::StepContext context;
    context.language = options.language;
    context.globals = &globals;
    context.templates = &registry.templates;
    flows::Conversation conversation(source, clock);

    std::optional<flows::Session> session;
    std::vector<Button> buttons;
    auto run = [&](const flows::InboundEvent& event) {
        auto outcome = conversation.handle(event, session, context);
        // effects are printed, not applied; their outputs are the parameters of the same name
        outcome = conversation.complete(
            std::move(outcome),
            [&](const flows::Effect& e) {
                out << "     (effect " << e.name;
                for (const auto& [k, v] : e.params) out << " " << k << "=" << v;
                out << ")\n";
                flows::Variables result;
                if (auto spec = effects.spec(e.name)) {
                    for (const auto& o : spec->outputs) {
                        auto p = e.params.find(o);
                        result[o] = flows::Value(p == e.params.end() ? std::string() : p->second);
                    }
                }
                return result;
            },
            context
        );
        if (!outcome.error.empty()) err << "flow problem: " << outcome.error << "\n";
        session = outcome.session;
        buttons.clear();
        for (const auto& batch : flows::fit_to_replies(outcome.messages)) {
            for (const auto& m : batch) {
                auto b = print_message(m, out);
                if (!b.empty()) buttons = std::move(b);
            }
        }
        if (!session) out << "     (conversation ended)\n";
    };

    // Start as a postback that opens the flow would.
    flows::InboundEvent first;
    first.type = "postback";
    first.source_type = "user";
    first.user_id = "Usimulated";
    first.postback_data = flows::encode_postback({"", 0, "", "", "", options.flow_id});
    run(first);

    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        flows::InboundEvent e;
        e.source_type = "user";
        e.user_id = "Usimulated";
        e.mode = "active";
        out << "you> " << line << "\n";
        if (line == "/follow") {
            e.type = "follow";
        } else if (!line.empty() && line.size() <= 2 &&
                   std::all_of(line.begin(), line.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                   std::stoul(line) >= 1 && std::stoul(line) <= buttons.size()) {
            const auto& b = buttons[std::stoul(line) - 1];
            if (!b.postback_data.empty()) {
                e.type = "postback";
                e.postback_data = b.postback_data;
            } else {
                e.type = "message";
                e.message_type = "text";
                e.text = b.text;
            }
        } else {
            e.type = "message";
            e.message_type = "text";
            // a leading ' sends the rest as typed text ('1 is the text "1", not button 1)
            e.text = line[0] == '\'' ? line.substr(1) : line;
        }
        run(e);
    }
    return 0;
}

}  // namespace sapo::cli
