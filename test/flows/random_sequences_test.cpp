// Thousands of random events against the shipped flows and a flow that uses every input type:
// whatever a user (or a forger of postback data) sends, in whatever order and after whatever
// pause, the conversation must stay consistent and everything it says must be sendable to LINE.

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flow_test_support.hpp"
#include "flows/normalize.hpp"

using namespace flowtest;

namespace {

constexpr std::uint32_t kSeed = 20261121;
constexpr int kSteps = 6000;

const char* kEveryInputFlow = R"({"schema_version": 1, "id": "every_input", "start": "pick", "on_invalid": "help",
  "triggers": {"keywords": ["テスト", "test"]},
  "nodes": {
    "pick": {"type": "ask", "text": {"ja": "果物は？", "en": "Fruit?"}, "input": "choice", "var": "pick", "skippable": true,
             "choices": [{"value": "ja", "label": {"ja": "りんご", "en": "Apple"}, "synonyms": ["ringo"]},
                         {"value": "en", "label": {"ja": "バナナ", "en": "Banana"}},
                         {"value": "ko", "label": {"ja": "とても長い名前の果物はこちらですよ", "en": "Long-named fruit"}}],
             "next": "yn"},
    "yn": {"type": "ask", "text": {"ja": "熱はありますか？", "en": "Fever?"}, "input": "yes_no", "var": "yn", "next": "num"},
    "num": {"type": "ask", "text": {"ja": "年齢は？"}, "input": "number", "var": "num", "min": 0, "max": 120,
            "units": ["歳", "才"], "max_invalid": 2, "next": "temp"},
    "temp": {"type": "ask", "text": {"ja": "体温は？"}, "input": "temperature", "var": "temp", "confirm_at_or_above": 40, "next": "zip"},
    "zip": {"type": "ask", "text": {"ja": "郵便番号は？"}, "input": "postal_code", "var": "zip", "skippable": true, "next": "when"},
    "when": {"type": "ask", "text": {"ja": "いつから？"}, "input": "date", "var": "when", "next": "note"},
    "note": {"type": "ask", "text": {"ja": "ひとことどうぞ"}, "input": "text", "var": "note", "max_length": 20, "next": "save"},
    "save": {"type": "effect", "effect": "user.set_language", "params": {"language": "{{pick}}"}, "result_var": "r", "next": "log"},
    "log": {"type": "effect", "effect": "health.save", "params": {"temp": "{{temp}}", "zip": "{{zip}}"}, "next": "route"},
    "route": {"type": "branch", "cases": [{"if": {"==": [{"var": "yn"}, "yes"]}, "next": "bye_yes"}], "else": "back"},
    "bye_yes": {"type": "end", "text": {"ja": "{{note}} / {{r.language}} / {{num}} / {{temp}} / {{when}}"}},
    "back": {"type": "goto", "flow": "main_menu"},
    "help": {"type": "message", "text": {"ja": "お困りですか？ {{call_center_phone}}"}, "next": "back"}
  }})";

const char* kFaqEcho = R"({"schema_version": 1, "id": "faq", "start": "answer", "nodes": {
    "answer": {"type": "end", "text": {"ja": "FAQ: {{trigger.text}}"}}}})";

std::vector<std::string> text_pool() {
    std::vector<std::string> pool{
        // answers
        "はい", "いいえ", "わからない", "ある", "なし", "ﾊｲ", "35歳", "３５", "200", "-1", "36度5分", "365", "40.5", "45",
        "〒231-0023", "2310023", "今日", "昨日", "11月3日", "2/30", "りんご", "ＡＰＰＬＥ", "バナナ", "ringo",
        "熱があります", "あいうえおかきくけこさしすせそたちつてとなにぬねの",
        // menu items and triggers
        "チェックイン", "体調の相談", "健康観察", "よくある質問", "English", "ＥＮＧＬＩＳＨ", "日本語", "言語", "help",
        "ヘルプ", "テスト", "test", "language",
        // cancel words
        "やめる", "ｷｬﾝｾﾙ", "メニュー", "cancel", "MENU",
        // junk
        "asdf", "???", "。", "😀", "👍🏻", "👨‍👩‍👧", "", " ", "\u3000", "{{call_center_phone}}", "{{", "}}", "\"}]}\\",
        "\x01\x02\n\t", "<script>alert(1)</script>", "f=main_menu&v=1&n=menu&c=checkin",
        // invalid UTF-8
        "\xff\xfe", "abc\xc3", "\xed\xa0\x80", "\xe3\x81", "\xf0\x9f\x98",
    };
    pool.push_back(std::string(6000, 'a'));
    std::string long_ja;
    for (int i = 0; i < 3000; ++i) long_ja += "あ";
    pool.push_back(long_ja);
    std::string long_emoji;
    for (int i = 0; i < 2600; ++i) long_emoji += "😀";
    pool.push_back(long_emoji);
    return pool;
}

