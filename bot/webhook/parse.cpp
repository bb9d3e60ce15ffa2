#include "bot/webhook/parse.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sapo::webhook {
namespace {

using Allocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Allocator>;
using Value = Document::ValueType;
using rapidjson::SizeType;

// LINE sends UTF-8; refusing anything else here keeps invalid text out of logs and the database.
constexpr unsigned kParseFlags = rapidjson::kParseValidateEncodingFlag;

/// Forwards SAX events to the document, refusing to go deeper than kMaxJsonDepth. Counting in
/// the stream (rather than scanning the DOM afterwards) stops a hostile `[[[[...` at once, and it
/// bounds both the reader's recursion and Writer::Accept's when `raw` is produced.
template <typename Next>
class DepthLimit {
public:
    using Ch = char;

    explicit DepthLimit(Next& next) : next_(next) {}

    bool too_deep() const { return too_deep_; }

    bool Null() { return next_.Null(); }
    bool Bool(bool b) { return next_.Bool(b); }
    bool Int(int i) { return next_.Int(i); }
    bool Uint(unsigned u) { return next_.Uint(u); }
    bool Int64(std::int64_t i) { return next_.Int64(i); }
    bool Uint64(std::uint64_t u) { return next_.Uint64(u); }
    bool Double(double d) { return next_.Double(d); }
    bool RawNumber(const Ch* s, SizeType n, bool copy) { return next_.RawNumber(s, n, copy); }
    bool String(const Ch* s, SizeType n, bool copy) { return next_.String(s, n, copy); }
    bool Key(const Ch* s, SizeType n, bool copy) { return next_.Key(s, n, copy); }
    bool StartObject() { return enter() && next_.StartObject(); }
    bool EndObject(SizeType members) {
        --depth_;
        return next_.EndObject(members);
    }
    bool StartArray() { return enter() && next_.StartArray(); }
    bool EndArray(SizeType elements) {
        --depth_;
        return next_.EndArray(elements);
    }

private:
    bool enter() {
        if (depth_ == kMaxJsonDepth) {
            too_deep_ = true;
            return false;
        }
        ++depth_;
        return true;
    }

    Next& next_;
    std::size_t depth_ = 0;
    bool too_deep_ = false;
};

/// Document::Populate generator: runs the reader over the body with the depth limit in between.
class BodyReader {
public:
    explicit BodyReader(std::string_view body) : body_(body) {}

    bool operator()(Document& document) {
        rapidjson::MemoryStream bytes(body_.data(), body_.size());
        rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
        DepthLimit<Document> handler(document);
        rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>> reader;
        result_ = reader.Parse<kParseFlags>(in, handler);
        too_deep_ = handler.too_deep();
        if (result_.IsError()) return false;
        // The reader takes a NUL byte for the end of input, so `{...}\0junk` would pass.
        if (in.Tell() != body_.size()) {
            trailing_at_ = in.Tell();
            return false;
        }
        return true;
    }

