#include "storage/pg_common.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sapo::storage::pg {

std::unique_ptr<pqxx::connection> connect(const std::string& url) {
    try {
        return std::make_unique<pqxx::connection>(url);
    } catch (...) {
        rethrow_as_storage_error("connecting to the database");
    }
}

void rethrow_as_storage_error(const std::string& context) {
    try {
        throw;
    } catch (const pqxx::broken_connection& e) {
        throw StorageError(context + ": database unreachable: " + e.what(), true);
    } catch (const pqxx::transaction_rollback& e) {
        throw StorageError(context + ": transaction rolled back (serialization failure or deadlock): " + e.what(), true);
    } catch (const pqxx::in_doubt_error& e) {
        throw StorageError(context + ": commit outcome unknown: " + e.what(), true);
    } catch (const pqxx::sql_error& e) {
        // Serialization failures and deadlocks succeed when tried again; other SQL errors don't.
        const std::string& state = e.sqlstate();
        bool transient = state == "40001" || state == "40P01" || state.rfind("08", 0) == 0 ||
                         state == "57P01" || state == "57P03";
        throw StorageError(context + ": " + e.what(), transient);
    } catch (const StorageError&) {
        throw;
    } catch (const std::exception& e) {
        throw StorageError(context + ": " + e.what(), false);
    }
}

int schema_version(pqxx::transaction_base& tx) {
    // Two statements: the second can't even be planned before the table exists.
    if (!tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL")[0][0].as<bool>()) return 0;
    return tx.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
}

std::string text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::string int_array(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(values[i]);
    }
    return out + "}";
}

std::string json_array(const std::vector<std::string>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += values[i];
    }
    out += ']';
    return out;
}

std::vector<std::string> json_array_elements(const std::string& array_json) {
    rapidjson::Document doc;
    doc.Parse(array_json.c_str());
    std::vector<std::string> out;
    if (doc.HasParseError() || !doc.IsArray()) return out;
    for (const auto& v : doc.GetArray()) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        v.Accept(w);
        out.emplace_back(buf.GetString(), buf.GetSize());
    }
    return out;
}

ClaimedBatch read_claimed_batch(const pqxx::row& row) {
    ClaimedBatch b;
    b.notification_id = row[0].as<std::int64_t>();
    b.batch_no = row[1].as<int>();
    b.retry_key = row[2].c_str();
    b.language = row[3].c_str();
    b.attempts = row[4].as<int>();
    return b;
}

std::string batch_status_after(const SendOutcome& outcome, int attempts, int max_attempts) {
    if (outcome.kind == SendOutcome::Kind::accepted) return "accepted";
    if (outcome.kind == SendOutcome::Kind::failed || attempts >= max_attempts) return "failed";
    return "pending";
}

}  // namespace sapo::storage::pg
