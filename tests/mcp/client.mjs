// Drives `flowctl mcp` with the official MCP TypeScript SDK client.
//   node client.mjs stdio FLOWCTL STATE_DIR [--read-only]
//   node client.mjs http URL [--read-only]
//   node client.mjs server FLOWCTL ADDR TOKEN_FILE   (flowctl mcp --server: a daemon)
//   node client.mjs noserver FLOWCTL ADDR            (--server with nothing at ADDR)
// Exits non-zero (with the failed assertion) when anything is off.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, ...rest] = process.argv.slice(2);
const readOnly = rest.includes("--read-only");

const DOC = `apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: mcp-e2e}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 50, shape: counter}}
  processors:
    - {id: keep, type: filter, inputs: [gen], config: {condition: "true"}}
  sinks:
    - {id: out, type: "null", inputs: [keep]}
`;
// Writes to stdout: on stdio it must not reach the protocol stream.
const NOISY = `apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: noisy}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 3, shape: counter}}
  sinks:
    - {id: out, type: stdout, inputs: [gen]}
`;
const BAD = DOC.replace("type: filter", "type: filtr");

const ALL_TOOLS = [
  "create_pipeline", "validate_pipeline", "list_components", "describe_component",
  "preview_apply", "apply_pipeline", "get_pipeline_status", "analyze_pipeline_performance",
  "stop_pipeline", "rollback_pipeline", "get_audit_log", "explain_decision", "get_metrics",
  "debug_pipeline", "optimize_pipeline", "predict_failures", "apply_fix", "get_approval",
  "decide_approval", "auto_healing",
];
const WRITE_TOOLS = ["create_pipeline", "apply_pipeline", "stop_pipeline", "rollback_pipeline",
  "apply_fix", "decide_approval", "auto_healing"];

function text(result) {
  assert.equal(result.content[0].type, "text");
  return result.content[0].text;
}

async function rejectsWith(promise, code, what) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, code, `${what}: ${e.message}`);
    return true;
  }, what);
}

async function step(name, fn) {
  try {
    await fn();
    console.log(`  ok ${mode}${readOnly ? " read-only" : ""}: ${name}`);
  } catch (e) {
    console.error(`  FAILED ${mode}${readOnly ? " read-only" : ""}: ${name}`);
    throw e;
  }
}

async function call(client, name, args) {
  return client.callTool({ name, arguments: args });
}

