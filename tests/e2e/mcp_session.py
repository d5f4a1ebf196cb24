"""A `flowctl mcp --server ADDR --token-file F` session over stdio, for the
end-to-end scripts (lib.sh puts this folder on PYTHONPATH):

    call, close = mcp_session.connect(flowctl, addr, token_file)
    is_error, text = call("get_approval", {"approval_id": "apr-1"})
"""
import json
import subprocess


def connect(flowctl, addr, token_file):
    p = subprocess.Popen([flowctl, "mcp", "--server", addr, "--token-file", token_file],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    n = [0]

    def send(message):
        p.stdin.write(json.dumps(message) + "\n")
        p.stdin.flush()

    def rpc(method, params):
        n[0] += 1
        send({"jsonrpc": "2.0", "id": n[0], "method": method, "params": params})
        while True:
            m = json.loads(p.stdout.readline())
            if m.get("id") == n[0]:
                return m

    def call(name, args):
        r = rpc("tools/call", {"name": name, "arguments": args})["result"]
        return r.get("isError", False), r["content"][0]["text"]

    def close():
        p.stdin.close()
        p.wait(timeout=10)

    rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}})
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    return call, close