std::vector<std::string> garbage_postbacks() {
    return {
        "", "garbage", "=", "&&&", "f=", "f=&v=1&n=q", "f=every_input&v=999&n=pick&c=ja", "f=every_input&v=1&n=nope&c=ja",
        "f=every_input&v=1&n=temp&c=yes&k=confirm", "f=every_input&v=1&n=temp&c=maybe&k=confirm",
        "f=every_input&v=1&n=yn&c=&k=skip", "f=every_input&v=1&n=pick&c=&k=skip", "f=every_input&v=1&n=num&c=35",
        "f=every_input&v=1&n=save&c=x", "f=every_input&v=1&n=help&c=x", "f=main_menu&v=1&n=menu&c=nope",
        "f=main_menu&v=1&n=route&c=language", "f=main_menu&v=-1&n=menu&c=faq", "f=main_menu&v=99999999999&n=menu&c=faq",
        "f=language&v=x&n=ask_language&c=en", "m=", "m=nope", "m=every_input", "m=welcome", "m=main_menu", "%", "%4", "%zz",
        "f=%E3%81%82&v=1&n=%FF&c=%00", "f=language&v=1&n=ask_language&c=en&k=", "action=buy&itemid=1",
        std::string("f=language&v=1&n=ask_language&c=") + std::string(400, 'x'),
    };
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

/// Everything LINE would refuse, as a list of sentences ("" when all is well).
std::string line_problems(const std::vector<OutMessage>& messages, bool strict_utf8) {
    std::string out;
    for (const auto& m : messages) {
        const auto json = to_line_json(m);
        rapidjson::Document d;
        if (strict_utf8) {
            d.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str(), json.size());
        } else {
            d.Parse(json.c_str(), json.size());
        }
        if (d.HasParseError() || !d.IsObject()) {
            out += "not valid JSON: " + json.substr(0, 200) + "\n";
            continue;
        }
        if (!d.HasMember("type") || !d["type"].IsString()) out += "no type: " + json.substr(0, 200) + "\n";
        if (m.is_text()) {
            if (!d.HasMember("text") || !d["text"].IsString()) {
                out += "a text message without text\n";
            } else if (text_length(std::string_view(d["text"].GetString(), d["text"].GetStringLength())) > kMaxTextLength) {
                out += "text over 5,000 UTF-16 units\n";
            }
        }
        if (d.HasMember("quickReply")) {
            const auto& items = d["quickReply"]["items"];
            if (!items.IsArray() || items.Empty()) out += "quickReply without items\n";
            if (items.IsArray() && items.Size() > kMaxQuickReplies) out += "more than 13 quick replies\n";
            if (items.IsArray()) {
                for (const auto& item : items.GetArray()) {
                    const auto& label = item["action"]["label"];
                    if (!label.IsString() || label_length(label.GetString()) > kMaxLabelLength) {
                        out += "a label over 20 characters: " + std::string(label.IsString() ? label.GetString() : "?") + "\n";
                    }
                    if (item["action"].HasMember("data")) {
                        const auto& data = item["action"]["data"];
                        if (!data.IsString() || data.GetStringLength() > kMaxPostbackData) out += "postback data over 300\n";
                    }
                }
            }
        }
    }
    for (const auto& batch : fit_to_replies(messages)) {
        if (batch.empty() || batch.size() > kMaxMessagesPerReply) out += "a batch of " + std::to_string(batch.size()) + "\n";
        for (const auto& json : batch) {
            rapidjson::Document d;
            d.Parse(json.c_str(), json.size());
            if (d.HasParseError()) out += "a batch entry is not JSON\n";
        }
    }
    return out;
}