async function exercise(client) {
  await step("initialize negotiated 2025-11-25 and named the server", async () => {
    assert.equal(client.getServerVersion().name, "flowctl");
    const caps = client.getServerCapabilities();
    assert.ok(caps.tools && caps.resources && caps.prompts, JSON.stringify(caps));
    assert.match(client.getInstructions(), /validate_pipeline/);
  });

  await step("tools/list", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    const want = readOnly ? ALL_TOOLS.filter((n) => !WRITE_TOOLS.includes(n)) : ALL_TOOLS;
    assert.deepEqual(names, [...want].sort());
    for (const t of tools) {
      assert.equal(t.inputSchema.type, "object", t.name);
      assert.equal(t.outputSchema.type, "object", t.name);
      assert.equal(typeof t.annotations.readOnlyHint, "boolean", t.name);
      if (readOnly) assert.equal(t.annotations.readOnlyHint, true, t.name);
    }
    const apply = tools.find((t) => t.name === "apply_pipeline");
    if (!readOnly) assert.equal(apply.annotations.destructiveHint, true);
  });

  await step("validate_pipeline: structured diagnostics, then valid", async () => {
    const bad = await call(client, "validate_pipeline", { yaml: BAD });
    assert.equal(bad.isError, false);
    assert.equal(bad.structuredContent.valid, false);
    const d = bad.structuredContent.diagnostics.find((x) => x.severity === "error");
    assert.ok(d && d.line > 0 && /filter/.test(d.hint + d.message), JSON.stringify(d));
    const good = await call(client, "validate_pipeline", { yaml: DOC });
    assert.equal(good.structuredContent.valid, true, text(good));
    assert.deepEqual(JSON.parse(text(good)), good.structuredContent);
  });

  await step("a bad argument is an isError result naming the field", async () => {
    const r = await call(client, "analyze_pipeline_performance",
                         { pipeline_id: "mcp-e2e", time_range: "2h" });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent, undefined);
    assert.match(text(r), /time_range/);
    assert.match(text(r), /1h, 24h, 7d, 30d/);
    const missing = await call(client, "validate_pipeline", {});
    assert.equal(missing.isError, true);
    assert.match(text(missing), /yaml/);
    await rejectsWith(call(client, "no_such_tool", {}), -32602, "unknown tool");
  });

  if (readOnly) {
    await step("write tools cannot be called", async () => {
      for (const name of WRITE_TOOLS)
        await rejectsWith(call(client, name, { name: "x", yaml: DOC, plan_token: "t", reason: "r" }),
                          -32602, name);
    });
    await step("preview_apply still works and changes nothing", async () => {
      const p = await call(client, "preview_apply", { yaml: DOC });
      assert.equal(p.isError, false, text(p));
      const { resources } = await client.listResources();
      assert.deepEqual(resources.map((r) => r.uri), ["flowctl://components"]);
    });
    return;
  }

  await step("create_pipeline returns a validated pipeline from the planner", async () => {
    const r = await call(client, "create_pipeline",
                         { name: "p", goal: "read events.jsonl, keep priority high or critical, write to critical.jsonl",
                           constraints: { max_latency_ms: 100 } });
    assert.equal(r.isError, false, text(r));
    const out = r.structuredContent;
    assert.equal(out.name, "p");
    assert.match(out.yaml, /type: filter/);
    assert.match(out.yaml, /priority in \['high', 'critical'\]/);
    assert.match(out.yaml, /critical\.jsonl/);
    assert.ok(out.nodes.length >= 3, JSON.stringify(out.nodes));
    const v = await call(client, "validate_pipeline", { yaml: out.yaml });
    assert.equal(v.structuredContent.valid, true, text(v));
  });

  await step("preview_apply, then apply_pipeline with its plan_token", async () => {
    const guessed = await call(client, "apply_pipeline", { yaml: DOC, plan_token: "plan-1" });
    assert.equal(guessed.isError, true);
    assert.match(text(guessed), /preview_apply/);
    const preview = await call(client, "preview_apply", { yaml: DOC });
    assert.equal(preview.isError, false, text(preview));
    const { plan_token: token, version, name } = preview.structuredContent;
    assert.equal(name, "mcp-e2e");
    assert.equal(version, 1);
    assert.match(token, /^plan-/);
    const other = await call(client, "apply_pipeline",
                             { yaml: DOC + "# changed\n", plan_token: token });
    assert.equal(other.isError, true, "a token is for exactly the previewed document");
    const applied = await call(client, "apply_pipeline",
                               { yaml: DOC, plan_token: token, reason: "e2e" });
    assert.equal(applied.isError, false, text(applied));
    assert.equal(applied.structuredContent.state, "running");
    assert.equal(applied.structuredContent.version, 1);
    const again = await call(client, "apply_pipeline", { yaml: DOC, plan_token: token });
    assert.equal(again.isError, true, "a token is good for one apply");
  });

  await step("resources: catalog, component, spec, status", async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const u of ["flowctl://components", "flowctl://pipelines/mcp-e2e",
                     "flowctl://pipelines/mcp-e2e/status", "flowctl://pipelines/mcp-e2e/metrics"])
      assert.ok(uris.includes(u), `${u} in ${uris}`);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate).sort(),
                     ["flowctl://components/{type}", "flowctl://pipelines/{name}",
                      "flowctl://pipelines/{name}/metrics", "flowctl://pipelines/{name}/status"]);
    const catalog = await client.readResource({ uri: "flowctl://components" });
    assert.equal(catalog.contents[0].mimeType, "application/json");
    const types = JSON.parse(catalog.contents[0].text).components.map((c) => c.type);
    for (const t of ["generator", "filter", "file", "dead-letter"]) assert.ok(types.includes(t), t);
    const filter = await client.readResource({ uri: "flowctl://components/filter" });
    assert.ok(JSON.parse(filter.contents[0].text).config_schema.properties.condition);
    const spec = await client.readResource({ uri: "flowctl://pipelines/mcp-e2e" });
    assert.equal(spec.contents[0].mimeType, "application/yaml");
    assert.match(spec.contents[0].text, /keep/);
    const status = JSON.parse(
        (await client.readResource({ uri: "flowctl://pipelines/mcp-e2e/status" })).contents[0].text);
    assert.equal(status.name, "mcp-e2e");
    assert.equal(status.state, "running");
    assert.deepEqual(status.nodes.map((n) => n.id).sort(), ["gen", "keep", "out"]);
    assert.equal(typeof status.throughput_eps, "number");
    const metrics = JSON.parse(
        (await client.readResource({ uri: "flowctl://pipelines/mcp-e2e/metrics" })).contents[0].text);
    assert.equal(metrics.pipeline, "mcp-e2e");
    assert.equal(metrics.units.in_per_s, "events/s");
    for (const n of metrics.nodes) assert.equal(n.metrics.in_per_s.length, n.ts_ms.length);
    await rejectsWith(client.readResource({ uri: "flowctl://pipelines/nope" }), -32002,
                      "missing resource");
  });

  await step("prompts: create-pipeline and debug-pipeline", async () => {
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name), ["create-pipeline", "debug-pipeline"]);
    const create = await client.getPrompt({ name: "create-pipeline",
                                            arguments: { goal: "count errors per service" } });
    const msg = create.messages[0].content.text;
    for (const w of ["count errors per service", "validate_pipeline", "preview_apply",
                     "apply_pipeline", "plan_token"])
      assert.ok(msg.includes(w), w);
    const debug = await client.getPrompt({ name: "debug-pipeline",
                                           arguments: { pipeline: "mcp-e2e" } });
    assert.equal(debug.messages.length, 2);
    assert.match(debug.messages[0].content.text, /analyze_pipeline_performance/);
    assert.equal(debug.messages[1].content.type, "resource");
    assert.equal(debug.messages[1].content.resource.uri, "flowctl://pipelines/mcp-e2e/status");
    await rejectsWith(client.getPrompt({ name: "debug-pipeline", arguments: { pipeline: "nope" } }),
                      -32602, "unknown pipeline");
  });

  await step("status, audit, stop", async () => {
    const s = await call(client, "get_pipeline_status", { name: "mcp-e2e" });
    assert.equal(s.structuredContent.state, "running");
    const audit = await call(client, "get_audit_log", { target: "mcp-e2e" });
    // A daemon records who called from its own authentication (the token).
    const caller = mode === "server" ? (c) => c.startsWith("token@") : (c) => c === "agent";
    assert.ok(audit.structuredContent.entries.some((e) => caller(e.caller) && e.reason === "e2e"),
              JSON.stringify(audit.structuredContent.entries));
    const refused = await call(client, "stop_pipeline", { name: "mcp-e2e", reason: "e2e done" });
    assert.equal(refused.isError, true, "a destructive tool must refuse without a plan token");
    assert.match(text(refused), /preview: true/);
    const preview = await call(client, "stop_pipeline",
                               { name: "mcp-e2e", reason: "e2e done", preview: true });
    assert.equal(preview.isError, false, text(preview));
    assert.equal(preview.structuredContent.state, "running");
    const stop = await call(client, "stop_pipeline",
                            { name: "mcp-e2e", reason: "e2e done",
                              plan_token: preview.structuredContent.plan_token });
    assert.equal(stop.isError, false, text(stop));
    assert.equal(stop.structuredContent.state, "stopped");
  });

  if (mode === "server") {
    await step("explain_decision reaches the daemon (which has no such decision)", async () => {
      const r = await call(client, "explain_decision", { decision_id: "nope.1.1" });
      assert.equal(r.isError, true);
      assert.match(text(r), /^NOT_FOUND: /);
    });
  }

  if (mode === "stdio") {
    await step("a stdout sink does not corrupt the protocol stream", async () => {
      const p = await call(client, "preview_apply", { yaml: NOISY });
      const a = await call(client, "apply_pipeline",
                           { yaml: NOISY, plan_token: p.structuredContent.plan_token });
      assert.equal(a.isError, false, text(a));
      await new Promise((r) => setTimeout(r, 300));  // let it write its events
      const s = await call(client, "get_pipeline_status", { name: "noisy" });
      assert.equal(s.isError, false);
      assert.equal(s.structuredContent.nodes.find((n) => n.id === "out").out, 3);
    });
  }
}

