-- scripts/bench/webhook.lua — wrk script for scripts/bench-webhook (bundled fallback, used when
-- ../shared/bench is absent): POST a LINE webhook callback with a valid x-line-signature.
--   BODY_FILE=body.json SIG_FILE=body.sig wrk -t2 -c64 -d15s -s scripts/bench/webhook.lua \
--     http://127.0.0.1:PORT/webhook --latency
-- Env (required): BODY_FILE  exact request body bytes
--                 SIG_FILE   base64(HMAC-SHA256(channel secret, body)) (trailing whitespace ignored)

local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

local body_file = assert(os.getenv("BODY_FILE"), "set BODY_FILE")
local sig_file = assert(os.getenv("SIG_FILE"), "set SIG_FILE")

wrk.method = "POST"
wrk.body = slurp(body_file)
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.headers["User-Agent"] = "LineBotWebhook/2.0"
wrk.headers["x-line-signature"] = (slurp(sig_file):gsub("%s+$", ""))
