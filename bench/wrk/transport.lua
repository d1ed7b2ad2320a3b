-- The payment requests of create_confirm.lua (same headers, body and Lua work), sent as GET to
-- the ops listener's /healthz: what TLS, HTTP parsing, the response and wrk itself cost per
-- request without any payment work. The gap to the payments scenario is the payment itself.
-- Usage: wrk ... -s bench/wrk/transport.lua https://host:ops_port -- <api_key>
dofile("bench/wrk/create_confirm.lua")
req_method = "GET"
req_path = "/healthz"