const client = new Client({ name: "flowctl-e2e", version: "1.0.0" });
if (mode === "stdio") {
  const [flowctl, stateDir] = rest;
  const args = ["mcp", "--state-dir", stateDir, "--workers", "1"];
  if (readOnly) args.push("--read-only");
  await client.connect(new StdioClientTransport({ command: flowctl, args, stderr: "ignore" }));
  await exercise(client);
  await client.close();
} else if (mode === "http") {
  const url = new URL(rest[0]);
  const transport = new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  await step("a session id was issued and the version negotiated", async () => {
    assert.match(transport.sessionId, /^[0-9a-f]{64}$/);
    assert.equal(transport.protocolVersion, "2025-11-25");
  });
  await exercise(client);
  const id = transport.sessionId;
  await step("DELETE ends the session", async () => {
    await transport.terminateSession();
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream",
                 "mcp-session-id": id },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    assert.equal(r.status, 404);
  });
  await client.close();
} else if (mode === "server") {
  const [flowctl, addr, tokenFile] = rest;
  const args = ["mcp", "--server", addr, "--token-file", tokenFile];
  await client.connect(new StdioClientTransport({ command: flowctl, args, stderr: "ignore" }));
  await exercise(client);
  await client.close();
} else if (mode === "noserver") {
  const [flowctl, addr] = rest;
  await client.connect(new StdioClientTransport({ command: flowctl, args: ["mcp", "--server", addr],
                                                  stderr: "ignore" }));
  const want = `no flowctl server at ${addr}: start one with \`flowctl serve\``;
  await step("the server starts and lists its tools", async () => {
    const { tools } = await client.listTools();
    assert.equal(tools.length, ALL_TOOLS.length);
  });
  await step("tool calls are isError saying no daemon is there", async () => {
    for (const [name, args] of [["validate_pipeline", { yaml: DOC }], ["list_components", {}],
                                ["get_pipeline_status", { name: "x" }]]) {
      const r = await call(client, name, args);
      assert.equal(r.isError, true, name);
      assert.ok(text(r).includes(want), `${name}: ${text(r)}`);
    }
  });
  await step("resources/list is an error saying so too", async () => {
    await assert.rejects(client.listResources(), (e) => e.message.includes(want));
  });
  await client.close();
} else {
  console.error("usage: client.mjs stdio FLOWCTL STATE_DIR | http URL  [--read-only] | "
                + "server FLOWCTL ADDR TOKEN_FILE | noserver FLOWCTL ADDR");
  process.exit(2);
}
console.log(`mcp client ${mode}${readOnly ? " read-only" : ""}: ok`);
