// The chat page (GET /dev/chat) in a real headless Chromium, driven over the W3C WebDriver
// protocol through Debian's chromedriver: a person's path through local mode — create a test
// user, follow, see the welcome and its quick replies, tap one, type a message — with every
// event going through the page's signed POST to the production /webhook.
//
// Needs /usr/bin/chromium and /usr/bin/chromedriver (scripts/setup installs them) and the test
// Postgres (SAPO_TEST_DATABASE_URL); without either the test warns and does nothing.
// A screenshot of the page is written to /tmp/sapo-chat.png at the end, pass or fail.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test/support/harness.hpp"

using namespace sapo::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kChromedriver = "/usr/bin/chromedriver";
constexpr const char* kScreenshotPath = "/tmp/sapo-chat.png";
/// The W3C web element identifier key.
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

std::string json_quote(const std::string& s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    return {buf.GetString(), buf.GetSize()};
}

std::string base64_decode(const std::string& in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    out.reserve(in.size() * 3 / 4);
    unsigned int acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = value(c);
        if (v < 0) continue;  // '=', newlines
        acc = (acc << 6) | static_cast<unsigned int>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

bool is_stale(const std::exception& e) {
    return std::string(e.what()).find("stale element reference") != std::string::npos;
}

/// Polls `done` every 100 ms until it is true or `timeout` passes (WebDriver calls are not free).
/// An element the page redrew between finding and reading it (a stale reference) counts as
/// "not yet".
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        try {
            if (done()) return true;
        } catch (const std::runtime_error& e) {
            if (!is_stale(e)) throw;
        }
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(100ms);
    }
}

/// chromedriver in its own process group on a free port; the group (chromedriver and the
/// browsers it started) is terminated on destruction.
class ChromeDriverProcess {
public:
    ChromeDriverProcess() : port_(free_port()) {
        log_path_ = "/tmp/sapo-chromedriver-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".log";
        std::string port_arg = "--port=" + std::to_string(port_);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::setpgid(0, 0);
            int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execl(kChromedriver, kChromedriver, port_arg.c_str(), "--log-level=WARNING", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);  // also from the parent, so the group exists before we may kill it
    }

    ~ChromeDriverProcess() {
        if (pid_ > 0) {
            ::kill(-pid_, SIGTERM);
            if (!reaped(5s)) {
                ::kill(-pid_, SIGKILL);
                reaped(5s);
            }
        }
        std::remove(log_path_.c_str());
    }

    ChromeDriverProcess(const ChromeDriverProcess&) = delete;
    ChromeDriverProcess& operator=(const ChromeDriverProcess&) = delete;

    int port() const { return port_; }

    /// Waits until GET /status says ready.
    bool wait_ready(std::chrono::milliseconds timeout) {
        return eventually(
            [&] {
                auto r = http_request(port_, "GET", "/status", "", {}, 1s);
                if (r.status != 200) return false;
                rapidjson::Document doc;
                doc.Parse(r.body.c_str());
                return !doc.HasParseError() && doc.IsObject() && doc.HasMember("value") && doc["value"].IsObject() &&
                       doc["value"].HasMember("ready") && doc["value"]["ready"].IsBool() && doc["value"]["ready"].GetBool();
            },
            timeout
        );
    }

