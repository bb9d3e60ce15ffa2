#include "bot/dispatch/event_handler.hpp"

#include <stdexcept>

#include "bot/log.hpp"
#include "bot/metrics.hpp"
#include "bot/webhook/parse.hpp"

namespace sapo::dispatch {

namespace {

metrics::Counter& route_counter(const std::string& route) {
    return metrics::global().counter(
        "sapo_conversation_events_total", "Events handled by the conversation engine, by how they were routed",
        {{"route", route.empty() ? "none" : route}}
    );
}

}  // namespace

flows::InboundEvent to_inbound(const storage::StoredEvent& event) {
    // The raw event is the single source of truth for everything but the columns we query.
    std::string body = "{\"destination\":\"\",\"events\":[" + event.raw + "]}";
    auto parsed = webhook::parse_callback(body);
    if (!parsed.ok || parsed.callback.events.size() != 1) {
        throw std::runtime_error("stored event is not readable: " + parsed.error);
    }
    auto inbound = std::move(parsed.callback.events.front());
    inbound.event_id = event.webhook_event_id;
    return inbound;
}

storage::Decision EventHandler::decide(
    const storage::StoredEvent& event,
    const std::optional<storage::UserRecord>& user,
    storage::ConversationStore& store
) const {
    storage::Decision d;
    auto inbound = to_inbound(event);
    if (inbound.type == "follow") {
        d.follow = storage::Decision::Follow::followed;
    } else if (inbound.type == "unfollow") {
        d.follow = storage::Decision::Follow::unfollowed;
    }

    flows::StepContext context;
    if (user && !user->language.empty()) context.language = user->language;
    // The profile's language decides ja or en for everything we say from now on. It is asked at
    // follow only: this is an HTTP call inside the event's transaction, and a friend from before
    // sapo was deployed can still pick English from the menu (the language flow).
    const bool ask_profile = inbound.source_type == "user" && !inbound.user_id.empty() && inbound.mode == "active" &&
                             inbound.type == "follow" && (!user || user->language.empty());
    if (ask_profile) {
        if (auto profile = line_.get_profile(inbound.user_id)) {
            if (!profile->language.empty()) {
                d.language = profile->language;
                context.language = profile->language;
            }
        }
    }

    // standby (another channel owns the chat) or a mode we do not know: store, never answer
    if (inbound.mode != "active") return d;
    // Conversations are one-to-one; groups and rooms (e.g. the operators' group) are not chatted with.
    if (inbound.source_type != "user" || inbound.user_id.empty()) return d;
    if (inbound.type == "unfollow") {
        store.end_session(inbound.user_id);
        return d;
    }

    auto globals = globals_;
    globals["profile.language"] = flows::Value(context.language);
    context.globals = &globals;
    context.templates = &flows_.registry().templates;

    auto session = store.load_session(inbound.user_id);
    auto source = flows_.view(store);
    flows::Conversation conversation(source, clock_);
    auto outcome = conversation.handle(inbound, session, context);

    // Effects in order, in this transaction; one the flow waits for gives its outputs back.
    EffectContext effect_context{inbound.user_id, store, clock_, inbound.timestamp_ms, context.language};
    const auto language_before = context.language;
    bool urgent = false;  // an effect whose reply must arrive (a red flag's emergency guidance)
    outcome = conversation.complete(
        std::move(outcome),
        [&](const flows::Effect& e) {
            if (const auto* spec = effects_.spec(e.name); spec && spec->reply_must_arrive) urgent = true;
            return effects_.apply(e, effect_context);
        },
        context
    );
    if (context.language != language_before) d.language = context.language;  // an effect chose it
    route_counter(outcome.route).inc();
    if (!outcome.error.empty()) {
        log::warn("flow problem", {{"event_id", inbound.event_id}, {"route", outcome.route}, {"error", outcome.error}});
    }
    if (outcome.session) {
        store.save_session(inbound.user_id, *outcome.session);
    } else if (session) {
        store.end_session(inbound.user_id);
    }

    auto batches = flows::fit_to_replies(outcome.messages);
    if (!batches.empty()) {
        d.messages = std::move(batches.front());
        d.more.assign(std::make_move_iterator(batches.begin() + 1), std::make_move_iterator(batches.end()));
    }
    d.must_arrive = outcome.must_arrive || urgent;
    d.reply_token = inbound.reply_token;
    d.push_to = inbound.user_id;
    return d;
}

DeliveryOutcome deliver_outbox_item(
    line::Client& line,
    const storage::OutboxItem& item,
    std::chrono::milliseconds reply_token_max_age
) {
    const bool fresh_token = !item.reply_token.empty() && item.age_ms < reply_token_max_age.count();
    if (!fresh_token && !(item.must_arrive && !item.user_id.empty())) {
        return {"expired", "reply token too old and the messages are not marked must-arrive"};
    }
    if (fresh_token && item.reclaimed) {
        // The sender that died may have been answered by LINE just before it could record so.
        // A refused token then means our own reply went out: pushing would say it twice.
        auto r = line.reply(item.reply_token, item.messages);
        if (r.ok) return {"sent", ""};
        if (line::reply_token_rejected(r)) return {"sent", "reply token already used by the earlier attempt"};
        return {"failed", r.error.empty() ? r.body : r.error};
    }
    auto r = line::reply_or_push(
        line, fresh_token ? item.reply_token : "", item.user_id, item.messages, item.must_arrive, item.retry_key
    );
    if (r.ok) return {"sent", ""};
    log::warn(
        "delivery failed",
        {{"outbox_id", std::to_string(item.id)}, {"status", std::to_string(r.status)}, {"request_id", r.request_id}}
    );
    return {"failed", r.error.empty() ? r.body : r.error};
}

}  // namespace sapo::dispatch
