// Resolve an unpacked bundle's server.mcp_config as Claude Desktop does, with the function it uses for that
// (getMcpConfigForManifest from @anthropic-ai/mcpb): ${__dirname}, ${HOME} & co., then ${user_config.KEY}
// from the user's values over the manifest's defaults (an array value spreads into args only when it is a
// whole argument; an unset value with no default is left as the literal placeholder).
//
// usage: node host_config.mjs <unpacked bundle dir> '<user config JSON>' '<system dirs JSON>'
// prints {"command", "args", "env"} as JSON on stdout; exit 1 when the host would not start the server.
import { readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";

import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";

const [bundleDir, userConfigJson = "{}", systemDirsJson = "{}"] = process.argv.slice(2);
const extensionPath = resolve(bundleDir);
const manifest = JSON.parse(readFileSync(join(extensionPath, "manifest.json"), "utf-8"));
const config = await getMcpConfigForManifest({
  manifest,
  extensionPath,
  systemDirs: JSON.parse(systemDirsJson),
  userConfig: JSON.parse(userConfigJson),
  pathSeparator: sep,
  logger: console,
});
if (!config) {
  console.error("no mcp_config (missing required user configuration?)");
  process.exit(1);
}
process.stdout.write(JSON.stringify(config));