    std::string log() const {
        std::ifstream in(log_path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    bool reaped(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_ || r < 0) {
                pid_ = -1;
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    int port_;
    pid_t pid_ = -1;
    std::string log_path_;
};

/// A fresh directory, removed on destruction.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/sapo-chromium-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

/// A minimal W3C WebDriver client: one session, CSS selectors, click, keys, text, screenshot.
/// Protocol errors throw std::runtime_error naming the command and WebDriver's error.
class WebDriver {
public:
    explicit WebDriver(int port) : port_(port) {}
    ~WebDriver() { quit(); }
    WebDriver(const WebDriver&) = delete;
    WebDriver& operator=(const WebDriver&) = delete;

    void start_session(const std::string& user_data_dir) {
        std::string args;
        const std::vector<std::string> chrome_args{
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,900", "--lang=ja", "--user-data-dir=" + user_data_dir,
        };
        for (const auto& arg : chrome_args) {
            args += (args.empty() ? "" : ",") + json_quote(arg);
        }
        std::string caps = R"({"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":)" +
                           json_quote(kChromium) + R"(,"args":[)" + args + "]}}}}";
        auto doc = call("POST", "/session", caps, 60s);
        const auto& value = doc["value"];
        if (!value.IsObject() || !value.HasMember("sessionId") || !value["sessionId"].IsString()) {
            throw std::runtime_error("WebDriver: new session answer has no sessionId");
        }
        session_ = value["sessionId"].GetString();
    }

    /// Ends the session (the browser exits); never throws.
    void quit() noexcept {
        if (session_.empty()) return;
        try {
            http_request(port_, "DELETE", "/session/" + session_, "", {}, 20s);
        } catch (...) {
        }
        session_.clear();
    }

    bool active() const { return !session_.empty(); }

    void navigate(const std::string& url) { call("POST", s("/url"), R"({"url":)" + json_quote(url) + "}", 30s); }

    /// Element ids matching a CSS selector, in document order (empty when none).
    std::vector<std::string> find_all(const std::string& css) {
        auto doc = call("POST", s("/elements"), R"({"using":"css selector","value":)" + json_quote(css) + "}");
        std::vector<std::string> out;
        for (const auto& e : doc["value"].GetArray()) {
            if (e.IsObject() && e.HasMember(kElementKey)) out.emplace_back(e[kElementKey].GetString());
        }
        return out;
    }

    /// The first element matching `css`; throws when there is none.
    std::string find(const std::string& css) {
        auto all = find_all(css);
        if (all.empty()) throw std::runtime_error("WebDriver: no element matches " + css);
        return all.front();
    }

    std::string text(const std::string& element) {
        auto doc = call("GET", s("/element/" + element + "/text"));
        return doc["value"].IsString() ? doc["value"].GetString() : "";
    }

    /// The visible text of each element matching `css`.
    std::vector<std::string> texts(const std::string& css) {
        std::vector<std::string> out;
        for (const auto& e : find_all(css)) out.push_back(text(e));
        return out;
    }

    /// A DOM property as a string ("" when not a string), e.g. an input's "value".
    std::string property(const std::string& element, const std::string& name) {
        auto doc = call("GET", s("/element/" + element + "/property/" + name));
        return doc["value"].IsString() ? doc["value"].GetString() : "";
    }

    void click(const std::string& element) { call("POST", s("/element/" + element + "/click"), "{}"); }

    void send_keys(const std::string& element, const std::string& keys) {
        call("POST", s("/element/" + element + "/value"), R"({"text":)" + json_quote(keys) + "}");
    }

    /// The page as a PNG.
    std::string screenshot() {
        auto doc = call("GET", s("/screenshot"), "", 30s);
        if (!doc["value"].IsString()) throw std::runtime_error("WebDriver: screenshot is not a string");
        return base64_decode(doc["value"].GetString());
    }

private:
    std::string s(const std::string& rest) const { return "/session/" + session_ + rest; }

    rapidjson::Document call(
        const std::string& method,
        const std::string& path,
        const std::string& body = "",
        std::chrono::milliseconds timeout = 15s
    ) {
        auto r = http_request(port_, method, path, body, {}, timeout);
        rapidjson::Document doc;
        doc.Parse(r.body.c_str());
        bool shaped = !doc.HasParseError() && doc.IsObject() && doc.HasMember("value");
        if (r.status != 200 || !shaped) {
            std::string what = "WebDriver " + method + " " + path + ": HTTP " + std::to_string(r.status);
            if (shaped && doc["value"].IsObject() && doc["value"].HasMember("error") && doc["value"]["error"].IsString()) {
                what += " " + std::string(doc["value"]["error"].GetString());
                if (doc["value"].HasMember("message") && doc["value"]["message"].IsString()) {
                    what += ": " + std::string(doc["value"]["message"].GetString()).substr(0, 500);
                }
            } else {
                what += " " + r.body.substr(0, 500);
            }
            throw std::runtime_error(what);
        }
        return doc;
    }

    int port_;
    std::string session_;
};

/// Writes the page's screenshot to /tmp/sapo-chat.png when it goes out of scope (pass or fail).
class ScreenshotOnExit {
public:
    explicit ScreenshotOnExit(WebDriver& wd) : wd_(wd) {}
    ~ScreenshotOnExit() {
        if (!wd_.active()) return;
        try {
            auto png = wd_.screenshot();
            std::ofstream(kScreenshotPath, std::ios::binary | std::ios::trunc) << png;
        } catch (...) {
        }
    }
    ScreenshotOnExit(const ScreenshotOnExit&) = delete;
    ScreenshotOnExit& operator=(const ScreenshotOnExit&) = delete;

private:
    WebDriver& wd_;
};

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

/// True when a bot message at index >= `from` contains `needle`.
bool bot_message_since(WebDriver& wd, std::size_t from, const std::string& needle) {
    auto bot = wd.find_all(".msg.from-bot");
    for (std::size_t i = from; i < bot.size(); ++i) {
        if (contains(wd.text(bot[i]), needle)) return true;
    }
    return false;
}

/// True when a user bubble at index >= `from` contains `needle`.
bool user_bubble_since(WebDriver& wd, std::size_t from, const std::string& needle) {
    auto bubbles = wd.find_all(".msg.from-user .bubble");
    for (std::size_t i = from; i < bubbles.size(); ++i) {
        if (contains(wd.text(bubbles[i]), needle)) return true;
    }
    return false;
}

/// What the page shows, for failure messages.
std::string describe(WebDriver& wd) {
    std::string out;
    try {
        out += "#messages:\n" + wd.text(wd.find("#messages")) + "\n";
        out += "#quick-replies: " + wd.text(wd.find("#quick-replies")) + "\n";
        out += "#error: " + wd.text(wd.find("#error")) + "\n";
    } catch (const std::exception& e) {
        out += std::string("(could not read the page: ") + e.what() + ")\n";
    }
    return out;
}

}  // namespace

TEST_CASE("chat page: create a user, follow, tap a quick reply, type a message", "[browser][pg]") {
    if (::access(kChromium, X_OK) != 0 || ::access(kChromedriver, X_OK) != 0) {
        WARN("Chromium is not installed: run scripts/setup (needs " << kChromium << " and " << kChromedriver
                                                                    << "); skipping the browser test");
        return;
    }
    if (test_server_url().empty()) {
        WARN("SAPO_TEST_DATABASE_URL is not set (scripts/test sets it); skipping the browser test");
        return;
    }

    TempDatabase db;
    SapoProcess sapo({"serve"}, {{"DATABASE_URL", db.url()}});  // no LINE_CHANNEL_*: local mode
    sapo.start_serving();
    const std::string base = "http://127.0.0.1:" + std::to_string(sapo.port());

    ChromeDriverProcess driver;
    {
        INFO("chromedriver log:\n" << driver.log());
        REQUIRE(driver.wait_ready(20s));
    }
    TempDir profile;
    WebDriver wd(driver.port());
    try {
        wd.start_session(profile.path);
    } catch (const std::exception& e) {
        FAIL(e.what() << "\nchromedriver log:\n" << driver.log());
    }
    ScreenshotOnExit screenshot(wd);

    auto fail = [&](const std::string& what) {
        FAIL(what << "\n" << describe(wd) << "sapo log:\n" << sapo.log());
    };

    wd.navigate(base + "/dev/chat");
    if (!eventually([&] { return !wd.find_all("#create-user").empty(); }, 10s)) fail("the chat page did not load");

    // Create Hanako (ja); the page selects the new user.
    wd.send_keys(wd.find("#user-name"), "Hanako");
    wd.click(wd.find("#user-language option[value='ja']"));
    wd.click(wd.find("#create-user"));
    if (!eventually(
            [&] {
                auto chosen = wd.find_all("#user-select option:checked");
                return !chosen.empty() && contains(wd.text(chosen.front()), "Hanako");
            },
            10s
        )) {
        fail("the new user Hanako is not selected");
    }

    // Follow: the welcome arrives, with the main menu as quick replies.
    wd.click(wd.find("#follow"));
    if (!eventually([&] { return bot_message_since(wd, 0, "友だち追加ありがとうございます"); }, 20s)) {
        fail("no welcome message after follow");
    }
    const std::string chip_css = "#quick-replies button.quick-reply:not([disabled])";
    if (!eventually([&] { return !wd.find_all(chip_css).empty(); }, 10s)) fail("no quick reply chip under the welcome");

    // Tap the first chip (チェックイン): the user's bubble shows its label, then the bot answers.
    std::size_t bot_before = wd.find_all(".msg.from-bot").size();
    std::size_t user_before = wd.find_all(".msg.from-user .bubble").size();
    std::string label;
    bool tapped = eventually(
        [&] {
            auto chip = wd.find(chip_css);
            label = wd.text(chip);
            wd.click(chip);
            return true;
        },
        10s
    );
    INFO("first quick reply: " << label);
    if (!tapped) fail("could not tap the first quick reply");
    REQUIRE_FALSE(label.empty());
    if (!eventually([&] { return user_bubble_since(wd, user_before, label); }, 20s)) {
        fail("no user bubble \"" + label + "\" after tapping the quick reply");
    }
    if (!eventually([&] { return bot_message_since(wd, bot_before, "施設に掲示されたQRコードをLINEで読み取ってください"); }, 20s)) {
        fail("no answer after tapping the quick reply \"" + label + "\"");
    }

    // Type a message and send it.
    bot_before = wd.find_all(".msg.from-bot").size();
    user_before = wd.find_all(".msg.from-user .bubble").size();
    wd.send_keys(wd.find("#text-input"), "hello");
    wd.click(wd.find("#send"));
    if (!eventually([&] { return user_bubble_since(wd, user_before, "hello"); }, 20s)) {
        fail("no user bubble \"hello\" after send");
    }
    // "hello" is taken for the code the check-in asked for, and refused politely
    if (!eventually([&] { return bot_message_since(wd, bot_before, "このコードは確認できませんでした"); }, 20s)) {
        fail("no answer to \"hello\" as a check-in code");
    }
    CHECK(wd.property(wd.find("#text-input"), "value").empty());  // cleared after a successful send

    // Nothing went wrong on the way: the error banner is hidden (a hidden element has no text).
    std::string error_text = wd.text(wd.find("#error"));
    INFO(describe(wd));
    CHECK(error_text.empty());
    CHECK(wd.text(wd.find("#clock-now")).find("JST") != std::string::npos);
}
