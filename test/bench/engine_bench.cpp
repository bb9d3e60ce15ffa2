// scripts/bench-engine: engine steps per second, single-threaded, for typical nodes. Pure engine
// work (routing, parsing the answer, rendering the next question to LINE JSON); no database.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "flows/conversation.hpp"
#include "flows/loader.hpp"
#include "flows/memory_source.hpp"

namespace {

using namespace sapo::flows;

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct FixedClock final : sapo::Clock {
    time_point now() const override { return time_point(std::chrono::milliseconds(1'795'231'800'000LL)); }
};

/// The example flow of flows/README.md (temperature, yes/no, branch, template, goto).
std::string readme_example(const std::string& root) {
    auto readme = read(root + "/flows/README.md");
    auto open = readme.find("```json\n", readme.find("## Complete example")) + 8;
    return readme.substr(open, readme.find("```", open) - open);
}

struct Result {
    std::string name;
    double steps_per_s;
    double us_per_step;
};

/// Runs `one` repeatedly for about `seconds`, five times; reports the median rate.
Result measure(const std::string& name, const std::function<void()>& one, double seconds = 0.6) {
    std::vector<double> rates;
    for (int run = 0; run < 5; ++run) {
        long n = 0;
        auto start = std::chrono::steady_clock::now();
        std::chrono::duration<double> elapsed{};
        do {
            for (int i = 0; i < 256; ++i) one();
            n += 256;
            elapsed = std::chrono::steady_clock::now() - start;
        } while (elapsed.count() < seconds);
        rates.push_back(static_cast<double>(n) / elapsed.count());
    }
    std::sort(rates.begin(), rates.end());
    return {name, rates[2], 1e6 / rates[2]};
}

}  // namespace

int main(int argc, char** argv) {
    std::string root = argc > 1 ? argv[1] : SAPO_SOURCE_DIR;
    Registry registry;
    std::vector<std::string> problems;
    auto tpl = load_template(read(root + "/templates/call_center.json"), problems);
    if (!tpl) {
        std::fprintf(stderr, "templates/call_center.json does not load\n");
        return 1;
    }
    registry.templates.emplace(tpl->id, *tpl);
    registry.effects.emplace("user.set_language", EffectSpec{"user.set_language", "", {"language"}, {"language"}});
    registry.globals = {"call_center_phone", "emergency_phone", "profile.language"};

    MemoryFlowSource source;
    for (const auto& json : {read(root + "/flows/definitions/welcome.json"), read(root + "/flows/definitions/main_menu.json"),
                             read(root + "/flows/definitions/language.json"), readme_example(root)}) {
        auto loaded = load_flow(json, registry);
        if (!loaded.flow) {
            std::fprintf(stderr, "a flow does not load: %s\n", loaded.problems.empty() ? "?" : loaded.problems[0].message.c_str());
            return 1;
        }
        loaded.flow->version = 1;
        source.publish(std::move(*loaded.flow));
    }
    FixedClock clock;
    Variables globals{{"call_center_phone", Value("045-000-0000")}, {"emergency_phone", Value("119")},
                      {"profile.language", Value("ja")}};
    StepContext context;
    context.globals = &globals;
    context.templates = &registry.templates;
    Conversation conversation(source, clock);

    auto fever = source.published("fever_check");
    Session at_breath;  // waiting at the yes/no question, temperature already answered
    at_breath.flow_id = "fever_check";
    at_breath.version = 1;
    at_breath.node = "ask_breath";
    at_breath.vars["temperature"] = Value(36.8);
    at_breath.expires_ms = clock.now_ms() + 3'600'000;
    Session at_temperature = at_breath;
    at_temperature.node = "ask_temperature";
    at_temperature.vars.clear();

    auto text_event = [](std::string text) {
        InboundEvent e;
        e.type = "message";
        e.message_type = "text";
        e.mode = "active";
        e.source_type = "user";
        e.user_id = "Ubench";
        e.text = std::move(text);
        return e;
    };
    auto breath_yes = text_event("ﾊｲ、あります");
    auto temperature = text_event("３６度５分");
    InboundEvent menu_tap = text_event("");
    menu_tap.type = "postback";
    menu_tap.message_type.clear();
    menu_tap.postback_data = "f=main_menu&v=1&n=menu&c=faq";
    auto cancel = text_event("キャンセル");

    std::size_t sink = 0;
    std::vector<Result> results;
    // step() alone: the typical node (typed yes/no answer -> branch -> message -> template -> goto -> menu)
    results.push_back(measure("step: typed yes/no answer -> branch, message, template, goto menu", [&] {
        auto r = step(*fever, at_breath, UserInput::typed("ﾊｲ、あります"), context, clock);
        sink += r.messages.size();
    }));
    results.push_back(measure("step: typed temperature (full-width 36 do 5 bu) -> next question", [&] {
        auto r = step(*fever, at_temperature, UserInput::typed("３６度５分"), context, clock);
        sink += r.messages.size();
    }));
    // the whole event: routing + step + LINE JSON of every message (what the dispatcher does in memory)
    auto whole = [&](const InboundEvent& e, const std::optional<Session>& s) {
        auto out = conversation.handle(e, s, context);
        for (const auto& batch : fit_to_replies(out.messages)) sink += batch.size();
    };
    results.push_back(measure("event: yes/no answer, routed, rendered to LINE JSON", [&] { whole(breath_yes, at_breath); }));
    results.push_back(measure("event: temperature answer, routed, rendered", [&] { whole(temperature, at_temperature); }));
    results.push_back(measure("event: menu button (postback), routed, rendered", [&] { whole(menu_tap, std::nullopt); }));
    results.push_back(measure("event: cancel word -> main menu, rendered", [&] { whole(cancel, at_breath); }));

    std::printf("%-66s %14s %10s\n", "engine benchmark (single thread, median of 5)", "steps/s", "us/step");
    for (const auto& r : results) std::printf("%-66s %14.0f %10.2f\n", r.name.c_str(), r.steps_per_s, r.us_per_step);
    return sink == 0 ? 1 : 0;
}
