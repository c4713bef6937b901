// Reads a host's config file with the parser that host uses and prints it as JSON (exit 1 when it does not parse):
//   jsonc                VS Code's jsonc-parser, as VS Code reads mcp.json (comments and trailing commas allowed)
//   strip-json-comments  Gemini CLI's settings.json: strip-json-comments, then JSON.parse
//   json                 JSON.parse (Claude Desktop, Claude Code, Windsurf)
// Usage: node read_config.mjs jsonc|strip-json-comments|json FILE
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [how, file] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
let value;
if (how === "jsonc") {
  const { parse } = require("jsonc-parser");
  const errors = [];
  value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    console.error(`${file}: ${JSON.stringify(errors)}`);
    process.exit(1);
  }
} else if (how === "strip-json-comments") {
  const stripJsonComments = require("strip-json-comments");
  value = JSON.parse(stripJsonComments(text));
} else if (how === "json") {
  value = JSON.parse(text);
} else {
  console.error(`unknown parser ${how}`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(value));
