// Drives `flowctl mcp` with the official MCP client 2.x (@modelcontextprotocol/client,
// pinned in package.json), which speaks the stateless revision 2026-07-28.
//   node client2.mjs stdio FLOWCTL STATE_DIR auto|pin
//   node client2.mjs http URL auto|pin
// auto: versionNegotiation {mode: 'auto'} (server/discover probe, fallback to
// initialize); pin: {mode: {pin: '2026-07-28'}} (no fallback). Either way flowctl must
// end up on 2026-07-28: tools/list, validate_pipeline, create_pipeline, a
// resource read and a missing resource (-32602). Exits non-zero on any failure.
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const [mode, target, ...rest] = process.argv.slice(2);
const negotiation = mode === "stdio" ? rest[1] : rest[0];
const STATELESS = "2026-07-28";

const DOC = `apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: mcp2-e2e}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 50, shape: counter}}
  sinks:
    - {id: out, type: "null", inputs: [gen]}
`;

async function step(name, fn) {
  try {
    await fn();
    console.log(`  ok ${mode} ${negotiation}: ${name}`);
  } catch (e) {
    console.error(`  FAILED ${mode} ${negotiation}: ${name}`);
    throw e;
  }
}

// The pin goes inside mode: { mode: { pin } } (a bare { pin } is ignored and
// leaves the client in its default legacy mode).
const versionNegotiation = { mode: negotiation === "pin" ? { pin: STATELESS } : "auto" };
const client = new Client({ name: "flowctl-e2e-2x", version: "1.0.0" }, { versionNegotiation });
let transport;
if (mode === "stdio") {
  transport = new StdioClientTransport({
    command: target, args: ["mcp", "--state-dir", rest[0], "--workers", "1"], stderr: "ignore",
  });
} else if (mode === "http") {
  transport = new StreamableHTTPClientTransport(new URL(target));
} else {
  console.error("usage: client2.mjs stdio FLOWCTL STATE_DIR auto|pin | http URL auto|pin");
  process.exit(2);
}
await client.connect(transport);

await step("negotiated 2026-07-28 without a session", async () => {
  assert.equal(client.getNegotiatedProtocolVersion(), STATELESS);
  if (mode === "http") assert.equal(transport.sessionId, undefined);
});

await step("tools/list, twice in the same order", async () => {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ["create_pipeline", "validate_pipeline", "get_pipeline_status",
                   "analyze_pipeline_performance", "apply_pipeline"])
    assert.ok(names.includes(n), `${n} in ${names}`);
  assert.deepEqual((await client.listTools()).tools.map((t) => t.name), names);
});

await step("validate_pipeline", async () => {
  const r = await client.callTool({ name: "validate_pipeline", arguments: { yaml: DOC } });
  assert.equal(r.isError, false, JSON.stringify(r));
  assert.equal(r.structuredContent.valid, true);
  const bad = await client.callTool({ name: "validate_pipeline",
                                      arguments: { yaml: DOC.replace('"null"', "nul") } });
  assert.equal(bad.structuredContent.valid, false);
});

await step("create_pipeline, then preview_apply and apply_pipeline", async () => {
  const c = await client.callTool({ name: "create_pipeline",
                                    arguments: { name: "p2", goal: "copy orders.jsonl to copy.jsonl" } });
  assert.equal(c.isError, false, JSON.stringify(c));
  assert.equal(c.structuredContent.name, "p2");
  assert.match(c.structuredContent.yaml, /copy\.jsonl/);
  const p = await client.callTool({ name: "preview_apply", arguments: { yaml: DOC } });
  assert.equal(p.isError, false, JSON.stringify(p));
  const a = await client.callTool({ name: "apply_pipeline",
                                    arguments: { yaml: DOC, plan_token: p.structuredContent.plan_token } });
  assert.equal(a.isError, false, JSON.stringify(a));
  assert.equal(a.structuredContent.state, "running");
});

await step("name and pipeline_id are one argument", async () => {
  for (const args of [{ name: "mcp2-e2e" }, { pipeline_id: "mcp2-e2e" }]) {
    const r = await client.callTool({ name: "analyze_pipeline_performance", arguments: args });
    assert.equal(r.isError, false, JSON.stringify(r));
    assert.equal(r.structuredContent.name, "mcp2-e2e");
  }
});

await step("resources: list, read, and a missing one is -32602", async () => {
  const { resources } = await client.listResources();
  assert.ok(resources.some((r) => r.uri === "flowctl://pipelines/mcp2-e2e"),
            JSON.stringify(resources));
  const spec = await client.readResource({ uri: "flowctl://pipelines/mcp2-e2e" });
  assert.match(spec.contents[0].text, /mcp2-e2e/);
  const catalog = await client.readResource({ uri: "flowctl://components" });
  assert.ok(JSON.parse(catalog.contents[0].text).components.length > 5);
  await assert.rejects(client.readResource({ uri: "flowctl://pipelines/nope" }), (e) => {
    assert.equal(e.code, -32602, e.message);
    return true;
  });
});

await client.close();
console.log(`mcp client 2.x ${mode} ${negotiation}: ok`);
