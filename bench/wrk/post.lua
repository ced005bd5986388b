-- wrk script for POST /post (a draft with a caption), the load of
-- BenchmarkCreatePost, for comparison with a load generator written in C:
--
--   HERALD_KEY=... HERALD_WORKSPACE=... wrk -t2 -c16 -d20s --latency \
--     -s bench/wrk/post.lua http://127.0.0.1:PORT
--
-- Each request carries a distinct caption.
local key = os.getenv("HERALD_KEY") or "none"
local ws = os.getenv("HERALD_WORKSPACE") or "none"
local n = 0

request = function()
  n = n + 1
  local body = string.format('{"caption":"wrk draft %d: an ordinary caption with a link https://example.com/%d #herald"}', n, n)
  return wrk.format("POST", "/api/_public/v1/post?workspaceId=" .. ws,
    { ["Content-Type"] = "application/json", ["X-API-Key"] = key }, body)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 201 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end
