#include "bot/webhook/signature.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "test/webhook/line_fixtures.hpp"

using sapo::webhook::sign;
using sapo::webhook::verify_signature;
using sapo::webhook::test::read_line_fixture;

namespace {

constexpr std::string_view kSecret = "testsecret";

struct Vector {
    std::string body;
    std::string signature;
};

// The vectors of test/fixtures/line/SOURCES.md, cross-checked there against @line/bot-sdk.
std::vector<Vector> line_vectors() {
    return {
        {read_line_fixture("python/v3-webhook.json"),
         "PlcTNAF9DJeT1Ct4YMqBVeC+WK5FSC8YaZHDPgSkz5s="},
        {read_line_fixture("java-callback/text-user.json"),
         "/EsHtcBhWAOYX4h7svSLq8vqb3AIRrVczY+k8Rlsxbw="},
        {read_line_fixture("java-callback/unknown.json"),
         "pSULXSqIMA3nn3K73nOEipWSImjYsr/ceVoZNIojd1o="},
        {R"({"destination":"U00000000000000000000000000000000","events":[]})",
         "ELnyFCUVWa5oREVSj/VI6gaCRZNQ+63oBuDec55Hs/A="},
    };
}

}  // namespace

TEST_CASE("LINE's signature vectors verify", "[webhook][signature]") {
    for (const auto& v : line_vectors()) {
        CAPTURE(v.signature);
        CHECK(verify_signature(kSecret, v.body, v.signature));
        CHECK(sign(kSecret, v.body) == v.signature);
    }
}

TEST_CASE("RFC 4231 HMAC-SHA256 vectors, long key included", "[webhook][signature]") {
    // Test case 2: short key.
    CHECK(
        sign("Jefe", "what do ya want for nothing?") ==
        "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    );
    // Test case 6: a 131-byte key is hashed first.
    const std::string long_key(131, '\xaa');
    const std::string message = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK(sign(long_key, message) == "YOQxWR7gtn8Niiaqy/W3f44LxiE3KMUUBUYEDw7jf1Q=");
    CHECK(verify_signature(long_key, message, "YOQxWR7gtn8Niiaqy/W3f44LxiE3KMUUBUYEDw7jf1Q="));
}

TEST_CASE("a body changed in any single byte fails", "[webhook][signature]") {
    for (const auto& v : line_vectors()) {
        for (const std::size_t at : {std::size_t{0}, v.body.size() / 2, v.body.size() - 1}) {
            std::string tampered = v.body;
            tampered[at] = static_cast<char>(tampered[at] ^ 0x01);
            CAPTURE(v.signature, at);
            CHECK_FALSE(verify_signature(kSecret, tampered, v.signature));
        }
        CHECK_FALSE(verify_signature(kSecret, v.body + "\n", v.signature));
        CHECK_FALSE(verify_signature(kSecret, v.body.substr(0, v.body.size() - 1), v.signature));
    }
}

TEST_CASE("the wrong secret fails, and an empty secret never verifies", "[webhook][signature]") {
    const auto v = line_vectors().front();
    CHECK_FALSE(verify_signature("testsecreT", v.body, v.signature));
    CHECK_FALSE(verify_signature("testsecret ", v.body, v.signature));
    CHECK_FALSE(verify_signature("testsecre", v.body, v.signature));
    CHECK_FALSE(verify_signature("", v.body, v.signature));

    // Even a correct HMAC under the empty key is refused: an unset secret must not open the door.
    // (Python: base64(hmac.new(b"", b"{}", sha256).digest()))
    CHECK_FALSE(verify_signature("", "{}", "IvjuqQlACvmK3zaBqfMZI+9rf8ukq7VT2Sgjo+nVwl4="));
    CHECK_THROWS_AS(sign("", "{}"), std::invalid_argument);
}

TEST_CASE("malformed signature headers fail", "[webhook][signature]") {
    const auto v = line_vectors().back();
    const std::string good = v.signature;
    REQUIRE(verify_signature(kSecret, v.body, good));

    const std::vector<std::string> bad = {
        "",                                           // missing header
        good.substr(0, 43),                           // padding dropped
        good.substr(0, 40),                           // truncated
        good.substr(0, 42) + "==",                    // decodes to 31 bytes
        good + "=",                                   // over-long
        good + "AAAA",                                // decodes to 35 bytes
        good + good,                                  // two signatures
        " " + good,                                   // whitespace-padded
        good + " ",
        good + "\n",
        "\t" + good.substr(1),
        std::string(44, '='),                         // all padding
        std::string(44, 'A'),                         // no padding
        "*" + good.substr(1),                         // not in the alphabet
        good.substr(0, 20) + "." + good.substr(21),
        good.substr(0, 20) + std::string(1, '\0') + good.substr(21),
        good.substr(0, 43) + "A",                     // no '=' at the end
        "ELnyFCUVWa5oREVSj_VI6gaCRZNQ-63oBuDec55Hs_A=",  // URL-safe alphabet
        "ELnyFCUVWa5oREVSj/VI6gaCRZNQ+63oBuDec55Hs/B=",  // non-zero unused bits
    };
    for (const auto& header : bad) {
        CAPTURE(header);
        CHECK_FALSE(verify_signature(kSecret, v.body, header));
    }

    // Another body's valid signature is still wrong for this one.
    CHECK_FALSE(verify_signature(kSecret, v.body, line_vectors().front().signature));
}

TEST_CASE("sign() round-trips through verify_signature()", "[webhook][signature]") {
    std::string binary;
    for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
    const std::vector<std::string> bodies = {
        "", "{}", binary, std::string(1 << 20, 'x'), read_line_fixture("python/legacy-webhook.json")
    };
    const std::vector<std::string> secrets = {
        "testsecret", "0123456789abcdef0123456789abcdef", binary
    };
    for (const auto& secret : secrets) {
        for (const auto& body : bodies) {
            const std::string signature = sign(secret, body);
            CAPTURE(body.size(), signature);
            CHECK(signature.size() == 44);
            CHECK(signature.back() == '=');
            CHECK(verify_signature(secret, body, signature));
        }
    }
    CHECK(sign("a", "body") != sign("b", "body"));
    CHECK(sign("a", "body") != sign("a", "body2"));
}

TEST_CASE("alternating secrets and threads give the same answers", "[webhook][signature]") {
    // The HMAC context is cached per thread and re-keyed on change: make sure no key leaks over.
    const auto vectors = line_vectors();
    for (int round = 0; round < 3; ++round) {
        for (const auto& v : vectors) {
            CHECK(verify_signature(kSecret, v.body, v.signature));
            CHECK_FALSE(verify_signature("other", v.body, v.signature));
            CHECK(verify_signature(kSecret, v.body, v.signature));
        }
    }

    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const std::string own_secret = "secret-" + std::to_string(t);
            for (int i = 0; i < 200; ++i) {
                const auto& v = vectors[static_cast<std::size_t>(i) % vectors.size()];
                if (!verify_signature(kSecret, v.body, v.signature)) ++failures;
                if (verify_signature(own_secret, v.body, v.signature)) ++failures;
                if (!verify_signature(own_secret, v.body, sign(own_secret, v.body))) ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures.load() == 0);
}