/// What is wrong with the kept session ("" when all is well).
std::string session_problems(const FlowSource& source, const Outcome& out) {
    if (!out.session) return out.awaiting_effect ? "awaiting an effect without a session" : "";
    const Session& s = *out.session;
    auto flow = source.version(s.flow_id, s.version);
    if (!flow) return "the session's flow " + s.flow_id + " v" + std::to_string(s.version) + " is not in the source";
    const Node* n = flow->node(s.node);
    if (!n) return "the session's node " + s.node + " is not in " + s.flow_id;
    switch (s.waiting) {
        case Session::Waiting::input:
        case Session::Waiting::confirm:
            if (n->type != NodeType::ask) return "waiting for input at a " + std::string(node_type_name(n->type)) + " node";
            if (s.waiting == Session::Waiting::confirm && !n->confirm_at_or_above) return "confirming at a node without confirmation";
            if (out.awaiting_effect) return "awaiting an effect while waiting for input";
            break;
        case Session::Waiting::effect:
            if (n->type != NodeType::effect) return "waiting for an effect at a " + std::string(node_type_name(n->type)) + " node";
            break;
    }
    return "";
}

}  // namespace

TEST_CASE("random event sequences keep the conversation consistent", "[unit][flows][random]") {
    INFO("seed " << kSeed);
    std::mt19937 rng(kSeed);
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    auto chance = [&](int percent) { return std::uniform_int_distribution<int>(1, 100)(rng) <= percent; };

    MemoryFlowSource source;
    for (auto& f : shipped_flows()) source.publish(std::move(f));
    source.publish(load_ok(kEveryInputFlow, registry_with_flow_ids({"welcome", "main_menu", "language", "every_input", "faq"})));
    source.publish(load_ok(kFaqEcho));
    FixedClock clock(fixed_now_ms());
    Conversation conversation(source, clock);

    const auto texts_pool = text_pool();
    const auto garbage = garbage_postbacks();
    const std::vector<std::string> languages{"ja", "en", "en-US", "ko", ""};
    const std::vector<std::string> effect_languages{"en", "ja", "ko", "", "en-US"};
    const std::vector<std::string> other_types{"join", "leave", "beacon", "accountLink", "videoPlayComplete", ""};
    const std::vector<std::string> non_text{"image", "sticker", "video", "audio", "location", "file", ""};
    const std::vector<const Variables*> globals{&globals_with_phone(), &globals_without_phone(), nullptr};

    std::optional<Session> session;
    Outcome last;
    std::vector<std::string> old_buttons;  // every postback data ever shown
    std::string language = "ja";
    std::map<std::string, int> routes;
    int resumed = 0, gave_up_texts = 0, steps = 0, events = 0;
    const auto started = std::chrono::steady_clock::now();

    for (int i = 0; i < kSteps; ++i) {
        ++steps;
        StepContext c = context(language, globals[pick(globals.size())]);
        const bool vars_clean = !session || valid_utf8(to_json(session->vars));
        InboundEvent e;
        std::string what;
        Outcome out;
        bool handled = true;
        const int roll = static_cast<int>(pick(100));
        if (last.awaiting_effect && last.session && chance(80)) {
            // the service applied the effects and hands their outputs back
            Variables result;
            if (chance(85)) result["language"] = Value(effect_languages[pick(effect_languages.size())]);
            if (chance(10)) result["extra"] = Value(3);
            what = "resume with " + to_json(result);
            try {
                out = conversation.resume(last, result, c);
            } catch (const std::exception& ex) {
                FAIL("step " << i << " (" << what << ") threw: " << ex.what());
            }
            ++resumed;
            auto lang = result.find("language");
            if (lang != result.end() && !lang->second.as_string().empty()) language = lang->second.as_string();
        } else {
            if (roll < 3) {
                e = typed_event("follow");
            } else if (roll < 5) {
                e = typed_event("unfollow");
            } else if (roll < 7) {
                e = typed_event(other_types[pick(other_types.size())]);
            } else if (roll < 12) {
                e = typed_event("message", non_text[pick(non_text.size())]);
            } else if (roll < 17) {
                // time passes: a minute, past a flow's timeout, past the menu's day
                const std::int64_t minutes[] = {1, 29, 31, 61, 24 * 60 + 1, 3 * 24 * 60};
                clock.advance_minutes(minutes[pick(6)]);
                handled = false;
                what = "clock now " + std::to_string(clock.now_ms());
            } else if (roll < 20) {
                language = languages[pick(languages.size())];
                handled = false;
                what = "language " + language;
            } else if (roll < 55) {
                e = text_event(texts_pool[pick(texts_pool.size())]);
            } else if (roll < 80) {
                // a button of the last message that has some, else any old one
                std::vector<std::string> current;
                for (auto it = last.messages.rbegin(); it != last.messages.rend() && current.empty(); ++it) {
                    for (const auto& q : it->quick_replies) current.push_back(q.postback_data.empty() ? q.label : q.postback_data);
                }
                if (!current.empty() && chance(85)) {
                    e = postback_event(current[pick(current.size())]);
                } else if (!old_buttons.empty()) {
                    e = postback_event(old_buttons[pick(old_buttons.size())]);
                } else {
                    e = postback_event("m=main_menu");
                }
            } else if (roll < 90) {
                e = postback_event(garbage[pick(garbage.size())]);
            } else {
                // random bytes as postback data or text
                std::string bytes(pick(40), '\0');
                for (auto& b : bytes) b = static_cast<char>(pick(256));
                e = chance(50) ? postback_event(bytes) : text_event(bytes);
            }
            if (handled) {
                what = e.type + "/" + e.message_type + " text=" + e.text.substr(0, 60) + " data=" + e.postback_data.substr(0, 80);
                try {
                    out = conversation.handle(e, session, c);
                } catch (const std::exception& ex) {
                    FAIL("step " << i << " (" << what << ") threw: " << ex.what());
                }
            }
        }
        if (!handled) continue;
        ++events;

        INFO("step " << i << ": " << what << "\nbefore: " << serialize(session) << "\nafter: " << serialize(out.session)
                     << "\nroute " << out.route << "\nsaid: " << serialize(out.messages).substr(0, 2000));
        routes[out.route]++;
        const bool strict = valid_utf8(e.text) && vars_clean;
        const auto line = line_problems(out.messages, strict);
        if (!line.empty()) FAIL(line);
        const auto state = session_problems(source, out);
        if (!state.empty()) FAIL(state);
        if (!out.error.empty()) FAIL("error: " << out.error);
        if (out.session) {
            if (out.route != "ignored" && out.session->expires_ms <= clock.now_ms()) FAIL("a new or kept session has already expired");
            if (out.session->invalid_count < 0 || out.session->invalid_count >= 10) FAIL("invalid_count " << out.session->invalid_count);
        }
        for (const auto& m : out.messages) {
            if (contains(m.text, "うまくお答えを受け取れませんでした")) ++gave_up_texts;
            for (const auto& q : m.quick_replies) {
                if (!q.postback_data.empty()) old_buttons.push_back(q.postback_data);
            }
        }
        if (old_buttons.size() > 400) old_buttons.erase(old_buttons.begin(), old_buttons.begin() + 200);
        session = out.session;
        last = out;
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    std::string summary;
    for (const auto& [route, n] : routes) summary += route + "=" + std::to_string(n) + " ";
    WARN("random sequences: seed " << kSeed << ", " << steps << " steps, " << events << " events handled ("
                                   << resumed << " effect results), " << gave_up_texts << " gave up, in " << ms
                                   << " ms; routes: " << summary);
    CHECK(steps == kSteps);
    CHECK(events >= 5000);
    // the generator really reached the interesting places
    CHECK(routes["answer"] > 500);
    CHECK(routes["stale"] > 50);
    CHECK(routes["reentrant"] > 10);
    CHECK(routes["cancel"] > 50);
    CHECK(routes["timed_out"] > 0);
    CHECK(routes["keyword"] > 50);
    CHECK(routes["faq"] > 50);
    CHECK(routes["follow"] > 50);
    CHECK(resumed > 20);
    CHECK(gave_up_texts > 0);
}
