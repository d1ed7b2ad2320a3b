-- create+confirm with tok_visa; every request carries a new Idempotency-Key.
-- Usage: wrk ... -s bench/wrk/create_confirm.lua https://host:port -- <api_key>
-- (bench/wrk/transport.lua reuses this script with another method and path.)
local thread_counter = 0
function setup(thread)
  thread:set("tid", thread_counter)
  thread_counter = thread_counter + 1
end

req_method = "POST"
req_path = "/v1/payments"
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
  return wrk.format(req_method, req_path, {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. n,
  }, body)
end