    /// Empty when the body parsed; else the sentence for the 400.
    std::string error() const {
        if (too_deep_) {
            return "malformed JSON at offset " + std::to_string(result_.Offset()) +
                   ": arrays and objects nested deeper than " + std::to_string(kMaxJsonDepth) +
                   " levels.";
        }
        if (result_.IsError()) {
            return "malformed JSON at offset " + std::to_string(result_.Offset()) + ": " +
                   rapidjson::GetParseError_En(result_.Code());
        }
        if (trailing_at_ != 0) {
            return "malformed JSON at offset " + std::to_string(trailing_at_) +
                   ": unexpected data after the root value.";
        }
        return {};
    }

private:
    std::string_view body_;
    rapidjson::ParseResult result_;
    bool too_deep_ = false;
    std::size_t trailing_at_ = 0;
};

const char* describe(const Value& v) {
    switch (v.GetType()) {
        case rapidjson::kNullType: return "null";
        case rapidjson::kFalseType:
        case rapidjson::kTrueType: return "a boolean";
        case rapidjson::kObjectType: return "an object";
        case rapidjson::kArrayType: return "an array";
        case rapidjson::kStringType: return "a string";
        case rapidjson::kNumberType: return "a number";
    }
    return "an unknown value";
}

/// The member `name` of `object`, or null when `object` is not an object or lacks it.
const Value* member(const Value* object, const char* name) {
    if (object == nullptr || !object->IsObject()) return nullptr;
    const auto it = object->FindMember(name);
    return it == object->MemberEnd() ? nullptr : &it->value;
}

/// A string member, or "" when it is missing or not a string (wrong types count as missing).
std::string string_member(const Value* object, const char* name) {
    const Value* v = member(object, name);
    if (v == nullptr || !v->IsString()) return {};
    return std::string(v->GetString(), v->GetStringLength());
}

std::string derived_id(const std::string& destination, const std::string& raw) {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
        EVP_MD_CTX_new(), EVP_MD_CTX_free
    );
    std::array<unsigned char, 32> digest{};
    unsigned int size = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), destination.data(), destination.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), "\n", 1) != 1 ||
        EVP_DigestUpdate(ctx.get(), raw.data(), raw.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) != 1 || size != digest.size()) {
        // Only reachable if OpenSSL itself is broken; an id that collides would silently drop
        // events as duplicates, so fail loudly instead.
        throw std::runtime_error("parse_callback: SHA-256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id = "derived:";
    id.reserve(id.size() + 2 * digest.size());
    for (const unsigned char b : digest) {
        id.push_back(kHex[b >> 4]);
        id.push_back(kHex[b & 0xF]);
    }
    return id;
}

flows::InboundEvent to_event(const Value& e, const std::string& destination, std::string raw) {
    flows::InboundEvent event;
    event.type = string_member(&e, "type");

    const Value* mode = member(&e, "mode");
    event.mode = mode != nullptr && mode->IsString()
                     ? std::string(mode->GetString(), mode->GetStringLength())
                     : std::string("active");

    if (const Value* ts = member(&e, "timestamp"); ts != nullptr && ts->IsInt64()) {
        event.timestamp_ms = ts->GetInt64();
    }

    const Value* source = member(&e, "source");
    event.source_type = string_member(source, "type");
    event.user_id = string_member(source, "userId");
    event.group_id = string_member(source, "groupId");
    if (event.group_id.empty()) event.group_id = string_member(source, "roomId");

    event.reply_token = string_member(&e, "replyToken");

    // Read `message` whatever the event type: messageEdited carries one too.
    const Value* message = member(&e, "message");
    event.message_type = string_member(message, "type");
    if (event.message_type == "text") event.text = string_member(message, "text");

    event.postback_data = string_member(member(&e, "postback"), "data");

    const Value* redelivery = member(member(&e, "deliveryContext"), "isRedelivery");
    event.redelivery = redelivery != nullptr && redelivery->IsBool() && redelivery->GetBool();

    event.event_id = string_member(&e, "webhookEventId");
    if (event.event_id.empty()) event.event_id = derived_id(destination, raw);
    event.raw = std::move(raw);
    return event;
}

ParseResult refuse(std::string sentence) {
    ParseResult result;
    result.error = std::move(sentence);
    return result;
}

}  // namespace

ParseResult parse_callback(std::string_view body) {
    // Webhook bodies are mostly a few KiB: a first pool chunk on the stack saves the heap
    // allocations for them.
    alignas(std::max_align_t) char pool[8192];
    Allocator allocator(pool, sizeof pool);
    Document document(&allocator);

    BodyReader reader(body);
    document.Populate(reader);
    if (std::string error = reader.error(); !error.empty()) return refuse(std::move(error));

    if (!document.IsObject()) {
        return refuse(
            std::string("not a LINE webhook callback: the body is ") + describe(document) +
            ", not an object."
        );
    }
    const Value* events = member(&document, "events");
    if (events == nullptr) {
        return refuse("not a LINE webhook callback: the \"events\" field is missing.");
    }
    if (!events->IsArray()) {
        return refuse(
            std::string("not a LINE webhook callback: \"events\" is ") + describe(*events) +
            ", not an array."
        );
    }
    for (SizeType i = 0; i < events->Size(); ++i) {
        if (!(*events)[i].IsObject()) {
            return refuse(
                "not a LINE webhook callback: events[" + std::to_string(i) + "] is " +
                describe((*events)[i]) + ", not an object."
            );
        }
    }

    ParseResult result;
    result.callback.destination = string_member(&document, "destination");
    result.callback.events.reserve(events->Size());

    rapidjson::StringBuffer buffer;
    // Validating on output too: a lone surrogate escape such as "\udc00" passes the reader but
    // would put invalid UTF-8 into `raw` and `text`.
    rapidjson::Writer<
        rapidjson::StringBuffer,
        rapidjson::UTF8<>,
        rapidjson::UTF8<>,
        rapidjson::CrtAllocator,
        rapidjson::kWriteValidateEncodingFlag>
        writer(buffer);
    for (SizeType i = 0; i < events->Size(); ++i) {
        const Value& e = (*events)[i];
        buffer.Clear();
        writer.Reset(buffer);
        if (!e.Accept(writer)) {
            return refuse(
                "malformed JSON: events[" + std::to_string(i) +
                "] contains a string that is not valid Unicode (a lone surrogate escape)."
            );
        }
        result.callback.events.push_back(to_event(
            e, result.callback.destination, std::string(buffer.GetString(), buffer.GetSize())
        ));
    }
    result.ok = true;
    return result;
}

}  // namespace sapo::webhook
