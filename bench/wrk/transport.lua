-- The payment request's exact shape (method aside: GET, as /healthz takes no POST), headers and
-- body, sent to the ops listener's /healthz: what TLS, HTTP parsing, the response and wrk's own
-- Lua cost per request without any payment work. The gap to the payments scenario is the
-- payment itself. Usage: wrk ... -s bench/wrk/transport.lua https://host:ops_port -- <api_key>
local thread_counter = 0
function setup(thread)
  thread:set("tid", thread_counter)
  thread_counter = thread_counter + 1
end

local body = '{"amount":1099,"currency":"usd","payment_method":"tok_visa","confirm":true}'
local n = 0
local key = nil
local prefix = nil

function init(args)
  key = args[1]
  prefix = "bench-" .. tostring(tid) .. "-" .. tostring(math.random(1, 2^30)) .. "-"
end

function request()
  n = n + 1
  return wrk.format("GET", "/healthz", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. n,
  }, body)
end
