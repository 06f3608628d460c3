// The TypeScript MCP SDK's client (what MCP Inspector and many agent frameworks use) against our stdio server.
// It checks every result of a listed tool against that tool's outputSchema and throws -32602 when it does not
// match, so an error result that carries mismatching structuredContent never reaches the agent.
//
// argv[2]: JSON {"command": "...", "args": [...], "env": {...}, "calls": [[label, tool, arguments], ...]}.
// Prints one JSON line: {"tools": <count>, "calls": {label: {"isError", "text", "meta", "structured", "kinds"} or
// {"thrown": "<message>"}}}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const spec = JSON.parse(process.argv[2]);
const transport = new StdioClientTransport({
  command: spec.command,
  args: spec.args,
  env: spec.env,
  stderr: "inherit",
});
const client = new Client({ name: "jumperless-ts-check", version: "0" });
await client.connect(transport);
const out = { tools: (await client.listTools()).tools.length, calls: {} };
for (const [label, name, args] of spec.calls) {
  try {
    const result = await client.callTool({ name, arguments: args });
    out.calls[label] = {
      isError: result.isError ?? false,
      text: result.content?.[0]?.text ?? "",
      meta: result._meta ?? null,
      structured: result.structuredContent ?? null,
      kinds: (result.content ?? []).map((block) => (block.type === "image" ? `image:${block.mimeType}` : block.type)),
    };
  } catch (error) {
    out.calls[label] = { thrown: String(error?.message ?? error) };
  }
}
await client.close();
process.stdout.write(JSON.stringify(out) + "\n");
